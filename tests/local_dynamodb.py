"""A DynamoDB-compatible server on 127.0.0.1 (moto's server mode) and tables in it, for tests.

moto honours ConditionExpression and ReturnValuesOnConditionCheckFailure, but never deletes
expired items: expiry is tested through the clock, not through DynamoDB's TTL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class LocalTable:
    """One table in the local server: its name, the endpoint, and the environment to use it."""

    name: str
    endpoint: str
    client: Any  # a boto3 DynamoDB client (no stubs for it are installed)

    @property
    def environment(self) -> dict[str, str]:
        """What the runtime needs to use this table as its idempotency store."""
        return {
            "RUN_COMMAND_IDEMPOTENCY_TABLE": self.name,
            "AWS_ENDPOINT_URL_DYNAMODB": self.endpoint,
            "AWS_REGION": REGION,
            **CREDENTIALS,
        }

    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.client.scan(TableName=self.name, ConsistentRead=True)[
            "Items"
        ]
        return items

    def item(self, key: str) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.name, Key={"id": {"S": key}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item


class LocalDynamoDb:
    """moto's threaded server on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy: only when used

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.client: Any = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def create_table(self) -> LocalTable:
        """A new table as the docs say to create it: key `id` (string), TTL on `expiration`."""
        name = f"idempotency-{uuid.uuid4().hex[:12]}"
        self.client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
        )
        return LocalTable(name, self.endpoint, self.client)

    def stop(self) -> None:
        self.client.close()
        self._server.stop()


def local_dynamodb() -> Iterator[LocalDynamoDb]:
    server = LocalDynamoDb()
    try:
        yield server
    finally:
        server.stop()
