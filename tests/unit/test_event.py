"""Unit: events become commands, strictly; every mistake is named in the error."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import InvalidEvent
from run_command_on_aws_lambda.domain.event import EVENT_FIELDS, command_from_event

DEFAULT = CommandSpec(program="dotnet", arguments=("DatabaseMigrations.dll",))


def test_a_full_event_becomes_a_command_with_every_field() -> None:
    """Every documented field reaches the command."""
    spec = command_from_event(
        {
            "program": "psql",
            "arguments": ["-c", "select 1"],
            "environment": {"PGHOST": "db"},
            "ports": [5432, 8080],
            "timeout": 2.5,
            "directory": "/tmp",
            "input": "hello",
            "stream": True,
        }
    )
    assert spec.program == "psql"
    assert spec.arguments == ("-c", "select 1")
    assert dict(spec.environment) == {"PGHOST": "db"}
    assert spec.ports == (5432, 8080)
    assert spec.timeout == 2.5
    assert spec.directory == "/tmp"
    assert spec.input == "hello"
    assert spec.stream is True


def test_optional_fields_default_to_nothing() -> None:
    """Only `program` is needed."""
    spec = command_from_event({"program": "id"})
    assert spec == CommandSpec(program="id")
    assert spec.input is None
    assert spec.timeout is None
    assert spec.stream is False


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({}, DEFAULT),
        ({"arguments": ["--dry-run"]}, CommandSpec(program="dotnet", arguments=("--dry-run",))),
        ({"program": "ls"}, CommandSpec(program="ls")),
        (
            {"environment": {"A": "1"}},
            CommandSpec(
                program="dotnet", arguments=("DatabaseMigrations.dll",), environment={"A": "1"}
            ),
        ),
    ],
    ids=["empty-runs-default", "arguments-replace", "program-replaces-all", "environment-adds"],
)
def test_an_event_is_merged_over_the_default_command(
    event: dict[str, object], expected: CommandSpec
) -> None:
    """With a default command, an event may be {}, replace arguments, or add environment."""
    assert command_from_event(event, DEFAULT) == expected


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ([], "must be a JSON object, not a list"),
        ("id", "must be a JSON object, not a string"),
        (None, "must be a JSON object, not null"),
        ({}, 'has no "program" and no default command'),
        ({"program": ""}, '"program" must not be empty'),
        ({"program": 1}, '"program" must be a string, not a number'),
        ({"program": "id", "argument": []}, "Unknown field 'argument' in the event. Did you mean"),
        (
            {"program": "id", "arguments": "-l"},
            '"arguments" must be a list of strings, not a string',
        ),
        ({"program": "id", "arguments": ["a", 2]}, "item 1 is a number"),
        ({"program": "id", "environment": []}, '"environment" must be an object of strings'),
        ({"program": "id", "environment": {"PORT": 5432}}, "variable 'PORT' must be a string"),
        ({"program": "id", "environment": {"": "x"}}, "invalid variable name ''"),
        ({"program": "id", "environment": {"A=B": "x"}}, "invalid variable name 'A=B'"),
        ({"program": "id", "ports": 80}, '"ports" must be a list of port numbers'),
        ({"program": "id", "ports": [0]}, '"ports" item 0 must be a whole number from 1 to 65535'),
        ({"program": "id", "ports": [65536]}, "not 65536"),
        ({"program": "id", "ports": ["80"]}, "not a string"),
        ({"program": "id", "ports": [True]}, "not a boolean"),
        ({"program": "id", "timeout": 0}, '"timeout" must be a number of seconds greater than 0'),
        ({"program": "id", "timeout": -1}, "greater than 0, not -1"),
        ({"program": "id", "timeout": "5"}, '"timeout" must be a number of seconds, not a string'),
        ({"program": "id", "timeout": False}, "not a boolean"),
        ({"program": "id", "directory": ""}, '"directory" must not be empty'),
        ({"program": "id", "directory": 7}, '"directory" must be a string'),
        ({"program": "id", "input": 7}, '"input" must be a string'),
        ({"program": "i\0d"}, '"program" contains a NUL byte'),
        ({"program": "id", "arguments": ["\0"]}, '"arguments" item 0 contains a NUL byte'),
        ({"program": "id", "directory": "/t\0"}, '"directory" contains a NUL byte'),
        ({"program": "id", "input": "\0"}, '"input" contains a NUL byte'),
        ({"program": "id", "stream": "true"}, '"stream" must be true or false, not a string'),
        ({"program": "id", "stream": 1}, '"stream" must be true or false, not a number'),
        ({"program": "id", "stream": []}, '"stream" must be true or false, not a list'),
    ],
)
def test_invalid_events_are_rejected_with_a_message_naming_the_problem(
    event: object, fragment: str
) -> None:
    """Each mistake is an InvalidEvent whose message says what was wrong."""
    with pytest.raises(InvalidEvent) as caught:
        command_from_event(event)
    assert fragment in str(caught.value)


def test_an_environment_value_never_appears_in_an_error_message() -> None:
    """Values are often secrets: a bad one is described, not repeated."""
    with pytest.raises(InvalidEvent) as caught:
        command_from_event({"program": "id", "environment": {"TOKEN": "hunter2\0"}})
    assert "TOKEN" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_an_empty_input_is_allowed() -> None:
    """An empty `input` means: stdin is empty (and closed)."""
    assert command_from_event({"program": "cat", "input": ""}).input == ""


@pytest.mark.parametrize("value", [True, False, None])
def test_stream_is_a_boolean_and_null_means_false(value: bool | None) -> None:
    """`"stream": true` asks for a streamed response; false or null do not."""
    assert command_from_event({"program": "id", "stream": value}).stream is bool(value)


@pytest.mark.parametrize(
    ("field", "meant"),
    [
        ("idempotencykey", "idempotencyKey"),
        ("idempotency_key", "idempotencyKey"),
        ("Program", "program"),
    ],
)
def test_an_unknown_field_is_told_every_valid_field_and_the_closest(field: str, meant: str) -> None:
    """The list is EVENT_FIELDS, the one definition: a field added there is named too."""
    with pytest.raises(InvalidEvent) as raised:
        command_from_event({"program": "id", field: "x"})
    message = str(raised.value)
    assert f'Did you mean "{meant}"?' in message
    assert message.endswith(f"Valid fields are: {', '.join(EVENT_FIELDS)}.")
    assert "idempotencyKey" in EVENT_FIELDS


@pytest.mark.parametrize("key", ["", "  ", 42, None])
def test_an_unusable_idempotency_key_is_named_before_the_missing_guard(key: object) -> None:
    """No table and `"idempotencyKey": ""`: the key's own mistake comes first; null is absent."""
    with pytest.raises(InvalidEvent) as raised:
        command_from_event({"program": "id", "idempotencyKey": key})
    if key is None:
        assert "no idempotency guard" in str(raised.value)
    else:
        assert '"idempotencyKey" must be a non-empty string' in str(raised.value)


def test_an_idempotency_key_with_a_lone_surrogate_is_an_invalid_event() -> None:
    """JSON can carry "\\ud800", UTF-8 cannot: a named mistake, not a crash."""
    with pytest.raises(InvalidEvent, match="lone surrogate"):
        command_from_event({"program": "id", "idempotencyKey": "\ud800"})
