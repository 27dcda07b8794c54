"""App: one `--map` item, invoked again only while Lambda throttles it, within a deadline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ...domain.map_items import MapItem
from ...domain.map_outcome import Backoff, is_throttle
from ...domain.remote_event import RemoteInvocation, RemoteInvoker
from ...domain.remote_outcome import Answered, InvokeOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class MapJob:
    """An item and the invocation that runs it."""

    item: MapItem
    invocation: RemoteInvocation


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished:
    """What became of an item: its last try's outcome and output, and how often it was throttled."""

    job: MapJob
    outcome: InvokeOutcome
    output: bytes
    duration: float
    throttles: int


@dataclass(kw_only=True)
class Attempts:
    """How items are tried (the backoff, its randomness and clock), and the counts of tries.

    `stopping`, once set, cuts a backoff wait short: the item is given up, never started.
    """

    backoff: Backoff
    random: Callable[[], float]
    clock: Callable[[], float]
    stopping: threading.Event
    running: int = 0
    """Invocations in flight now."""
    throttled: int = 0
    """Tries Lambda throttled so far, over all items."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, *, running: int = 0, throttled: int = 0) -> None:
        with self._lock:
            self.running += running
            self.throttled += throttled


def run_item(invoker: RemoteInvoker, job: MapJob, attempts: Attempts) -> Finished | None:
    """Invoke the item until it is not throttled; None when a stop came during a wait.

    A throttle means the command did not start, so it alone is tried again; any other
    outcome, a failure included, is final: the command may have run.
    """
    first = attempts.clock()
    throttles = 0
    while True:
        pieces: list[bytes] = []
        started = attempts.clock()
        attempts.count(running=1)
        try:
            outcome = invoker.invoke(job.invocation, pieces.append)
        finally:
            attempts.count(running=-1)
        duration = attempts.clock() - started
        if not is_throttle(outcome):
            break
        attempts.count(throttled=1)
        delay = attempts.backoff.wait(throttles, attempts.clock() - first, attempts.random)
        throttles += 1
        if delay is None:  # throttled past the deadline: the item's failure
            break
        if attempts.stopping.wait(delay):
            return None
    output = b"".join(pieces) or (outcome.output if isinstance(outcome, Answered) else b"")
    return Finished(job=job, outcome=outcome, output=output, duration=duration, throttles=throttles)
