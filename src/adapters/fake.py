"""Adapter: a fake transport for tests and for embedding. Events in, verdicts captured."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..domain.invocation import Invocation
from ..domain.policy import Verdict


@dataclass(frozen=True, slots=True)
class Report:
    """One outcome as the fake transport received it."""

    invocation: Invocation
    verdict: Verdict
    stream: FakeStream | None = None


@dataclass
class FakeStream:
    """A streamed response kept in memory: whether it was begun, and every byte written."""

    begun: bool = False
    data: bytearray = field(default_factory=bytearray)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin(self) -> None:
        self.begun = True

    def write(self, data: bytes | memoryview) -> None:
        with self._lock:  # written from the forwarding thread
            self.data += data


class FakeTransport:
    """Delivers the given events in order (objects are JSON-encoded, bytes sent as they are).

    With `streaming`, each invocation may open a `FakeStream`, kept with its report.
    """

    def __init__(
        self,
        events: Iterable[object],
        *,
        deadline_ms: int | None = None,
        streaming: bool = False,
    ) -> None:
        self._pending = [
            Invocation(
                request_id=f"fake-{number}",
                payload=event if isinstance(event, bytes) else json.dumps(event).encode(),
                deadline_ms=deadline_ms,
                trace_id=f"Root=1-00000000-{number:024x}",
            )
            for number, event in enumerate(events, start=1)
        ]
        self.reports: list[Report] = []
        self._streaming = streaming
        self._streams: dict[str, FakeStream] = {}

    def next_invocation(self) -> Invocation | None:
        return self._pending.pop(0) if self._pending else None

    def open_stream(self, invocation: Invocation) -> FakeStream | None:
        if not self._streaming:
            return None
        return self._streams.setdefault(invocation.request_id, FakeStream())

    def report(self, invocation: Invocation, verdict: Verdict) -> None:
        stream = self._streams.pop(invocation.request_id, None)
        self.reports.append(Report(invocation, verdict, stream))

    @property
    def verdicts(self) -> list[Verdict]:
        return [report.verdict for report in self.reports]
