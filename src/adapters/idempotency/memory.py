"""Adapter: an in-memory idempotency store, for tests and for embedding in one process.

It applies the same conditions as the DynamoDB store, under one lock, so concurrent threads
see the same claims and completions that concurrent sandboxes see in a table.
"""

from __future__ import annotations

import dataclasses
import threading

from ...domain.errors import StoreUnavailable
from ...domain.idempotency import Outcome, Record, Status


class MemoryStore:
    """An `IdempotencyStore` in a dict; `unavailable = True` makes every call fail."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.unavailable = False
        self._lock = threading.Lock()

    def claim(self, record: Record, *, now_ms: int) -> Record | None:
        with self._lock:
            self._check()
            held = self.records.get(record.key)
            if (
                held is None
                or held.expired(now_ms)
                or (held.lapsed(now_ms) and held.event_hash == record.event_hash)
            ):
                self.records[record.key] = record
                return None
            return held

    def complete(self, key: str, request_id: str, outcome: Outcome, expires_at: int) -> bool:
        with self._lock:
            self._check()
            held = self.records.get(key)
            if held is None or held.request_id != request_id:
                return False
            self.records[key] = dataclasses.replace(
                held,
                status=Status.COMPLETED,
                outcome=outcome,
                expires_at=expires_at,
                in_progress_until=None,
            )
            return True

    def release(self, key: str, request_id: str) -> bool:
        with self._lock:
            self._check()
            held = self.records.get(key)
            if held is None or held.request_id != request_id:
                return False
            del self.records[key]
            return True

    def read(self, key: str) -> Record | None:
        with self._lock:
            self._check()
            return self.records.get(key)

    def _check(self) -> None:
        if self.unavailable:
            raise StoreUnavailable("the in-memory store was made unavailable")
