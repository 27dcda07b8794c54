"""The DynamoDB store against a DynamoDB-compatible server: conditions, items, failures."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from run_command_on_aws_lambda.adapters.aws.sigv4 import Credentials
from run_command_on_aws_lambda.adapters.idempotency.dynamodb import DynamoDbStore
from run_command_on_aws_lambda.domain.errors import StoreUnavailable
from run_command_on_aws_lambda.domain.idempotency import Outcome, Record, Status
from tests.fake_runtime_api import closed_port
from tests.local_dynamodb import REGION, LocalTable

NOW_MS = 1_800_000_000_000
DUMMY = Credentials(access_key="testing", secret_key="testing")  # noqa: S106 - a dummy


def store_for(table: LocalTable) -> DynamoDbStore:
    return DynamoDbStore(table.name, region=REGION, credentials=DUMMY, endpoint=table.endpoint)


def in_progress(request_id: str = "first", **changes: object) -> Record:
    fields: dict[str, object] = {
        "key": "migrate-4.2",
        "status": Status.IN_PROGRESS,
        "event_hash": "hash-a",
        "request_id": request_id,
        "expires_at": NOW_MS // 1000 + 3600,
        "in_progress_until": NOW_MS + 60_000,
    }
    fields.update(changes)
    return Record(**fields)  # type: ignore[arg-type]


def test_a_claim_writes_the_record_as_the_docs_describe_it(idempotency_table: LocalTable) -> None:
    """The item has the key in `id`, the TTL in `expiration` and the claim's deadline."""
    assert store_for(idempotency_table).claim(in_progress(), now_ms=NOW_MS) is None
    assert idempotency_table.item("migrate-4.2") == {
        "id": {"S": "migrate-4.2"},
        "status": {"S": "IN_PROGRESS"},
        "event_hash": {"S": "hash-a"},
        "request_id": {"S": "first"},
        "expiration": {"N": str(NOW_MS // 1000 + 3600)},
        "in_progress_expiration": {"N": str(NOW_MS + 60_000)},
    }


def test_a_second_claim_gets_the_record_that_holds_the_key(idempotency_table: LocalTable) -> None:
    """A held key is not overwritten; the claim returns the holder (ALL_OLD)."""
    store = store_for(idempotency_table)
    store.claim(in_progress("first"), now_ms=NOW_MS)
    assert store.claim(in_progress("second"), now_ms=NOW_MS + 1) == in_progress("first")
    assert store.read("migrate-4.2") == in_progress("first")


def test_a_lapsed_claim_is_taken_over_by_the_same_event_only(
    idempotency_table: LocalTable,
) -> None:
    """After the holder's deadline the same event claims the key; another event does not."""
    store = store_for(idempotency_table)
    store.claim(in_progress("first"), now_ms=NOW_MS)
    later = NOW_MS + 60_001
    other = in_progress("other", event_hash="hash-b")
    assert store.claim(other, now_ms=later) == in_progress("first")
    assert store.claim(in_progress("second"), now_ms=later) is None
    assert store.read("migrate-4.2") == in_progress("second")


def test_an_expired_record_is_claimed_even_though_ttl_has_not_deleted_it(
    idempotency_table: LocalTable,
) -> None:
    """DynamoDB deletes expired items late; the claim's condition treats them as gone."""
    store = store_for(idempotency_table)
    store.claim(in_progress("first"), now_ms=NOW_MS)
    store.complete("migrate-4.2", "first", Outcome(body="{}"), NOW_MS // 1000 + 10)
    later = NOW_MS + 11_000 + 1000
    assert store.claim(in_progress("second", event_hash="hash-b"), now_ms=later) is None


def test_complete_stores_the_outcome_and_a_new_expiry(idempotency_table: LocalTable) -> None:
    """The record turns COMPLETED with the body, the error type and the TTL, nothing more."""
    store = store_for(idempotency_table)
    store.claim(in_progress(), now_ms=NOW_MS)
    outcome = Outcome(body='{"errorType": "CommandFailed"}', error_type="CommandFailed")
    assert store.complete("migrate-4.2", "first", outcome, NOW_MS // 1000 + 7200)
    assert store.read("migrate-4.2") == Record(
        key="migrate-4.2",
        status=Status.COMPLETED,
        event_hash="hash-a",
        request_id="first",
        expires_at=NOW_MS // 1000 + 7200,
        outcome=outcome,
    )


def test_complete_and_release_leave_a_claim_they_do_not_hold(
    idempotency_table: LocalTable,
) -> None:
    """Another invocation's claim is neither completed nor deleted; both say so."""
    store = store_for(idempotency_table)
    store.claim(in_progress("holder"), now_ms=NOW_MS)
    assert not store.complete("migrate-4.2", "stranger", Outcome(body="{}"), NOW_MS // 1000)
    assert not store.release("migrate-4.2", "stranger")
    assert not store.release("no-such-key", "stranger")
    assert store.read("migrate-4.2") == in_progress("holder")


def test_release_deletes_the_claim(idempotency_table: LocalTable) -> None:
    """The holder's release removes the item, so the next claim succeeds at once."""
    store = store_for(idempotency_table)
    store.claim(in_progress("first"), now_ms=NOW_MS)
    assert store.release("migrate-4.2", "first")
    assert idempotency_table.item("migrate-4.2") is None
    assert store.read("migrate-4.2") is None


def test_a_large_outcome_round_trips(idempotency_table: LocalTable) -> None:
    """An outcome of tens of kilobytes, with any characters, comes back byte for byte."""
    store = store_for(idempotency_table)
    store.claim(in_progress(), now_ms=NOW_MS)
    body = '{"output": "' + "é\\n\u2603 " * 20_000 + '"}'
    store.complete("migrate-4.2", "first", Outcome(body=body), NOW_MS // 1000 + 60)
    record = store.read("migrate-4.2")
    assert record is not None
    assert record.outcome == Outcome(body=body)


def test_a_missing_table_is_an_error_that_names_it(idempotency_table: LocalTable) -> None:
    """DynamoDB's refusal (no such table) becomes StoreUnavailable with the table's name."""
    store = DynamoDbStore(
        "no-such-table", region=REGION, credentials=DUMMY, endpoint=idempotency_table.endpoint
    )
    with pytest.raises(StoreUnavailable, match=r"no-such-table.*ResourceNotFoundException"):
        store.claim(in_progress(), now_ms=NOW_MS)


def test_an_unreachable_endpoint_is_an_error_that_names_it() -> None:
    """A refused connection becomes StoreUnavailable naming the table and the endpoint."""
    endpoint = f"http://127.0.0.1:{closed_port()}"
    store = DynamoDbStore("t", region=REGION, credentials=DUMMY, endpoint=endpoint)
    with pytest.raises(StoreUnavailable, match=rf"table t could not be reached at {endpoint}"):
        store.read("migrate-4.2")


def test_the_default_endpoint_is_the_regions_dynamodb() -> None:
    """Without an endpoint setting the store talks to dynamodb.REGION.amazonaws.com."""
    assert DynamoDbStore("t", region="eu-west-1", credentials=DUMMY).endpoint == (
        "https://dynamodb.eu-west-1.amazonaws.com"
    )
    assert DynamoDbStore("t", region="cn-north-1", credentials=DUMMY).endpoint == (
        "https://dynamodb.cn-north-1.amazonaws.com.cn"
    )


def test_calls_are_json_1_0_signed_for_dynamodb_and_tried_once(httpserver: HTTPServer) -> None:
    """A 5xx is not tried again (a lost answer to a claim would read as another's claim)."""
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response("Service Unavailable", 503)

    httpserver.expect_request("/", method="POST").respond_with_handler(answer)
    endpoint = httpserver.url_for("/").rstrip("/")
    store = DynamoDbStore("runs", region=REGION, credentials=DUMMY, endpoint=endpoint)
    with pytest.raises(StoreUnavailable) as raised:
        store.read("migrate-4.2")
    assert str(raised.value) == (
        "DynamoDB refused GetItem on the idempotency table runs (503 error): Service Unavailable"
    )
    assert len(seen) == 1
    assert seen[0].headers["Content-Type"] == "application/x-amz-json-1.0"
    assert seen[0].headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert f"/{REGION}/dynamodb/aws4_request" in seen[0].headers["Authorization"]
    assert json.loads(seen[0].data) == {
        "TableName": "runs",
        "Key": {"id": {"S": "migrate-4.2"}},
        "ConsistentRead": True,
    }
