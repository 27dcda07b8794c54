"""Domain: the environment a child process gets, built from the runtime's own and the event's."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .invocation import Invocation

# Handles that belong to the runtime alone: a child holding them could answer for it.
RUNTIME_PRIVATE_VARIABLES = frozenset({"AWS_LAMBDA_RUNTIME_API", "_LAMBDA_TELEMETRY_LOG_FD"})
TRACE_VARIABLE = "_X_AMZN_TRACE_ID"
REQUEST_ID_VARIABLE = "RUN_COMMAND_REQUEST_ID"
DEADLINE_VARIABLE = "RUN_COMMAND_DEADLINE_MS"
TENANT_VARIABLE = "RUN_COMMAND_TENANT_ID"
FALLBACK_HOME = "/tmp"


def child_environment(
    runtime: Mapping[str, str],
    event: Mapping[str, str],
    invocation: Invocation | None = None,
    *,
    usable_home: Callable[[str], bool],
) -> dict[str, str]:
    """The runtime's variables, minus its private ones, plus per-invocation ones, plus the event's.

    Lambda sets no HOME and many tools (git, ssh, dotnet, the AWS CLI) fail without a writable
    one, so the runtime's HOME is kept only if `usable_home` says it is a writable directory;
    else the child gets /tmp. Docker sets HOME=/ for a user without a passwd entry, unwritable
    on a read-only root. A HOME the event sets is the event's to keep.
    The trace id follows the AWS convention: set from the invocation, removed when it has none.
    The tenant id is the invocation's alone: absent without one, and no event can set it (a
    command may trust it to tell tenants apart).
    """
    environment = {k: v for k, v in runtime.items() if k not in RUNTIME_PRIVATE_VARIABLES}
    home = environment.get("HOME")
    if not home or ("HOME" not in event and not usable_home(home)):
        environment["HOME"] = FALLBACK_HOME
    if invocation is not None:
        environment.pop(TRACE_VARIABLE, None)
        if invocation.trace_id:
            environment[TRACE_VARIABLE] = invocation.trace_id
        environment[REQUEST_ID_VARIABLE] = invocation.request_id
        if invocation.deadline_ms is not None:
            environment[DEADLINE_VARIABLE] = str(invocation.deadline_ms)
    environment.update(event)
    environment.pop(TENANT_VARIABLE, None)
    if invocation is not None and invocation.tenant_id:
        environment[TENANT_VARIABLE] = invocation.tenant_id
    return environment


# Where a `{{resolve:...}}` reference starts; the `references` module parses the rest, if any.
REFERENCE_OPENING = "{{resolve:"


def holds_reference(value: str) -> bool:
    """Whether `value` has anything that starts like a reference (cheap: no parsing)."""
    return REFERENCE_OPENING in value


def holds_references(environment: Mapping[str, str]) -> bool:
    """Whether a value may hold a `{{resolve:...}}` reference: the cheap check, no parsing."""
    return any(holds_reference(value) for value in environment.values())
