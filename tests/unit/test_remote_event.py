"""Unit: the event `--invoke` builds from the command line and `--event`."""

from __future__ import annotations

import json

import pytest

from run_command_on_aws_lambda.domain.remote_event import EventOptionError, build_event


def built(command: list[str], event: bytes | None, *, stream: bool = False) -> object:
    return json.loads(build_event(command, event, stream=stream))


def test_the_command_line_gives_program_and_arguments() -> None:
    """`-- sh -c 'exit 3'` becomes program and arguments."""
    assert built(["sh", "-c", "exit 3"], None) == {"program": "sh", "arguments": ["-c", "exit 3"]}


def test_no_command_and_no_event_runs_the_functions_default_command() -> None:
    """`{}` runs the function's default command, as locally."""
    assert built([], None) == {}
    assert built([], b"  \n") == {}


def test_the_event_option_gives_the_other_fields() -> None:
    """--event adds environment, timeout and the rest to the command of the command line."""
    event = b'{"environment": {"STAGE": "test"}, "timeout": 60}'
    assert built(["env"], event, stream=True) == {
        "environment": {"STAGE": "test"},
        "timeout": 60,
        "program": "env",
        "arguments": [],
        "stream": True,
    }


def test_an_event_alone_is_sent_as_it_is() -> None:
    """Without a command on the command line, --event is the whole event."""
    assert built([], b'{"program": "id", "argument": []}') == {"program": "id", "argument": []}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (b"{not json", "--event is not valid JSON"),
        (b"[1, 2]", "--event must be a JSON object, not list"),
    ],
)
def test_an_event_that_is_no_json_object_is_refused(event: bytes, message: str) -> None:
    """Caught here, with the reason, before anything is sent."""
    with pytest.raises(EventOptionError, match=message):
        build_event([], event, stream=False)


def test_a_program_given_both_ways_is_refused() -> None:
    """Choosing one silently would run a command nobody asked for."""
    with pytest.raises(EventOptionError, match='--event sets "program"'):
        build_event(["id"], b'{"program": "ls"}', stream=False)


def test_the_idempotency_key_option_becomes_the_events_key() -> None:
    """--idempotency-key migrate-4.2 adds "idempotencyKey" to the event, as given."""
    event = json.loads(build_event(["migrate"], None, stream=False, idempotency_key="migrate-4.2"))
    assert event == {"program": "migrate", "arguments": [], "idempotencyKey": "migrate-4.2"}


def test_the_same_key_in_the_event_and_the_option_is_fine() -> None:
    """Giving one key both ways is not a conflict."""
    payload = build_event([], b'{"idempotencyKey": "k"}', stream=False, idempotency_key="k")
    assert json.loads(payload) == {"idempotencyKey": "k"}


@pytest.mark.parametrize(
    ("event", "key", "fragment"),
    [
        (None, "", "must not be empty"),
        (None, "  ", "must not be empty"),
        (b'{"idempotencyKey": "a"}', "b", "give the key one way only"),
    ],
)
def test_an_unusable_or_conflicting_key_is_refused(
    event: bytes | None, key: str, fragment: str
) -> None:
    """An empty key, or two different keys, is an error before anything is invoked."""
    with pytest.raises(EventOptionError, match=fragment):
        build_event(["true"], event, stream=False, idempotency_key=key)
