"""Adapter: idempotency records as DynamoDB items (attribute values typed S or N).

Attributes: `id` (the key), `status`, `event_hash`, `request_id`, `expiration` (Unix
seconds, the table's TTL attribute), `in_progress_expiration` (Unix milliseconds, while
IN_PROGRESS), `outcome` (the result or error body) and `error_type` (for an error).
"""

from __future__ import annotations

from typing import Any

from ...domain.idempotency import Outcome, Record, Status


def item_of(record: Record) -> dict[str, dict[str, str]]:
    item = {
        "id": {"S": record.key},
        "status": {"S": record.status.value},
        "event_hash": {"S": record.event_hash},
        "request_id": {"S": record.request_id},
        "expiration": {"N": str(record.expires_at)},
    }
    if record.in_progress_until is not None:
        item["in_progress_expiration"] = {"N": str(record.in_progress_until)}
    if record.outcome is not None:
        item["outcome"] = {"S": record.outcome.body}
        if record.outcome.error_type is not None:
            item["error_type"] = {"S": record.outcome.error_type}
    return item


def record_of(item: dict[str, Any]) -> Record:
    """Raises KeyError, TypeError or ValueError for an item that is not a record."""
    in_progress = item.get("in_progress_expiration")
    body = item.get("outcome")
    error_type = item.get("error_type")
    outcome = None
    if body is not None:
        outcome = Outcome(
            body=_text(body), error_type=None if error_type is None else _text(error_type)
        )
    return Record(
        key=_text(item["id"]),
        status=Status(_text(item["status"])),
        event_hash=_text(item["event_hash"]),
        request_id=_text(item["request_id"]),
        expires_at=_number(item["expiration"]),
        in_progress_until=None if in_progress is None else _number(in_progress),
        outcome=outcome,
    )


def _text(value: Any) -> str:
    text = value["S"]
    if not isinstance(text, str):
        raise TypeError(f"expected a string attribute, not {value!r}")
    return text


def _number(value: Any) -> int:
    return int(value["N"])
