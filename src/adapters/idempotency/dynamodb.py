"""Adapter: the idempotency store in a DynamoDB table, four signed JSON 1.0 calls.

`claim` is a conditional PutItem, `complete` an UpdateItem and `release` a DeleteItem (both
conditional on still holding the claim), `read` a consistent GetItem. The calls go through
the AWS JSON client (aws/json_api.py), once each. Every failure to reach the table, or a
refusal other than a failed condition, is a `StoreUnavailable` that names the table and what
DynamoDB said.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import urllib3

from ...domain.errors import StoreUnavailable
from ...domain.idempotency import Outcome, Record
from ..aws.json_api import JSON_1_0, AwsCallFailed, JsonApi, connection_pool
from ..aws.json_api import default_endpoint as service_endpoint
from ..aws.sigv4 import Credentials
from .items import item_of, record_of

TARGET = "DynamoDB_20120810."
CONDITION_FAILED = "ConditionalCheckFailedException"
_NAMES = {
    "#id": "id",
    "#status": "status",
    "#expiration": "expiration",
    "#in_progress_expiration": "in_progress_expiration",
    "#event_hash": "event_hash",
    "#request_id": "request_id",
    "#outcome": "outcome",
    "#error_type": "error_type",
}
CLAIM_CONDITION = (
    "attribute_not_exists(#id) OR #expiration < :now"
    " OR (#status = :in_progress AND #in_progress_expiration < :now_ms"
    " AND #event_hash = :event_hash)"
)
HOLDS_CLAIM = "#request_id = :request_id"


class _ConditionFailed(Exception):  # noqa: N818 - DynamoDB's name for it
    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("the condition failed")
        self.item = item


def default_endpoint(region: str) -> str:
    return service_endpoint("dynamodb", region)


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class DynamoDbStore:
    """An `IdempotencyStore` in `table` (partition key `id`, a string; TTL on `expiration`)."""

    def __init__(
        self,
        table: str,
        *,
        region: str,
        credentials: Credentials,
        endpoint: str | None = None,
        pool: urllib3.PoolManager | None = None,
        ca_certs: str | None = None,
        utc_now: Callable[[], datetime.datetime] = _utc_now,
    ) -> None:
        self.table = table
        self.endpoint = endpoint or default_endpoint(region)
        # `ca_certs`: the authorities to check an https endpoint's certificate against (a file),
        # `None` for OpenSSL's default locations (see trust.py).
        self._api = JsonApi(
            title="DynamoDB",
            service="dynamodb",
            endpoint=self.endpoint,
            region=region,
            credentials=credentials,
            pool=pool or connection_pool(maxsize=2, ca_certs=ca_certs),
            ca_certs=ca_certs,
            content_type=JSON_1_0,
            # Once: a conditional write tried again after its answer was lost would find its
            # own claim and take it for another invocation's.
            attempts=1,
            utc_now=utc_now,
        )

    def claim(self, record: Record, *, now_ms: int) -> Record | None:
        values = {
            ":now": {"N": str(now_ms // 1000)},
            ":now_ms": {"N": str(now_ms)},
            ":in_progress": {"S": "IN_PROGRESS"},
            ":event_hash": {"S": record.event_hash},
        }
        for _ in range(3):
            try:
                self._call(
                    "PutItem",
                    Item=item_of(record),
                    ConditionExpression=CLAIM_CONDITION,
                    ExpressionAttributeNames=_names(CLAIM_CONDITION),
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except _ConditionFailed as failed:
                held = self._record(failed.item) if failed.item else self.read(record.key)
                if held is not None:  # else it was deleted in between: claim again
                    return held
            else:
                return None
        raise StoreUnavailable(f"The key {record.key!r} kept changing while being claimed.")

    def complete(self, key: str, request_id: str, outcome: Outcome, expires_at: int) -> bool:
        update = "SET #status = :completed, #outcome = :outcome, #expiration = :expiration"
        values = {
            ":completed": {"S": "COMPLETED"},
            ":outcome": {"S": outcome.body},
            ":expiration": {"N": str(expires_at)},
            ":request_id": {"S": request_id},
        }
        if outcome.error_type is not None:
            update += ", #error_type = :error_type"
            values[":error_type"] = {"S": outcome.error_type}
        update += " REMOVE #in_progress_expiration"
        if outcome.error_type is None:
            update += ", #error_type"
        return self._conditional(
            "UpdateItem",
            Key={"id": {"S": key}},
            UpdateExpression=update,
            ConditionExpression=HOLDS_CLAIM,
            ExpressionAttributeNames=_names(update + HOLDS_CLAIM),
            ExpressionAttributeValues=values,
        )

    def release(self, key: str, request_id: str) -> bool:
        return self._conditional(
            "DeleteItem",
            Key={"id": {"S": key}},
            ConditionExpression=HOLDS_CLAIM,
            ExpressionAttributeNames=_names(HOLDS_CLAIM),
            ExpressionAttributeValues={":request_id": {"S": request_id}},
        )

    def read(self, key: str) -> Record | None:
        answer = self._call("GetItem", Key={"id": {"S": key}}, ConsistentRead=True)
        item = answer.get("Item")
        return None if item is None else self._record(item)

    def _conditional(self, action: str, **request: object) -> bool:
        try:
            self._call(action, **request)
        except _ConditionFailed:
            return False
        return True

    def _record(self, item: dict[str, Any]) -> Record:
        try:
            return record_of(item)
        except (KeyError, TypeError, ValueError) as error:
            raise StoreUnavailable(
                f"The idempotency table {self.table} holds a record this runtime cannot read "
                f"({type(error).__name__}: {error})."
            ) from None

    def _call(self, action: str, **request: object) -> dict[str, Any]:
        try:
            return self._api.call(TARGET + action, {"TableName": self.table, **request})
        except AwsCallFailed as failure:
            if failure.status == 400 and failure.code == CONDITION_FAILED:
                raise _ConditionFailed(failure.answer.get("Item")) from None
            if failure.status is None:
                raise StoreUnavailable(
                    f"The idempotency table {self.table} could not be reached at "
                    f"{self.endpoint} ({action}): {failure.reason}"
                ) from None
            raise StoreUnavailable(
                f"DynamoDB refused {action} on the idempotency table {self.table} "
                f"({failure.status} {failure.code or 'error'}): {failure.reason}"
            ) from None


def _names(expression: str) -> dict[str, str]:
    """The placeholders an expression uses (DynamoDB rejects unused ones)."""
    return {name: value for name, value in _NAMES.items() if name in expression}
