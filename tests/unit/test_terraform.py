"""Unit: Terraform's lifecycle in an event: each action runs what it says, bad shapes are named."""

from __future__ import annotations

from typing import Any

import pytest

from run_command_on_aws_lambda.domain.allowlist import Lock
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import InvalidEvent, ProgramNotAllowed
from run_command_on_aws_lambda.domain.event import EVENT_FIELDS, command_from_event
from run_command_on_aws_lambda.domain.terraform import (
    Action,
    Plan,
    guarded_key,
    plan_from_event,
)

DEFAULT = CommandSpec(program="dotnet", arguments=("Migrate.dll",))
INPUT: dict[str, Any] = {
    "arguments": ["Migrate.dll", "up"],
    "environment": {"DB": "main"},
    "timeout": 840,
    "onDelete": {"arguments": ["Migrate.dll", "down"]},
}


def provider_event(
    action: str, input_: dict[str, Any] = INPUT, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The event aws_lambda_invocation sends with lifecycle_scope = "CRUD" (terraform_key tf)."""
    if action == "create":
        previous = None
    elif action == "delete":
        previous = input_
    return {**input_, "tf": {"action": action, "prev_input": previous}}


def plan(event: object, **settings: Any) -> Plan:
    return plan_from_event(event, DEFAULT, **settings)


@pytest.mark.parametrize("action", ["create", "update"])
def test_create_and_update_run_the_events_command_with_the_action(action: str) -> None:
    """The event's own command, its onDelete kept aside, RUN_COMMAND_TERRAFORM_ACTION added."""
    planned = plan(provider_event(action, previous={"arguments": ["old"]}))
    assert planned.action is Action(action)
    assert planned.command == CommandSpec(
        program="dotnet",
        arguments=("Migrate.dll", "up"),
        environment={"DB": "main", "RUN_COMMAND_TERRAFORM_ACTION": action},
        timeout=840,
    )
    assert planned.on_delete_ignored is False


def test_a_delete_runs_on_delete_over_the_event() -> None:
    """onDelete's arguments replace the event's; its environment and timeout stay."""
    planned = plan(provider_event("delete"))
    assert planned.action is Action.DELETE
    assert planned.command == CommandSpec(
        program="dotnet",
        arguments=("Migrate.dll", "down"),
        environment={"DB": "main", "RUN_COMMAND_TERRAFORM_ACTION": "delete"},
        timeout=840,
    )


def test_a_delete_without_on_delete_runs_nothing() -> None:
    """No command, and the reason, naming the action and the missing field."""
    event = provider_event("delete", {"arguments": ["Migrate.dll", "up"], "stream": True})
    planned = plan(event)
    assert planned.command is None
    assert planned.action is Action.DELETE
    assert planned.stream is True
    assert planned.nothing_to_run == (
        'Terraform action "delete": the event has no "onDelete", so nothing was run.'
    )


@pytest.mark.parametrize(
    ("on_delete", "expected"),
    [
        ({"program": "psql"}, CommandSpec(program="psql", environment={"DB": "main"})),
        (
            {"program": "psql", "arguments": ["-c", "drop"]},
            CommandSpec(program="psql", arguments=("-c", "drop"), environment={"DB": "main"}),
        ),
        (
            {"environment": {"DB": "other", "MODE": "down"}},
            CommandSpec(
                program="dotnet",
                arguments=("Migrate.dll", "up"),
                environment={"DB": "other", "MODE": "down"},
            ),
        ),
        (
            {"timeout": 5, "directory": "/tmp", "input": "yes\n", "ports": [8080]},
            CommandSpec(
                program="dotnet",
                arguments=("Migrate.dll", "up"),
                environment={"DB": "main"},
                timeout=5,
                directory="/tmp",
                input="yes\n",
                ports=(8080,),
            ),
        ),
        (
            {},
            CommandSpec(
                program="dotnet", arguments=("Migrate.dll", "up"), environment={"DB": "main"}
            ),
        ),
    ],
    ids=[
        "program-replaces-the-line",
        "program-and-arguments",
        "environment-adds",
        "the-rest",
        "empty",
    ],
)
def test_on_delete_replaces_the_events_fields_as_an_event_replaces_a_defaults(
    on_delete: dict[str, Any], expected: CommandSpec
) -> None:
    """program replaces the command line, arguments the arguments, environment adds."""
    event = {
        "arguments": ["Migrate.dll", "up"],
        "environment": {"DB": "main"},
        "onDelete": on_delete,
        "tf": {"action": "delete", "prev_input": {}},
    }
    command = plan(event).command
    assert command is not None
    assert command == CommandSpec(
        program=expected.program,
        arguments=expected.arguments,
        environment={**expected.environment, "RUN_COMMAND_TERRAFORM_ACTION": "delete"},
        timeout=expected.timeout,
        directory=expected.directory,
        input=expected.input,
        ports=expected.ports,
    )


def test_the_action_wins_over_a_variable_of_the_same_name_in_the_event() -> None:
    """The provider's action is the truth: the event cannot pretend to be another one."""
    event = {"environment": {"RUN_COMMAND_TERRAFORM_ACTION": "create"}, **provider_event("update")}
    command = plan(event).command
    assert command is not None
    assert command.environment["RUN_COMMAND_TERRAFORM_ACTION"] == "update"


def test_an_event_without_the_terraform_key_runs_as_always_and_ignores_on_delete() -> None:
    """Without tf, onDelete is accepted and ignored (one input for both scopes); no action."""
    planned = plan(INPUT)
    assert planned.action is None
    assert planned.on_delete_ignored is True
    assert planned.command == CommandSpec(
        program="dotnet", arguments=("Migrate.dll", "up"), environment={"DB": "main"}, timeout=840
    )


def test_null_is_no_terraform_key_and_no_on_delete() -> None:
    """As for every field, null means absent."""
    planned = plan({"tf": None, "onDelete": None})
    assert planned == Plan(command=DEFAULT)


def test_a_renamed_key_is_read_and_tf_becomes_an_unknown_field() -> None:
    """RUN_COMMAND_TERRAFORM_KEY=lifecycle: that key holds the action; the field list says so."""
    event = {"lifecycle": {"action": "delete", "prev_input": {}}, "onDelete": {"arguments": []}}
    planned = plan(event, terraform_key="lifecycle")
    assert planned.action is Action.DELETE
    with pytest.raises(InvalidEvent) as caught:
        plan({"tf": {"action": "delete", "prev_input": {}}}, terraform_key="lifecycle")
    assert "Unknown field 'tf' in the event." in str(caught.value)
    assert str(caught.value).endswith("stream, onDelete, lifecycle.")


def test_the_unknown_field_message_lists_on_delete_and_the_terraform_key() -> None:
    """Both are fields of the event, defined with the others."""
    assert EVENT_FIELDS[-2:] == ("onDelete", "tf")
    with pytest.raises(InvalidEvent) as caught:
        plan({"onDelte": {}})
    assert 'Did you mean "onDelete"?' in str(caught.value)
    assert "onDelete, tf." in str(caught.value)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"tf": "delete"}, '"tf" must be an object like {"action": "create", "prev_input": null}'),
        ({"tf": ["delete"]}, "as aws_lambda_invocation sends it with lifecycle_scope"),
        (
            {"tf": {"prev_input": None}},
            '"tf.action" must be one of "create", "update", "delete", not null.',
        ),
        ({"tf": {"action": "destroy"}}, "not 'destroy'."),
        ({"tf": {"action": "DELETE"}}, '"tf.action" must be one of'),
        ({"tf": {"action": 1}}, "not a number."),
        ({"tf": {"action": "update", "prev_input": []}}, '"tf.prev_input" must be an object'),
        ({"tf": {"action": "update", "prev_input": "{}"}}, "or null, not a string."),
        ({"tf": {"action": "create", "prev": None}}, "Unknown field 'prev' in \"tf\""),
    ],
)
def test_invalid_terraform_keys_are_invalid_events_naming_the_field(
    event: dict[str, Any], message: str
) -> None:
    """Only the shape aws_lambda_invocation sends is a Terraform event."""
    with pytest.raises(InvalidEvent) as caught:
        plan(event)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("on_delete", "message"),
    [
        ({"onDelete": ["down"]}, '"onDelete" must be an object of the fields'),
        (
            {"onDelete": {"argument": []}},
            'Unknown field \'argument\' in "onDelete". Did you mean "arguments"?',
        ),
        ({"onDelete": {"stream": True}}, "Unknown field 'stream' in \"onDelete\""),
        ({"onDelete": {"onDelete": {}}}, "Unknown field 'onDelete' in \"onDelete\""),
        (
            {"onDelete": {"arguments": "down"}},
            'In "onDelete": "arguments" must be a list of strings',
        ),
        ({"onDelete": {"timeout": 0}}, 'In "onDelete": "timeout" must be a number of seconds'),
    ],
)
@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_invalid_on_deletes_are_invalid_events_naming_the_field(
    on_delete: dict[str, Any], message: str, action: str
) -> None:
    """Whatever the action: a mistake in onDelete fails terraform apply, not only destroy."""
    with pytest.raises(InvalidEvent) as caught:
        plan({**on_delete, "tf": {"action": action, "prev_input": None}})
    assert message in str(caught.value)


