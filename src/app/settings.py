"""App: the runtime's own settings, read once from an injected environment mapping."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..domain.allowlist import ALLOWED_PROGRAMS_VARIABLE, LOCK_VARIABLE, AllowList, Lock
from ..domain.command import CommandSpec
from ..domain.errors import ConfigurationError
from ..domain.event import IDEMPOTENCY_TABLE_VARIABLE
from ..domain.streaming import DEFAULT_STREAM_LIMIT

GRACE_VARIABLE = "RUN_COMMAND_GRACE_SECONDS"
MARGIN_VARIABLE = "RUN_COMMAND_DEADLINE_MARGIN_MS"
HIDE_ARGUMENTS_VARIABLE = "RUN_COMMAND_HIDE_ARGUMENTS"
MASK_SECRETS_VARIABLE = "RUN_COMMAND_MASK_SECRETS"
IDEMPOTENCY_TTL_VARIABLE = "RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS"
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 3600
STREAM_LIMIT_VARIABLE = "RUN_COMMAND_STREAM_LIMIT_BYTES"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
DEFAULT_GRACE_SECONDS = 3.0
DEFAULT_MARGIN_MS = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencySettings:
    """The idempotency guard's table, and how to reach it (`endpoint` `None`: the region's)."""

    table: str
    region: str
    endpoint: str | None = None
    ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS


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

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], default_command: Sequence[str] = ()
    ) -> Settings:
        default = _default_command(default_command)
        allowed = environ.get(ALLOWED_PROGRAMS_VARIABLE)
        return cls(
            default_command=default,
            grace=_number(environ, GRACE_VARIABLE, DEFAULT_GRACE_SECONDS, "seconds"),
            deadline_margin=_number(environ, MARGIN_VARIABLE, DEFAULT_MARGIN_MS, "milliseconds")
            / 1000,
            search_path=environ.get("PATH"),
            allowed_programs=None if allowed is None else AllowList.parse(allowed),
            lock=Lock.parse(environ.get(LOCK_VARIABLE), has_default=default is not None),
            hide_arguments=_switch(environ, HIDE_ARGUMENTS_VARIABLE, default=False),
            mask_secrets=_switch(environ, MASK_SECRETS_VARIABLE, default=True),
            idempotency=_idempotency(environ),
            stream_limit=_bytes(environ, STREAM_LIMIT_VARIABLE, DEFAULT_STREAM_LIMIT),
        )


def _default_command(argv: Sequence[str]) -> CommandSpec | None:
    if not argv:
        return None
    if not argv[0]:
        raise ConfigurationError("The default command's program name is empty.")
    return CommandSpec(program=argv[0], arguments=tuple(argv[1:]))


def _number(environ: Mapping[str, str], name: str, default: float, unit: str) -> float:
    text = environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigurationError(
            f"{name}={text!r} is not valid: give a number of {unit}, 0 or more "
            f"(the default is {default:g})."
        )
    return value


def _bytes(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name)
    if text is None:
        return default
    if not text.strip().isdigit():
        raise ConfigurationError(
            f"{name}={text!r} is not valid: give a whole number of bytes, 0 or more "
            f"(the default is {default})."
        )
    return int(text)


def _switch(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ConfigurationError(f"{name}={text!r} is not valid: use true or false.")


def _has_tls() -> bool:
    import importlib.util  # noqa: PLC0415 - only when the guard is configured

    return importlib.util.find_spec("ssl") is not None


def _idempotency(
    environ: Mapping[str, str], has_tls: Callable[[], bool] = _has_tls
) -> IdempotencySettings | None:
    """The guard's settings when RUN_COMMAND_IDEMPOTENCY_TABLE is set; each one checked."""
    table = environ.get(IDEMPOTENCY_TABLE_VARIABLE, "").strip()
    if not table:
        return None
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigurationError(
            f"{IDEMPOTENCY_TABLE_VARIABLE} is set but AWS_REGION is not: set it to the "
            "table's region (Lambda sets it)."
        )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not environ.get(name):
            raise ConfigurationError(
                f"{IDEMPOTENCY_TABLE_VARIABLE} is set but {name} is not: the guard signs its "
                "requests with the credentials in the environment (Lambda sets them)."
            )
    endpoint = environ.get("AWS_ENDPOINT_URL_DYNAMODB") or environ.get("AWS_ENDPOINT_URL")
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"The DynamoDB endpoint {endpoint!r} is not valid: give a URL such as "
            "http://127.0.0.1:8000."
        )
    if not (endpoint or "https:").startswith("http:") and not has_tls():
        raise ConfigurationError(
            f"{IDEMPOTENCY_TABLE_VARIABLE} is set, but this build of the runtime has no TLS "
            "(the standalone build leaves OpenSSL out), so it cannot reach DynamoDB over https. "
            "Run the runtime from a Python install in the image (pip install "
            "run-command-on-aws-lambda) to use the idempotency guard."
        )
    ttl = _number(environ, IDEMPOTENCY_TTL_VARIABLE, DEFAULT_IDEMPOTENCY_TTL_SECONDS, "seconds")
    if ttl < 1 or not float(ttl).is_integer():
        raise ConfigurationError(
            f"{IDEMPOTENCY_TTL_VARIABLE}={environ[IDEMPOTENCY_TTL_VARIABLE]!r} is not valid: "
            "give a whole number of seconds, 1 or more (the default is 3600)."
        )
    return IdempotencySettings(
        table=table, region=region, endpoint=endpoint or None, ttl_seconds=int(ttl)
    )
