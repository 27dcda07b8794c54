"""A DynamoDB-compatible server on 127.0.0.1 (moto's server mode), plain or behind TLS, for tests.

moto honours ConditionExpression and ReturnValuesOnConditionCheckFailure, but never deletes
expired items: expiry is tested through the clock, not through DynamoDB's TTL.
"""

from __future__ import annotations

import ssl
import threading
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


class TlsDynamoDb:
    """moto's server behind TLS on 127.0.0.1, its certificate issued by an authority made here.

    moto keeps its tables per process, so this endpoint serves the tables of the plain http
    `LocalDynamoDb` too (whose boto3 client the tests keep using to look at them).
    """

    def __init__(self) -> None:
        # Heavy, and only for the TLS tests.
        import trustme  # noqa: PLC0415
        from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server  # noqa: PLC0415

        self.authority = trustme.CA(organization_name="run-command-on-aws-lambda tests")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.authority.issue_cert("127.0.0.1").configure_cert(context)
        self._server = make_server(
            "127.0.0.1",
            0,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=MotoRequestHandler,
            ssl_context=context,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint = f"https://127.0.0.1:{self._server.server_port}"

    @property
    def authority_pem(self) -> bytes:
        """The certificate of the authority that issued the server's: what a client must trust."""
        return self.authority.cert_pem.bytes()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