def test_a_mistake_in_on_delete_is_named_without_the_terraform_key_too() -> None:
    """An ignored onDelete is still checked: an unknown field is an InvalidEvent anywhere."""
    with pytest.raises(InvalidEvent, match="Unknown field 'argument' in \"onDelete\""):
        plan({"onDelete": {"argument": ["down"]}})


def test_a_locked_command_takes_the_terraform_key_but_not_on_delete() -> None:
    """tf does not change what runs; onDelete does, and RUN_COMMAND_LOCK=command refuses it."""
    created = plan({"tf": {"action": "create", "prev_input": None}}, lock=Lock.COMMAND)
    assert created.command is not None
    assert created.command.argv == DEFAULT.argv
    deleted = plan({"tf": {"action": "delete", "prev_input": {}}}, lock=Lock.COMMAND)
    assert deleted.command is None
    with pytest.raises(ProgramNotAllowed, match='In "onDelete": This function runs only'):
        plan(
            {"onDelete": {"arguments": ["down"]}, "tf": {"action": "create", "prev_input": None}},
            lock=Lock.COMMAND,
        )


def test_a_locked_program_refuses_a_program_in_on_delete() -> None:
    """RUN_COMMAND_LOCK=program: onDelete may change the arguments, not the program."""
    event = {"onDelete": {"arguments": ["down"]}, "tf": {"action": "delete", "prev_input": {}}}
    command = plan(event, lock=Lock.PROGRAM).command
    assert command is not None
    assert command.argv == ("dotnet", "down")
    with pytest.raises(ProgramNotAllowed):
        plan({**event, "onDelete": {"program": "rm"}}, lock=Lock.PROGRAM)


def test_an_event_that_is_not_an_object_is_refused_as_always() -> None:
    """The same message as without Terraform."""
    with pytest.raises(InvalidEvent, match="must be a JSON object, not a list"):
        plan([])


@pytest.mark.parametrize("field", ["tf", "onDelete"])
def test_command_from_event_refuses_what_only_a_plan_can_read(field: str) -> None:
    """A library caller gets no command that ignores the action: it is told to plan instead."""
    with pytest.raises(InvalidEvent, match="Read it with plan_from_event"):
        command_from_event({field: {"action": "delete"}}, DEFAULT)


def test_each_action_guards_a_key_of_its_own() -> None:
    """A delete is never answered with the create's stored outcome; other events keep theirs."""
    assert guarded_key("migrate-4.2", None) == "migrate-4.2"
    keys = {guarded_key("migrate-4.2", action) for action in Action}
    assert keys == {"migrate-4.2#create", "migrate-4.2#update", "migrate-4.2#delete"}
