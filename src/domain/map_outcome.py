"""Domain: what `--map` makes of each item's outcome: retry, record, and the map's exit status.

The exit status is GNU parallel's: 0 when every item succeeded, the number of failed items up
to 100, 101 for more, 255 when the map itself could not run. A throttle (429) means the
command did not start: the item is tried again after a jittered, growing wait, without limit
in count but within a deadline. Every other failure is that item's, and is never re-sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .map_items import MapItem
from .remote_outcome import (
    Answered,
    ClientStatus,
    ConnectionLost,
    InvokeOutcome,
    NotSent,
    Refused,
    remote_exit_status,
)

EXIT_MAP_FAILED = 255
"""The map itself could not run: a bad file, no such function, no credentials."""

MAX_COUNTED_FAILURES = 100
"""Up to this many failed items, the exit status is their number; more give 101."""

OUTPUT_TAIL_CHARACTERS = 4096
"""How much of an item's output its results line keeps: the end, where errors are."""

MAP_STOPPERS = frozenset(
    {
        ClientStatus.FUNCTION_NOT_FOUND,
        ClientStatus.ACCESS_DENIED,
        ClientStatus.NOT_CONFIGURED,
        ClientStatus.UNREACHABLE,
    }
)
"""Statuses that no other item would escape: the map stops launching and exits 255."""


def map_exit_status(failed: int) -> int:
    """0 when nothing failed, else the number of failed items, 101 past 100."""
    return failed if failed <= MAX_COUNTED_FAILURES else MAX_COUNTED_FAILURES + 1


def is_throttle(outcome: InvokeOutcome) -> bool:
    """Lambda refused for lack of concurrency: the command did not start."""
    return isinstance(outcome, Refused) and (
        outcome.code == "TooManyRequestsException" or outcome.http_status == 429
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Exponential backoff with full jitter: wait a random part of `base` * 2^attempt, capped.

    (AWS's recommended schedule: the random part spreads throttled clients apart.)
    """

    base: float = 0.1
    cap: float = 5.0
    deadline: float = 900.0
    """Seconds after its first attempt that an item stops being retried."""

    def wait(self, attempt: int, elapsed: float, random: Callable[[], float]) -> float | None:
        """Seconds to wait before attempt `attempt` + 1 (counted from 0); None past the deadline.

        `random` gives a number in [0, 1); `elapsed` is the time since the first attempt.
        """
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 32))
        delay = ceiling * random()
        if elapsed + delay > self.deadline:
            return None
        return delay


def error_type_of(outcome: InvokeOutcome) -> str | None:
    """The results line's `errorType`: the function's, Lambda's refusal's, or what broke."""
    match outcome:
        case Answered(error_type=error_type):
            return error_type
        case Refused(code=code):
            return code
        case NotSent():
            return "NotSent"
        case ConnectionLost():
            return "ConnectionLost"
    return None


def results_record(
    item: MapItem,
    outcome: InvokeOutcome,
    output: bytes,
    *,
    duration: float,
    throttles: int,
) -> dict[str, object]:
    """The item's results line: what a rerun needs to skip it, and what a person reads."""
    request_id = outcome.request_id if not isinstance(outcome, NotSent) else None
    return {
        "line": item.line,
        "hash": item.digest,
        "requestId": request_id,
        "status": remote_exit_status(outcome),
        "errorType": error_type_of(outcome),
        "duration": round(duration, 3),
        "throttles": throttles,
        "output": output.decode(errors="replace")[-OUTPUT_TAIL_CHARACTERS:],
    }


def succeeded_items(records: Iterable[Mapping[str, object]]) -> set[tuple[int, str]]:
    """(line, hash) of every item `records` show as succeeded: a rerun skips them."""
    done = set()
    for record in records:
        line, digest, status = record.get("line"), record.get("hash"), record.get("status")
        if isinstance(line, int) and isinstance(digest, str) and _is_zero(status):
            done.add((line, digest))
    return done


def _is_zero(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0
