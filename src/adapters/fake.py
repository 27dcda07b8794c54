"""Adapter: a fake transport for tests and for embedding. Events in, verdicts captured."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from ..domain.invocation import Invocation
from ..domain.policy import Verdict


@dataclass(frozen=True, slots=True)
class Report:
    """One outcome as the fake transport received it."""

    invocation: Invocation
    verdict: Verdict


class FakeTransport:
    """Delivers the given events in order (objects are JSON-encoded, bytes sent as they are)."""

    def __init__(self, events: Iterable[object], *, deadline_ms: int | None = None) -> None:
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

    def next_invocation(self) -> Invocation | None:
        return self._pending.pop(0) if self._pending else None

    def report(self, invocation: Invocation, verdict: Verdict) -> None:
        self.reports.append(Report(invocation, verdict))

    @property
    def verdicts(self) -> list[Verdict]:
        return [report.verdict for report in self.reports]
