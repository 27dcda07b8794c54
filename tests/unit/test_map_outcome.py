"""Unit: `--map`'s exit status, throttle backoff, and results lines."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.map_items import MapItem
from run_command_on_aws_lambda.domain.map_outcome import (
    Backoff,
    is_throttle,
    map_exit_status,
    results_record,
    succeeded_items,
)
from run_command_on_aws_lambda.domain.remote_outcome import (
    Answered,
    ConnectionLost,
    NotSent,
    NotSentReason,
    Refused,
)

ITEM = MapItem(line=4, digest="ab" * 32, fields={})
THROTTLED = Refused(code="TooManyRequestsException", message="Rate Exceeded.", http_status=429)


@pytest.mark.parametrize(
    ("failed", "status"), [(0, 0), (1, 1), (3, 3), (100, 100), (101, 101), (5000, 101)]
)
def test_the_exit_status_counts_failures_up_to_100(failed: int, status: int) -> None:
    """As GNU parallel: the number of failed items, 101 for more than 100."""
    assert map_exit_status(failed) == status


def test_only_a_throttle_is_a_throttle() -> None:
    """429 TooManyRequestsException is retried; other refusals and lost answers are not."""
    assert is_throttle(THROTTLED)
    assert is_throttle(Refused(code="Unknown", message="", http_status=429))
    assert not is_throttle(Refused(code="ResourceNotFoundException", message="", http_status=404))
    assert not is_throttle(ConnectionLost(message="reset"))
    assert not is_throttle(Answered(request_id="r", error_type="CommandFailed"))


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    """With the random part at its top, waits double from `base` until `cap`."""
    backoff = Backoff(base=0.1, cap=1.0, deadline=1000)
    waits = [backoff.wait(attempt, 0.0, lambda: 1.0) for attempt in range(6)]
    assert waits == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_backoff_waits_a_random_part_of_its_ceiling() -> None:
    """Full jitter: the wait is the random number times the ceiling."""
    backoff = Backoff(base=0.1, cap=5.0, deadline=1000)
    assert backoff.wait(3, 0.0, lambda: 0.25) == pytest.approx(0.2)
    assert backoff.wait(3, 0.0, lambda: 0.0) == 0.0


def test_backoff_gives_up_when_the_wait_would_pass_the_deadline() -> None:
    """Past the deadline, no more waits: the throttle becomes the item's failure."""
    backoff = Backoff(base=1.0, cap=4.0, deadline=10.0)
    assert backoff.wait(2, 5.9, lambda: 1.0) == pytest.approx(4.0)
    assert backoff.wait(2, 6.1, lambda: 1.0) is None
    assert backoff.wait(1000, 0.0, lambda: 1.0) == pytest.approx(4.0)  # no overflow


def test_a_results_line_names_the_item_its_status_and_the_end_of_its_output() -> None:
    """Line number, hash, request id, exit status, errorType, duration, throttles, tail."""
    outcome = Answered(request_id="req-1", error_type="CommandFailed", error_body={"exitCode": 3})
    record = results_record(ITEM, outcome, b"x" * 5000 + b"end\n", duration=1.23456, throttles=2)
    assert record == {
        "line": 4,
        "hash": ITEM.digest,
        "requestId": "req-1",
        "status": 3,
        "errorType": "CommandFailed",
        "duration": 1.235,
        "throttles": 2,
        "output": ("x" * 5000 + "end\n")[-4096:],
    }


def test_a_results_line_of_what_never_reached_lambda() -> None:
    """Nothing sent: no request id, errorType NotSent, status 205 for an unreachable endpoint."""
    outcome = NotSent(reason=NotSentReason.UNREACHABLE, message="refused")
    record = results_record(ITEM, outcome, b"", duration=0.0, throttles=0)
    assert (record["requestId"], record["status"], record["errorType"]) == (None, 205, "NotSent")


def test_a_rerun_skips_only_items_recorded_as_succeeded() -> None:
    """Status 0 records count; failures, odd records and `false` statuses do not."""
    records: list[dict[str, object]] = [
        {"line": 1, "hash": "a", "status": 0},
        {"line": 2, "hash": "b", "status": 3},
        {"line": 3, "hash": "c", "status": False},
        {"line": "4", "hash": "d", "status": 0},
        {"line": 1, "hash": "a", "status": 0},
        {"hash": "e", "status": 0},
    ]
    assert succeeded_items(records) == {(1, "a")}
