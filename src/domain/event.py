"""Domain: turn an untrusted event (already parsed from JSON) into a `CommandSpec`.

Every check names the field and says what was expected, because the person reading the
error is usually editing a Terraform file or a CI job, not this code. Values of
`environment` are never repeated in a message: they are often secrets.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import TypeGuard

from .allowlist import LOCK_VARIABLE, Lock
from .command import CommandSpec, os_bytes
from .errors import InvalidEvent, ProgramNotAllowed
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
            f"The event must be a JSON object, not {_kind(event)}. Example: {EXAMPLE}"
        )
    _reject_unknown_fields(event, event_fields(terraform_key))
    _reject_lifecycle_fields(event, terraform_key)
    _enforce_lock(event, lock)
    program = _optional_text(event, "program")
    arguments = _text_list(event, "arguments")
    environment = _environment(event)
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
        ports=_ports(event),
        timeout=_timeout(event),
        directory=_optional_text(event, "directory"),
        input=_optional_text(event, "input", allow_empty=True),
        stream=_flag(event, "stream"),
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
            shown = repr(name) if isinstance(name, str) else _kind(name)
            close = difflib.get_close_matches(str(name), fields, n=1)
            hint = f' Did you mean "{close[0]}"?' if close else ""
            raise InvalidEvent(
                f"Unknown field {shown} in the event.{hint} Valid fields are: {', '.join(fields)}."
            )


def _optional_text(
    event: Mapping[object, object], name: str, *, allow_empty: bool = False
) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f'"{name}" must be a string, not {_kind(value)}.')
    if not value and not allow_empty:
        raise InvalidEvent(f'"{name}" must not be empty.')
    _check_text(value, f'"{name}"')
    return value


def _flag(event: Mapping[object, object], name: str) -> bool:
    value = event.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidEvent(f'"{name}" must be true or false, not {_kind(value)}.')
    return value


def _text_list(event: Mapping[object, object], name: str) -> tuple[str, ...] | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidEvent(
            f'"{name}" must be a list of strings, not {_kind(value)}. '
            f'Example: "{name}": ["-l", "/tmp"]'
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidEvent(
                f'"{name}" must be a list of strings, but item {index} is {_kind(item)}.'
            )
        _check_text(item, f'"{name}" item {index}')
    return tuple(value)


def _environment(event: Mapping[object, object]) -> dict[str, str]:
    value = event.get("environment")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent(
            f'"environment" must be an object of strings, not {_kind(value)}. '
            'Example: "environment": {"DB_HOST": "db.example.com"}'
        )
    for key, item in value.items():
        if not isinstance(key, str) or not key or "=" in key or "\0" in key:
            raise InvalidEvent(
                f'"environment" has an invalid variable name {_quote_name(key)}: '
                'a name must be non-empty and contain no "=" and no NUL byte.'
            )
        _check_text(key, f'"environment" variable name {key!r}')
        if not isinstance(item, str):
            raise InvalidEvent(
                f'"environment" variable {key!r} must be a string, not {_kind(item)}. '
                'Quote numbers and booleans: "PORT": "5432".'
            )
        _check_text(item, f'"environment" variable {key!r}')
    return dict(value)


def _ports(event: Mapping[object, object]) -> tuple[int, ...]:
    value = event.get("ports")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEvent(
            f'"ports" must be a list of port numbers, not {_kind(value)}. Example: "ports": [8080]'
        )
    for index, item in enumerate(value):
        if not _is_integer(item) or not 1 <= item <= 65535:
            raise InvalidEvent(
                f'"ports" item {index} must be a whole number from 1 to 65535, '
                f"not {_describe_number(item)}."
            )
    return tuple(int(item) for item in value)


def _timeout(event: Mapping[object, object]) -> float | None:
    value = event.get("timeout")
    if value is None:
        return None
    if not _is_number(value):
        raise InvalidEvent(f'"timeout" must be a number of seconds, not {_kind(value)}.')
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits: no timeout at all, or negative
        seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidEvent(
            f'"timeout" must be a number of seconds greater than 0, not {_describe_number(value)}.'
        )
    return seconds


def _check_text(value: str, where: str) -> None:
    """Text must reach the command unchanged: no NUL byte, no lone surrogate it cannot carry."""
    if "\0" in value:
        raise InvalidEvent(f"{where} contains a NUL byte, which no command line can carry.")
    try:
        os_bytes(value)
    except UnicodeEncodeError as error:
        raise InvalidEvent(
            # The character is not shown: the value may be a secret.
            f"{where} contains a lone surrogate (\\ud800 to \\udfff) at character {error.start}, "
            "which no command can receive. Send text; only \\udc80 to \\udcff may stand alone, "
            "for the raw bytes 0x80 to 0xff."
        ) from None


def _is_integer(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe_number(value: object) -> str:
    return repr(value) if _is_number(value) else _kind(value)


def _quote_name(key: object) -> str:
    return repr(key) if isinstance(key, str) else _kind(key)


def _kind(value: object) -> str:  # noqa: PLR0911 - a lookup table, one return per JSON type
    """Name a JSON value's type the way a person writing JSON thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"
