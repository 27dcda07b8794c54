"""App: `--map`'s run: up to N items at once, throttles retried, each item reported as it ends.

Worker threads take items and invoke them, each once (a throttle is the only answer tried
again: the command did not start). The main thread writes each finished item's block, its
results line and the progress, and notices a stop request between two waits: then no new
item starts, the running ones are waited for (Lambda cannot stop them) and recorded.
"""

from __future__ import annotations

import queue
import random as randomness
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ...domain.map_outcome import (
    MAP_STOPPERS,
    Backoff,
    error_type_of,
    map_exit_status,
    results_record,
)
from ...domain.remote_event import RemoteInvoker
from ...domain.remote_outcome import (
    Answered,
    describe_failure,
    remote_exit_status,
)
from .map_blocks import item_block
from .map_item import Attempts, Finished, MapJob, run_item

POLL_SECONDS = 0.2
"""How often the main thread looks for a stop request and refreshes the progress line."""


class MapOutput(Protocol):
    """Where the map writes: blocks (standard output), messages and progress (standard error)."""

    def write(self, data: bytes) -> None: ...
    def message(self, text: str) -> None: ...
    def progress(self, *, done: int, running: int, failed: int, throttled: int) -> None: ...


class ResultsSink(Protocol):
    def append(self, record: Mapping[str, object]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Crashed:
    error: BaseException


class MapRun:
    """Runs `jobs` through `invoker`, `concurrency` at a time; `run` returns the exit status."""

    def __init__(
        self,
        invoker: RemoteInvoker,
        jobs: Sequence[MapJob],
        *,
        concurrency: int,
        output: MapOutput,
        results: ResultsSink | None = None,
        tag: bool = False,
        backoff: Backoff = Backoff(),  # noqa: B008 - frozen, shared safely
        random: Callable[[], float] = randomness.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._invoker = invoker
        self._jobs: queue.SimpleQueue[MapJob] = queue.SimpleQueue()
        for job in jobs:
            self._jobs.put(job)
        self._workers = [
            threading.Thread(target=self._work, name=f"map-{number}", daemon=True)
            for number in range(min(concurrency, len(jobs)))
        ]
        self._output, self._results, self._tag = output, results, tag
        self._stopping = threading.Event()
        self._attempts = Attempts(
            backoff=backoff, random=random, clock=clock, stopping=self._stopping
        )
        self._finished: queue.SimpleQueue[Finished | _Crashed | None] = queue.SimpleQueue()
        self._stop_requested = False
        self._done = self._failed = 0
        self._hinted = False

    def stop(self) -> None:
        """Start no new item. Safe in a signal handler: it only sets a flag."""
        self._stop_requested = True

    def run(self) -> int:
        """Run until every item ended, or a stop; 0, failures up to 100, 101, 255 or 130."""
        for worker in self._workers:
            worker.start()
        fatal: str | None = None
        interrupted = False
        while True:
            try:
                finished = self._finished.get(timeout=POLL_SECONDS)
            except queue.Empty:
                finished = None
            if self._stop_requested and not interrupted:
                interrupted = True
                self._stopping.set()
                self._output.message(
                    "Interrupted: no new item starts. Waiting for the "
                    f"{self._attempts.running} running (Lambda cannot stop them) to record "
                    "their results..."
                )
            if isinstance(finished, _Crashed):
                fatal = fatal or f"The map stopped: {finished.error}"
                self._stopping.set()
            elif isinstance(finished, Finished) and self._report(finished) in MAP_STOPPERS:
                fatal = fatal or "The map stopped: no other item would get further."
                self._stopping.set()
            self._show_progress()
            idle = not any(worker.is_alive() for worker in self._workers)
            if finished is None and idle and self._finished.empty():
                break
        return self._conclude(fatal, interrupted=interrupted)

    def _conclude(self, fatal: str | None, *, interrupted: bool) -> int:
        left = self._jobs.qsize()
        summary = f"{_count(self._done, 'item')} ended: {self._done - self._failed} succeeded, "
        summary += f"{self._failed} failed"
        if throttled := self._attempts.throttled:
            summary += f" (Lambda throttled {_count(throttled, 'attempt')}; they were retried)"
        summary += f"; {left} not started." if left else "."
        self._output.message(summary)
        if fatal is not None:
            self._output.message(fatal)
            return 255
        if interrupted:
            self._output.message(
                "Interrupted: the running items ended and were recorded; "
                "rerun with the same --results FILE to run the rest."
            )
            return 130
        return map_exit_status(self._failed)

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            try:
                finished = run_item(self._invoker, job, self._attempts)
            except BaseException as error:  # boto3 missing, or a fault of ours: stop the map
                self._stopping.set()
                self._finished.put(_Crashed(error))
                return
            if finished is None:  # stopped while waiting out a throttle: it never started
                self._jobs.put(job)
                return
            if remote_exit_status(finished.outcome) in MAP_STOPPERS:
                self._stopping.set()  # at once: the other workers start nothing more
            self._finished.put(finished)

    def _report(self, finished: Finished) -> int:
        outcome, item = finished.outcome, finished.job.item
        status = remote_exit_status(outcome)
        self._done += 1
        self._failed += status != 0
        if self._results is not None:
            record = results_record(
                item,
                outcome,
                finished.output,
                duration=finished.duration,
                throttles=finished.throttles,
            )
            self._results.append(record)
        error_type = error_type_of(outcome)
        self._output.write(item_block(item.line, status, error_type, finished.output, self._tag))
        if status != 0:
            description = describe_failure(outcome) or f"exit status {status}"
            if finished.throttles and error_type == "TooManyRequestsException":
                description += f" (throttled {finished.throttles} times)"
            self._output.message(f"line {item.line}: {description}")
            tail = outcome.log_tail if isinstance(outcome, Answered) else None
            if finished.job.invocation.log_tail and tail:
                self._output.message(f"line {item.line}: the end of its log:\n{tail.rstrip()}")
            if error_type == "InvalidEvent" and "'stream'" in description and not self._hinted:
                self._hinted = True
                self._output.message(
                    "The function's runtime cannot stream its output: add --no-stream."
                )
        return status

    def _show_progress(self) -> None:
        self._output.progress(
            done=self._done,
            running=self._attempts.running,
            failed=self._failed,
            throttled=self._attempts.throttled,
        )


def _count(number: int, noun: str) -> str:
    """`1 item`, `2 items`: the summary reads as a sentence whatever the count."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
