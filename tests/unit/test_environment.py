"""Unit: what the child's environment holds, and what it never holds."""

from __future__ import annotations

from collections.abc import Mapping

from run_command_on_aws_lambda.domain import environment as environments
from run_command_on_aws_lambda.domain.invocation import Invocation

WRITABLE = frozenset({"/root", "/work"})


def child_environment(
    runtime: Mapping[str, str], event: Mapping[str, str], invocation: Invocation | None = None
) -> dict[str, str]:
    """The child's environment where only /root and /work are writable directories."""
    return environments.child_environment(
        runtime, event, invocation, usable_home=WRITABLE.__contains__
    )


RUNTIME = {
    "PATH": "/usr/bin:/bin",
    "AWS_REGION": "eu-west-1",
    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
    "_LAMBDA_TELEMETRY_LOG_FD": "3",
    "_X_AMZN_TRACE_ID": "Root=stale",
}


def test_the_child_inherits_the_runtime_environment_without_its_private_handles() -> None:
    """Credentials and region pass; the Runtime API address and telemetry fd do not."""
    environment = child_environment(RUNTIME, {})
    assert environment["AWS_REGION"] == "eu-west-1"
    assert "AWS_LAMBDA_RUNTIME_API" not in environment
    assert "_LAMBDA_TELEMETRY_LOG_FD" not in environment


def test_home_defaults_to_tmp_unless_set() -> None:
    """Lambda sets no HOME; the event or the runtime may."""
    assert child_environment(RUNTIME, {})["HOME"] == "/tmp"
    assert child_environment(RUNTIME, {"HOME": "/work"})["HOME"] == "/work"
    assert child_environment({**RUNTIME, "HOME": "/root"}, {})["HOME"] == "/root"


def test_a_runtime_home_that_is_not_writable_counts_as_none() -> None:
    """HOME=/ on a read-only root (or empty, or missing) becomes /tmp; the event's is kept."""
    for home in ("/", "", "/no/such/home"):
        assert child_environment({**RUNTIME, "HOME": home}, {})["HOME"] == "/tmp"
    assert child_environment({**RUNTIME, "HOME": "/"}, {"HOME": "/opt"})["HOME"] == "/opt"


def test_event_variables_override_the_runtime_ones() -> None:
    """The event's environment is applied last."""
    assert child_environment(RUNTIME, {"AWS_REGION": "us-east-1"})["AWS_REGION"] == "us-east-1"


def test_each_invocation_sets_its_trace_request_id_and_deadline() -> None:
    """_X_AMZN_TRACE_ID follows the invocation; a stale one is removed when it has none."""
    traced = Invocation(request_id="r1", payload=b"{}", deadline_ms=123, trace_id="Root=1-a")
    untraced = Invocation(request_id="r2", payload=b"{}")
    environment = child_environment(RUNTIME, {}, traced)
    assert environment["_X_AMZN_TRACE_ID"] == "Root=1-a"
    assert environment["RUN_COMMAND_REQUEST_ID"] == "r1"
    assert environment["RUN_COMMAND_DEADLINE_MS"] == "123"
    bare = child_environment(RUNTIME, {}, untraced)
    assert "_X_AMZN_TRACE_ID" not in bare
    assert "RUN_COMMAND_DEADLINE_MS" not in bare
