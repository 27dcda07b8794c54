"""Unit, property-based: whatever bytes or JSON arrive, the decoder answers cleanly.

Every case ends in a command or in an `InvalidEvent`; nothing else ever escapes, and either
can be answered: its error or result body encodes, whatever text the event held.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from run_command_on_aws_lambda.adapters.wire import decode_event, encode_verdict
from run_command_on_aws_lambda.domain.command import CommandSpec, os_bytes
from run_command_on_aws_lambda.domain.errors import InvalidEvent
from run_command_on_aws_lambda.domain.event import EVENT_FIELDS
from run_command_on_aws_lambda.domain.masking import secret_values
from run_command_on_aws_lambda.domain.policy import invalid_event, judge
from run_command_on_aws_lambda.domain.result import Ending, ExecutionResult
from run_command_on_aws_lambda.domain.terraform import Plan, nothing_run, plan_from_event
from tests.hostile_json import event_texts, value_texts

FUZZ_EXAMPLES = 500
HOSTILE_EXAMPLES = 300

# Any text, lone surrogates included (Hypothesis leaves them out unless asked).
any_character = st.characters(exclude_categories=[])
texts = st.text(any_character)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts,
    lambda children: st.lists(children) | st.dictionaries(texts, children),
    max_leaves=20,
)

# Events that look almost right: known field names with arbitrary values, plus an odd typo.
near_events = st.dictionaries(
    st.sampled_from([*EVENT_FIELDS, "argument", "env", "Program"]), json_values, max_size=8
)


Outcome = CommandSpec | Plan | InvalidEvent  # a Plan when nothing runs (a Terraform delete)


def decode(payload: bytes) -> Outcome:
    try:
        plan = plan_from_event(decode_event(payload))
    except InvalidEvent as error:
        return error
    return plan if plan.command is None else plan.command


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_become_a_command_or_an_invalid_event(payload: bytes) -> None:
    """Random bytes never crash the decoder."""
    outcome = decode(payload)
    assert isinstance(outcome, Outcome)
    if isinstance(outcome, InvalidEvent):
        assert str(outcome)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(json_values)
def test_arbitrary_json_becomes_a_command_or_an_invalid_event(value: object) -> None:
    """Any JSON document is either a valid command or a named mistake."""
    outcome = decode(json.dumps(value).encode())
    assert isinstance(outcome, Outcome)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(near_events)
def test_events_with_known_fields_and_wrong_values_are_validated_field_by_field(
    event: dict[str, object],
) -> None:
    """A command that comes out has exactly the types the documentation promises."""
    outcome = decode(json.dumps(event).encode())
    if isinstance(outcome, CommandSpec):
        assert set(event) <= set(EVENT_FIELDS)
        assert outcome.program
        assert "\0" not in outcome.program
        assert all(isinstance(argument, str) for argument in outcome.arguments)
        assert all(1 <= port <= 65535 for port in outcome.ports)
        assert outcome.timeout is None or outcome.timeout > 0
    else:
        assert str(outcome)


def test_a_huge_integer_is_an_invalid_event_not_a_crash() -> None:
    """Python refuses integers of over 4300 digits; that is the event's fault."""
    outcome = decode(b'{"program": "id", "timeout": ' + b"9" * 5000 + b"}")
    assert isinstance(outcome, InvalidEvent)
    assert "not valid JSON" in str(outcome)


def assert_answerable(outcome: Outcome) -> None:
    """The invalid event's error body, nothing run's result, or a not-found body, encodes."""
    if isinstance(outcome, InvalidEvent):
        body = encode_verdict(invalid_event(str(outcome)), request_id="fuzz")
        assert json.loads(body.decode("utf-8"))["errorMessage"] == str(outcome)
        return
    if isinstance(outcome, Plan):
        body = encode_verdict(nothing_run(outcome))
        assert json.loads(body.decode("utf-8"))["reason"] == "nothing-to-run"
        return
    for text in (*outcome.argv, *outcome.environment, *outcome.environment.values()):
        assert b"\0" not in os_bytes(text)
    secret_values(outcome.environment)
    result = ExecutionResult(program=outcome.program, ending=Ending.NOT_FOUND, detail="fuzz")
    body = encode_verdict(judge(result), request_id="fuzz")
    assert json.loads(body.decode("utf-8"))["program"] == outcome.program


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None)
@given(value_texts)
def test_hostile_json_text_is_decoded_or_refused_and_either_can_be_answered(text: str) -> None:
    """Lone surrogate escapes, NaN, 1e999, huge integers, controls: all end cleanly."""
    outcome = decode(text.encode())
    assert isinstance(outcome, Outcome)
    assert_answerable(outcome)


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None)
@given(event_texts())
def test_hostile_values_in_every_field_are_validated_and_answerable(text: str) -> None:
    """Every field, environment names and values too, holding what JSON text can say."""
    outcome = decode(text.encode())
    assert isinstance(outcome, Outcome)
    assert_answerable(outcome)


def test_an_integer_too_large_for_a_float_is_an_invalid_timeout_not_a_crash() -> None:
    """400 digits parse as an integer, but no float holds them (found by the text fuzzer)."""
    outcome = decode(b'{"program": "id", "timeout": -' + b"9" * 400 + b"}")
    assert isinstance(outcome, InvalidEvent)
    assert '"timeout" must be a number of seconds greater than 0' in str(outcome)
