"""Domain: Terraform's lifecycle in an event: what each action of `lifecycle_scope = "CRUD"` runs.

With `lifecycle_scope = "CRUD"`, `aws_lambda_invocation` adds to the event, under its
`terraform_key` (default `"tf"`), `{"action": "create"|"update"|"delete", "prev_input": ...}`.
A create or an update runs the event's command; a delete runs the event's `onDelete` (command
fields that replace the event's own, as an event's replace a default command's), or nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .allowlist import Lock
from .command import CommandSpec
from .errors import InvalidEvent, ProgramNotAllowed
from .event import COMMAND_FIELDS, ON_DELETE_FIELD, TERRAFORM_KEY, command_from_event
from .event_values import kind_of, unknown_field
from .policy import Success
from .result import Ending, ExecutionResult

KEY_VARIABLE = "RUN_COMMAND_TERRAFORM_KEY"
ACTION_VARIABLE = "RUN_COMMAND_TERRAFORM_ACTION"
_REQUEST_FIELDS = ("action", "prev_input")


class Action(enum.StrEnum):
    """What Terraform is doing to the `aws_lambda_invocation` resource."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What one event runs: `command`, or `None` for nothing (a delete without `onDelete`).

    `action` is Terraform's, `None` for an event without Terraform's key; `on_delete_ignored`
    says that such an event has an `onDelete`, which nothing runs. `stream` is the event's
    `stream`, which a run of nothing honours too.
    """

    command: CommandSpec | None
    action: Action | None = None
    on_delete_ignored: bool = False
    stream: bool = False

    @property
    def nothing_to_run(self) -> str:
        """Why nothing runs, for the log and the result body."""
        return (
            f'Terraform action "{self.action}": the event has no "{ON_DELETE_FIELD}", '
            "so nothing was run."
        )


def plan_from_event(
    event: object,
    default: CommandSpec | None = None,
    lock: Lock = Lock.NONE,
    *,
    terraform_key: str = TERRAFORM_KEY,
) -> Plan:
    """Validate `event` and say what it runs, for Terraform's action if it has one.

    Raises `InvalidEvent` naming the field, or `ProgramNotAllowed`, as `command_from_event`.
    An `onDelete` is checked whenever the event's command runs, so that a mistake in it fails
    `terraform apply`, not `terraform destroy`. The command of a Terraform event gets
    `RUN_COMMAND_TERRAFORM_ACTION`, over the event's own `environment`.
    """
    if not isinstance(event, Mapping):
        return Plan(command=command_from_event(event, default, lock, terraform_key=terraform_key))
    action = terraform_action(event, terraform_key)
    on_delete = _on_delete(event)
    own = {
        key: value for key, value in event.items() if key not in (terraform_key, ON_DELETE_FIELD)
    }
    stream = own.get("stream") is True
    if action is Action.DELETE and on_delete is None:
        return Plan(command=None, action=action, stream=stream)
    command = command_from_event(own, default, lock, terraform_key=terraform_key)
    if on_delete is not None:
        deleting = _on_delete_command(own, on_delete, default, lock, terraform_key)
        command = deleting if action is Action.DELETE else command
    if action is not None:
        command = replace(command, environment={**command.environment, ACTION_VARIABLE: action})
    ignored = on_delete is not None and action is None
    return Plan(command=command, action=action, on_delete_ignored=ignored, stream=stream)


def nothing_run(plan: Plan) -> Success:
    """The verdict on a plan without a command: a success, whose body says nothing was run."""
    result = ExecutionResult(program="", ending=Ending.NOTHING_TO_RUN, detail=plan.nothing_to_run)
    return Success(result=result)  # as `judge` has it


def terraform_action(event: Mapping[Any, object], key: str = TERRAFORM_KEY) -> Action | None:
    """The action under Terraform's `key`, `None` without one; raises `InvalidEvent`."""
    request = event.get(key)
    if request is None:
        return None
    shape = '{"action": "create", "prev_input": null}'
    if not isinstance(request, Mapping):
        raise InvalidEvent(
            f'"{key}" must be an object like {shape}, as aws_lambda_invocation sends it with '
            f'lifecycle_scope = "CRUD", not {kind_of(request)}.'
        )
    for name in request:
        if name not in _REQUEST_FIELDS:
            shown = repr(name) if isinstance(name, str) else kind_of(name)
            raise InvalidEvent(
                f'Unknown field {shown} in "{key}": it holds only "action" and "prev_input".'
            )
    action = request.get("action")
    choices = ", ".join(f'"{choice}"' for choice in Action)
    if not isinstance(action, str) or action not in set(Action):
        shown = repr(action) if isinstance(action, str) else kind_of(action)
        raise InvalidEvent(f'"{key}.action" must be one of {choices}, not {shown}.')
    previous = request.get("prev_input")
    if previous is not None and not isinstance(previous, Mapping):
        raise InvalidEvent(
            f'"{key}.prev_input" must be an object (the previous input) or null, '
            f"not {kind_of(previous)}."
        )
    return Action(action)


def guarded_key(key: str, action: Action | None) -> str:
    """The idempotency key an action claims: each action of a key is an intent of its own."""
    return key if action is None else f"{key}#{action}"


def _on_delete(event: Mapping[Any, object]) -> Mapping[Any, object] | None:
    on_delete = event.get(ON_DELETE_FIELD)
    if on_delete is None:
        return None
    if not isinstance(on_delete, Mapping):
        raise InvalidEvent(
            f'"{ON_DELETE_FIELD}" must be an object of the fields that replace the event\'s own '
            f'on a Terraform delete, not {kind_of(on_delete)}. Example: "{ON_DELETE_FIELD}": '
            '{"arguments": ["migrate", "down"]}'
        )
    for name in on_delete:
        if name not in COMMAND_FIELDS:
            raise unknown_field(name, COMMAND_FIELDS, f'"{ON_DELETE_FIELD}"')
    return on_delete


def _on_delete_command(
    own: Mapping[Any, object],
    on_delete: Mapping[Any, object],
    default: CommandSpec | None,
    lock: Lock,
    terraform_key: str,
) -> CommandSpec:
    """`onDelete` over the event, as an event over a default command: `program` replaces the
    command line, `arguments` the arguments, `environment` adds; the rest replaces."""
    event = {**own, **on_delete}
    if "program" in on_delete and "arguments" not in on_delete:
        event.pop("arguments", None)
    environment, added = own.get("environment"), on_delete.get("environment")
    if isinstance(environment, Mapping) and isinstance(added, Mapping):
        event["environment"] = {**environment, **added}
    try:
        return command_from_event(event, default, lock, terraform_key=terraform_key)
    except InvalidEvent as error:
        raise InvalidEvent(f'In "{ON_DELETE_FIELD}": {error}') from None
    except ProgramNotAllowed as error:
        raise ProgramNotAllowed(f'In "{ON_DELETE_FIELD}": {error}') from None
