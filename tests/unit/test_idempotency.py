"""The idempotency key of an event, its canonical hash, and how a record reads."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.errors import InvalidEvent
from run_command_on_aws_lambda.domain.event import command_from_event
from run_command_on_aws_lambda.domain.idempotency import (
    Outcome,
    Reading,
    Record,
    Status,
    event_hash,
    idempotency_key,
    read_record,
    without_key,
)

NOW_MS = 1_800_000_000_000


def test_an_event_without_a_key_is_not_guarded() -> None:
    """No `idempotencyKey` (or null) means no guard: the key is None."""
    assert idempotency_key({"program": "true"}) is None
    assert idempotency_key({"program": "true", "idempotencyKey": None}) is None
    assert idempotency_key(["not", "an", "object"]) is None


def test_the_key_is_taken_as_given() -> None:
    """The caller's key is the key, unchanged."""
    assert idempotency_key({"idempotencyKey": "migrate-4.2"}) == "migrate-4.2"


@pytest.mark.parametrize("key", ["", "   ", 42, ["migrate"], {"k": "v"}, True])
def test_a_key_that_is_not_a_non_empty_string_is_an_invalid_event(key: object) -> None:
    """An unusable key is an InvalidEvent naming the field and showing an example."""
    with pytest.raises(InvalidEvent, match=r'"idempotencyKey" must be a non-empty string.*4\.2'):
        idempotency_key({"idempotencyKey": key})


def test_a_key_too_long_for_the_table_is_an_invalid_event() -> None:
    """DynamoDB's key limit is reported as the event's fault, with the limit."""
    with pytest.raises(InvalidEvent, match="longer than 1024 bytes"):
        idempotency_key({"idempotencyKey": "k" * 1025})


def test_the_command_sees_the_event_without_its_key() -> None:
    """The key is taken off before the event is validated as a command."""
    event = {"program": "true", "idempotencyKey": "k"}
    assert command_from_event(without_key(event)).program == "true"


def test_a_guarded_event_without_a_configured_guard_says_how_to_configure_one() -> None:
    """With no table configured, a key is an InvalidEvent naming RUN_COMMAND_IDEMPOTENCY_TABLE."""
    with pytest.raises(InvalidEvent, match="RUN_COMMAND_IDEMPOTENCY_TABLE") as caught:
        command_from_event({"program": "true", "idempotencyKey": "migrate-4.2"})
    assert "was not run" in str(caught.value)


def test_the_event_hash_ignores_key_order_and_spacing_but_not_values() -> None:
    """Two spellings of one event hash alike; any change of a value changes the hash."""
    first = event_hash({"program": "migrate", "arguments": ["up"], "environment": {"A": "1"}})
    same = event_hash({"environment": {"A": "1"}, "arguments": ["up"], "program": "migrate"})
    other = event_hash({"program": "migrate", "arguments": ["down"], "environment": {"A": "1"}})
    assert first == same
    assert first != other
    assert len(first) == 64


def test_how_the_outcome_is_delivered_is_no_part_of_the_hash() -> None:
    """A streamed first try and a plain retry of one command are the same event."""
    plain = event_hash({"program": "migrate"})
    assert event_hash({"program": "migrate", "stream": True}) == plain
    assert event_hash({"program": "migrate", "idempotencyKey": "k"}) == plain


def record(**changes: object) -> Record:
    fields: dict[str, object] = {
        "key": "k",
        "status": Status.IN_PROGRESS,
        "event_hash": "h",
        "request_id": "first",
        "expires_at": NOW_MS // 1000 + 100,
        "in_progress_until": NOW_MS + 5_000,
    }
    fields.update(changes)
    return Record(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        (None, Reading.FREE),
        (record(), Reading.BUSY),
        (record(in_progress_until=NOW_MS - 1), Reading.FREE),
        (record(in_progress_until=NOW_MS - 1, event_hash="other"), Reading.REUSED),
        (record(event_hash="other"), Reading.REUSED),
        (
            record(status=Status.COMPLETED, in_progress_until=None, outcome=Outcome(body="{}")),
            Reading.COMPLETED,
        ),
        (
            record(
                status=Status.COMPLETED,
                outcome=Outcome(body="{}"),
                expires_at=NOW_MS // 1000 - 1,
                event_hash="other",
            ),
            Reading.FREE,
        ),
    ],
)
def test_how_a_held_record_reads_for_an_invocation_that_wants_the_key(
    held: Record | None, expected: Reading
) -> None:
    """Expired or lapsed means free; another event's record is reused; else replay or wait."""
    assert read_record(held, "h", NOW_MS) is expected


def test_a_record_has_an_outcome_exactly_when_it_is_completed() -> None:
    """The record checks itself: no COMPLETED record without an outcome, nor the reverse."""
    with pytest.raises(ValueError, match="outcome"):
        record(status=Status.COMPLETED)
    with pytest.raises(ValueError, match="outcome"):
        record(outcome=Outcome(body="{}"))
