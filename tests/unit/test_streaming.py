"""Unit: what a stream carries under its limit and buffer, and the note about what it left out."""

from __future__ import annotations

from run_command_on_aws_lambda.domain.streaming import NOTE_ROOM, StreamBudget

PLENTY = 1 << 30


def test_everything_is_streamed_with_room_and_under_the_limit_and_no_note_is_added() -> None:
    """Nothing dropped: nothing to say."""
    budget = StreamBudget(limit=10_000)
    assert budget.admit(100, PLENTY) == 100
    assert budget.admit(50, PLENTY) == 50
    assert budget.streamed == 150
    assert budget.note() == b""


def test_output_past_the_limit_less_the_note_s_room_is_dropped_and_counted() -> None:
    """The body (output and note) stays within the limit."""
    budget = StreamBudget(limit=NOTE_ROOM + 100)
    assert budget.admit(80, PLENTY) == 80
    assert budget.admit(80, PLENTY) == 20
    assert budget.admit(5, PLENTY) == 0
    assert budget.over_limit == 65
    note = budget.note()
    assert note == (
        b"[run-command-on-aws-lambda: 65 bytes of output were not streamed (over the stream "
        b"limit of 356 bytes); the function's log has all of it]\n"
    )
    assert budget.streamed + len(note) <= budget.limit


def test_output_that_finds_the_buffer_full_is_dropped_as_too_slow() -> None:
    """A slow connection: what does not fit in the room left is counted, not waited for."""
    budget = StreamBudget(limit=PLENTY)
    assert budget.admit(100, 30) == 30
    assert budget.admit(100, 0) == 0
    assert budget.too_slow == 170
    assert b"(while the stream could not keep up)" in budget.note()


def test_bytes_queued_but_never_sent_count_as_too_slow() -> None:
    """Out of time at the end: what was still queued is reported too."""
    budget = StreamBudget(limit=PLENTY)
    budget.admit(100, PLENTY)
    budget.unsent(40)
    assert (budget.streamed, budget.too_slow) == (60, 40)


def test_both_reasons_are_counted_apart_in_one_note() -> None:
    """One line says how many bytes for each reason, and the total."""
    budget = StreamBudget(limit=NOTE_ROOM + 10)
    budget.admit(8, 5)
    budget.admit(20, PLENTY)
    assert budget.note() == (
        b"[run-command-on-aws-lambda: 18 bytes of output were not streamed (15 over the stream "
        b"limit of 266 bytes, 3 while the stream could not keep up); "
        b"the function's log has all of it]\n"
    )


def test_the_note_starts_its_own_line_after_output_that_did_not_end_one() -> None:
    """`after_newline=False` puts a newline first."""
    budget = StreamBudget(limit=0)
    budget.admit(1, PLENTY)
    assert budget.note(after_newline=False) == (
        b"\n[run-command-on-aws-lambda: 1 byte of output was not streamed (over the stream "
        b"limit of 0 bytes); the function's log has all of it]\n"
    )


def test_a_limit_below_the_note_s_room_streams_no_output() -> None:
    """Nothing is streamed; the note says how much was left out."""
    budget = StreamBudget(limit=10)
    assert budget.admit(5, PLENTY) == 0
    assert budget.over_limit == 5
