"""App: the runtime's own settings, read once from an injected environment mapping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.allowlist import ALLOWED_PROGRAMS_VARIABLE, LOCK_VARIABLE, AllowList, Lock
from ..domain.command import CommandSpec
from ..domain.errors import ConfigurationError
from ..domain.event import (
    EVENT_FIELDS,
    IDEMPOTENCY_KEY_FIELD,
    IDEMPOTENCY_TABLE_VARIABLE,
    TERRAFORM_KEY,
)
from ..domain.streaming import DEFAULT_STREAM_LIMIT
from ..domain.terraform import KEY_VARIABLE as TERRAFORM_KEY_VARIABLE
from .setting_values import byte_count_setting, number_setting, switch_setting

if TYPE_CHECKING:
    from .idempotency_settings import IdempotencySettings

GRACE_VARIABLE = "RUN_COMMAND_GRACE_SECONDS"
MARGIN_VARIABLE = "RUN_COMMAND_DEADLINE_MARGIN_MS"
HIDE_ARGUMENTS_VARIABLE = "RUN_COMMAND_HIDE_ARGUMENTS"
MASK_SECRETS_VARIABLE = "RUN_COMMAND_MASK_SECRETS"
STREAM_LIMIT_VARIABLE = "RUN_COMMAND_STREAM_LIMIT_BYTES"
DEFAULT_GRACE_SECONDS = 3.0
DEFAULT_MARGIN_MS = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """What the runtime is configured with; `from_environment` names any invalid setting."""

    default_command: CommandSpec | None = None
    grace: float = DEFAULT_GRACE_SECONDS
    deadline_margin: float = DEFAULT_MARGIN_MS / 1000
    search_path: str | None = None
    allowed_programs: AllowList | None = None
    lock: Lock = Lock.NONE
    hide_arguments: bool = False
    mask_secrets: bool = True
    idempotency: IdempotencySettings | None = None
    stream_limit: int = DEFAULT_STREAM_LIMIT
    terraform_key: str = TERRAFORM_KEY

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], default_command: Sequence[str] = ()
    ) -> Settings:
        default = _default_command(default_command)
        allowed = environ.get(ALLOWED_PROGRAMS_VARIABLE)
        return cls(
            default_command=default,
            grace=number_setting(environ, GRACE_VARIABLE, DEFAULT_GRACE_SECONDS, "seconds"),
            deadline_margin=number_setting(
                environ, MARGIN_VARIABLE, DEFAULT_MARGIN_MS, "milliseconds"
            )
            / 1000,
            search_path=environ.get("PATH"),
            allowed_programs=None if allowed is None else AllowList.parse(allowed),
            lock=Lock.parse(environ.get(LOCK_VARIABLE), has_default=default is not None),
            hide_arguments=switch_setting(environ, HIDE_ARGUMENTS_VARIABLE, default=False),
            mask_secrets=switch_setting(environ, MASK_SECRETS_VARIABLE, default=True),
            idempotency=_idempotency(environ),
            stream_limit=byte_count_setting(environ, STREAM_LIMIT_VARIABLE, DEFAULT_STREAM_LIMIT),
            terraform_key=_terraform_key(environ),
        )


def _default_command(argv: Sequence[str]) -> CommandSpec | None:
    if not argv:
        return None
    if not argv[0]:
        raise ConfigurationError("The default command's program name is empty.")
    return CommandSpec(program=argv[0], arguments=tuple(argv[1:]))


def _terraform_key(environ: Mapping[str, str]) -> str:
    """The event field Terraform's lifecycle arrives in: aws_lambda_invocation's terraform_key."""
    text = environ.get(TERRAFORM_KEY_VARIABLE, "")
    if not text.strip():
        return TERRAFORM_KEY
    taken = [name for name in (*EVENT_FIELDS, IDEMPOTENCY_KEY_FIELD) if name != TERRAFORM_KEY]
    if text in taken:
        raise ConfigurationError(
            f"{TERRAFORM_KEY_VARIABLE}={text!r} is not valid: the event's own field {text!r} "
            "cannot hold Terraform's lifecycle. Give the name set as aws_lambda_invocation's "
            f"terraform_key (the default is {TERRAFORM_KEY!r})."
        )
    return text


def _idempotency(environ: Mapping[str, str]) -> IdempotencySettings | None:
    if not environ.get(IDEMPOTENCY_TABLE_VARIABLE, "").strip():
        return None
    # Only now: with the guard off, its settings cost nothing at start (not even a class).
    from .idempotency_settings import read_idempotency  # noqa: PLC0415

    return read_idempotency(environ)
