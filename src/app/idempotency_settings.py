"""App: the idempotency guard's settings, read only when RUN_COMMAND_IDEMPOTENCY_TABLE is set."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..domain.errors import ConfigurationError
from ..domain.event import IDEMPOTENCY_TABLE_VARIABLE
from .setting_values import number_setting

IDEMPOTENCY_TTL_VARIABLE = "RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS"
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencySettings:
    """The idempotency guard's table, and how to reach it (`endpoint` `None`: the region's)."""

    table: str
    region: str
    endpoint: str | None = None
    ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS

    @property
    def uses_tls(self) -> bool:
        """Whether the table is reached over https (the region's endpoint always is)."""
        return not (self.endpoint or "https:").startswith("http:")


def _has_tls() -> bool:
    return importlib.util.find_spec("ssl") is not None


def read_idempotency(
    environ: Mapping[str, str], has_tls: Callable[[], bool] = _has_tls
) -> IdempotencySettings:
    """The guard's settings, RUN_COMMAND_IDEMPOTENCY_TABLE being set; each one checked."""
    table = environ[IDEMPOTENCY_TABLE_VARIABLE].strip()
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
    source = next(
        (name for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL") if environ.get(name)),
        None,
    )
    endpoint = None if source is None else environ[source]
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"{source}={endpoint!r} is not valid: give the DynamoDB endpoint as a URL such as "
            "http://127.0.0.1:8000."
        )
    if not (endpoint or "https:").startswith("http:") and not has_tls():
        # The standalone build brings its own ssl; a Python built without OpenSSL has none.
        raise ConfigurationError(
            f"{IDEMPOTENCY_TABLE_VARIABLE} is set, but this runtime's Python has no ssl module "
            "(no TLS), so it cannot reach DynamoDB over https. Use a Python built with OpenSSL, "
            "or the standalone build, which brings its own."
        )
    ttl = number_setting(
        environ, IDEMPOTENCY_TTL_VARIABLE, DEFAULT_IDEMPOTENCY_TTL_SECONDS, "seconds"
    )
    if ttl < 1 or not float(ttl).is_integer():
        raise ConfigurationError(
            f"{IDEMPOTENCY_TTL_VARIABLE}={environ[IDEMPOTENCY_TTL_VARIABLE]!r} is not valid: "
            "give a whole number of seconds, 1 or more (the default is 3600)."
        )
    return IdempotencySettings(
        table=table, region=region, endpoint=endpoint or None, ttl_seconds=int(ttl)
    )
