"""Domain: turn an untrusted event (already parsed from JSON) into a `CommandSpec`.

Every check names the field and says what was expected, because the person reading the
error is usually editing a Terraform file or a CI job, not this code. Values of
`environment` are never repeated in a message: they are often secrets.
"""

from __future__ import annotations

from collections.abc import Mapping

from .allowlist import LOCK_VARIABLE, Lock
from .command import CommandSpec
from .errors import InvalidEvent, ProgramNotAllowed
from .event_values import (
    environment_of,
    flag,
    kind_of,
    optional_text,
    ports_of,
    text_list,
    timeout_of,
    unknown_field,
)
from .idempotency_key import (
    IDEMPOTENCY_KEY_FIELD as IDEMPOTENCY_KEY_FIELD,  # noqa: PLC0414 - re-exported: it was here
)
from .idempotency_key import check_idempotency_key

# The fields that say what runs; also what Terraform's `onDelete` may hold.
COMMAND_FIELDS = (
    "program",
    "arguments",
    "environment",
    "ports",
    "timeout",
    "directory",
    "input",
)
ON_DELETE_FIELD = "onDelete"  # the command a Terraform delete runs (see terraform.py)
TERRAFORM_KEY = "tf"  # aws_lambda_invocation's default terraform_key (RUN_COMMAND_TERRAFORM_KEY)
EVENT_FIELDS = (*COMMAND_FIELDS, IDEMPOTENCY_KEY_FIELD, "stream", ON_DELETE_FIELD, TERRAFORM_KEY)
# Fields that say how the output is delivered, not what runs: a locked command allows them.
DELIVERY_FIELDS = frozenset({"stream"})
EXAMPLE = '{"program": "ls", "arguments": ["-l", "/tmp"]}'
IDEMPOTENCY_TABLE_VARIABLE = "RUN_COMMAND_IDEMPOTENCY_TABLE"


def command_from_event(
    event: object,
    default: CommandSpec | None = None,
    lock: Lock = Lock.NONE,
    *,
    terraform_key: str = TERRAFORM_KEY,
) -> CommandSpec:
    """Validate `event` strictly and merge it over the configured `default` command.

    With a default, `{}` runs the default; `arguments` replaces its arguments; `program`
    replaces the whole command line; `environment` adds to the default's variables.
    Raises `InvalidEvent` naming the offending field, and `ProgramNotAllowed` when `lock`
    forbids what the event changes. An event with Terraform's key (`terraform_key`) or
    `onDelete` runs what its action says: `terraform.plan_from_event` reads it.
    """
    if not isinstance(event, Mapping):
        raise InvalidEvent(
            f"The event must be a JSON object, not {kind_of(event)}. Example: {EXAMPLE}"
        )
    _reject_unknown_fields(event, event_fields(terraform_key))
    _reject_lifecycle_fields(event, terraform_key)
    _enforce_lock(event, lock)
    program = optional_text(event, "program")
    arguments = text_list(event, "arguments")
    environment = environment_of(event)
    if program is None:
        if default is None:
            raise InvalidEvent(
                'The event has no "program" and no default command is configured. '
                f"Name the program to run, for example {EXAMPLE}"
            )
        program = default.program
        if arguments is None:
            arguments = default.arguments
    base_environment = default.environment if default is not None else {}
    return CommandSpec(
        program=program,
        arguments=arguments or (),
        environment={**base_environment, **environment},
        ports=ports_of(event),
        timeout=timeout_of(event),
        directory=optional_text(event, "directory"),
        input=optional_text(event, "input", allow_empty=True),
        stream=flag(event, "stream"),
    )


def _enforce_lock(event: Mapping[object, object], lock: Lock) -> None:
    if lock is Lock.PROGRAM and event.get("program") is not None:
        raise ProgramNotAllowed(
            'This function runs only its configured program: the event may not set "program" '
            f"({LOCK_VARIABLE}=program). Pass only arguments and environment."
        )
    changed = (value is not None for name, value in event.items() if name not in DELIVERY_FIELDS)
    if lock is Lock.COMMAND and any(changed):
        raise ProgramNotAllowed(
            "This function runs only its configured command: the event may not change it "
            f"({LOCK_VARIABLE}=command). Send an empty event, {{}}."
        )


def event_fields(terraform_key: str = TERRAFORM_KEY) -> tuple[str, ...]:
    """The event's fields, with Terraform's key as the runtime is configured to read it."""
    return tuple(terraform_key if name == TERRAFORM_KEY else name for name in EVENT_FIELDS)


def _reject_lifecycle_fields(event: Mapping[object, object], terraform_key: str) -> None:
    """One command cannot say which Terraform action runs what: a library caller is told so."""
    for name in (terraform_key, ON_DELETE_FIELD):
        if event.get(name) is not None:
            raise InvalidEvent(
                f'The event has "{name}", which command_from_event cannot read: a Terraform '
                "event runs what its action says. Read it with plan_from_event."
            )


def _reject_unknown_fields(event: Mapping[object, object], fields: tuple[str, ...]) -> None:
    for name in event:
        if name == IDEMPOTENCY_KEY_FIELD:  # reaches here only when no guard took the key off
            if event[name] is not None:  # an unusable key is the first thing to fix
                check_idempotency_key(event[name])
            raise InvalidEvent(
                f'The event has an "{IDEMPOTENCY_KEY_FIELD}", but this function has no '
                f"idempotency guard: set {IDEMPOTENCY_TABLE_VARIABLE} to the name of a DynamoDB "
                "table (see docs/idempotency.md). The command was not run, so that it never "
                "runs unguarded."
            )
        if name not in fields:
            raise unknown_field(name, fields, "the event")
