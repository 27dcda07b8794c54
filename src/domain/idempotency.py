"""Domain: idempotency records, the store port, and the pure rules that read a record.

A key is the caller's statement of intent (`"migrate-4.2"`). Its record goes IN_PROGRESS when
an invocation claims it, COMPLETED with the outcome when the command has run, and is deleted
when the command could not start (so that a retry can run it). Times are Unix time: seconds
for the record's expiry (the table's TTL attribute), milliseconds for the in-progress expiry
(the claiming invocation's own deadline).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .idempotency_key import IDEMPOTENCY_KEY_FIELD, check_idempotency_key

NOT_HASHED = frozenset({IDEMPOTENCY_KEY_FIELD, "stream"})


class Status(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A stored result or error body; `error_type` is `None` for a result (a success)."""

    body: str
    error_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One key's state, as the store keeps it."""

    key: str
    status: Status
    event_hash: str
    request_id: str
    expires_at: int  # seconds: after this the record no longer counts (and TTL deletes it)
    in_progress_until: int | None = None  # milliseconds: an IN_PROGRESS claim lapses after this
    outcome: Outcome | None = None

    def __post_init__(self) -> None:
        if (self.status is Status.COMPLETED) != (self.outcome is not None):
            raise ValueError("a record has an outcome exactly when it is COMPLETED")

    def expired(self, now_ms: int) -> bool:
        return self.expires_at < now_ms // 1000

    def lapsed(self, now_ms: int) -> bool:
        """An IN_PROGRESS claim whose holder's deadline has passed: it can be taken over."""
        return (
            self.status is Status.IN_PROGRESS
            and self.in_progress_until is not None
            and self.in_progress_until < now_ms
        )


class IdempotencyStore(Protocol):
    """Keeps one `Record` per key; every method raises `StoreUnavailable` when it cannot.

    `claim` writes `record` (IN_PROGRESS) unless the key is held, in one atomic step, and
    returns `None`; otherwise it writes nothing and returns the record that holds the key.
    The key is free when it has no record, when its record `expired(now_ms)`, or when its
    record `lapsed(now_ms)` and has the same `event_hash`.
    `complete` sets the key COMPLETED with `outcome` and a new `expires_at`, and `release`
    deletes it; both only while `request_id` still holds the claim, and say whether it did.
    `read` returns the key's record as last written (a consistent read), or `None`.
    """

    def claim(self, record: Record, *, now_ms: int) -> Record | None: ...

    def complete(self, key: str, request_id: str, outcome: Outcome, expires_at: int) -> bool: ...

    def release(self, key: str, request_id: str) -> bool: ...

    def read(self, key: str) -> Record | None: ...


def idempotency_key(event: object) -> str | None:
    """The event's `idempotencyKey`, or `None`; raises `InvalidEvent` for an unusable one."""
    if not isinstance(event, Mapping) or event.get(IDEMPOTENCY_KEY_FIELD) is None:
        return None
    return check_idempotency_key(event[IDEMPOTENCY_KEY_FIELD])


def without_key(event: Mapping[Any, object]) -> dict[Any, object]:
    """The event as the command sees it: without its `idempotencyKey`."""
    return {name: value for name, value in event.items() if name != IDEMPOTENCY_KEY_FIELD}


def event_hash(event: Mapping[Any, object]) -> str:
    """A hash of the canonical JSON of the event (key order and spacing do not count).

    How the outcome is delivered (`"stream"`) is no part of the intent: a retry that does
    not stream is the same event.
    """
    intent = {name: value for name, value in event.items() if name not in NOT_HASHED}
    canonical = json.dumps(intent, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Reading(enum.Enum):
    """What a record that holds a key means for an invocation that wants it."""

    FREE = "free"  # claim it (again): expired, lapsed or gone
    REUSED = "reused"  # the key belongs to another event
    COMPLETED = "completed"  # replay its outcome
    BUSY = "busy"  # another invocation is running it: wait


def read_record(record: Record | None, event_hash: str, now_ms: int) -> Reading:
    """The rule the store's `claim` applies, seen from the invocation that wants the key."""
    if record is None or record.expired(now_ms):
        return Reading.FREE
    if record.event_hash != event_hash:
        return Reading.REUSED
    if record.status is Status.COMPLETED:
        return Reading.COMPLETED
    return Reading.FREE if record.lapsed(now_ms) else Reading.BUSY
