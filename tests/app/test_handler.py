"""App: the managed-runtime handler called in-process with a context like AWS's."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

import run_command_on_aws_lambda
from run_command_on_aws_lambda import InvocationError, handler


@dataclass
class Context:
    """The two members of AWS's LambdaContext the handler uses."""

    aws_request_id: str = "r1"
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_success_returns_the_result_body() -> None:
    """The return value is the same result body the custom runtime posts."""
    body = handler({"program": "sh", "arguments": ["-c", "echo hi"]}, Context())
    assert (body["exitCode"], body["reason"], body["output"]) == (0, "exited", "hi\n")


@pytest.mark.parametrize(
    ("event", "error_type"),
    [
        ({"program": "sh", "arguments": ["-c", "exit 2"]}, "CommandFailed"),
        ({"program": "no-such-program"}, "CommandNotFound"),
        ({"program": 3}, "InvalidEvent"),
        ([], "InvalidEvent"),
    ],
)
def test_a_failure_raises_an_exception_named_after_its_error_type(
    event: object, error_type: str
) -> None:
    """The managed runtime reports type(exception).__name__ as errorType, str() as message."""
    with pytest.raises(InvocationError) as raised:
        handler(event, Context())
    assert type(raised.value).__name__ == error_type
    assert raised.value.body["errorType"] == error_type
    assert raised.value.body["errorMessage"] == str(raised.value)
    assert raised.value.body["requestId"] == "r1"


@dataclass
class TenantContext(Context):
    """AWS's LambdaContext of a tenant's invocation (function with tenant isolation)."""

    tenant_id: str = "acme"


def test_a_tenants_invocation_reaches_the_command_and_the_bodies() -> None:
    """context.tenant_id is RUN_COMMAND_TENANT_ID for the command and tenantId in the bodies."""
    show = {"program": "sh", "arguments": ["-c", "echo $RUN_COMMAND_TENANT_ID"]}
    body = handler(show, TenantContext())
    assert (body["output"], body["tenantId"]) == ("acme\n", "acme")
    with pytest.raises(InvocationError) as raised:
        handler({"program": "false"}, TenantContext())
    assert raised.value.body["tenantId"] == "acme"
    assert "tenantId" not in handler({"program": "true"}, Context())


def test_the_remaining_time_bounds_the_command() -> None:
    """With 1.5 s left and a 0.3 s margin, a long command is stopped: CommandTimedOut."""
    with pytest.raises(InvocationError) as raised:
        handler({"program": "sleep", "arguments": ["30"]}, Context(remaining_ms=1500))
    assert type(raised.value).__name__ == "CommandTimedOut"


def test_the_handler_is_a_public_name_of_the_package() -> None:
    """`run_command_on_aws_lambda.handler` is what a zip function's Handler setting names."""
    assert "handler" in run_command_on_aws_lambda.__all__
    assert run_command_on_aws_lambda.handler is handler


def test_each_command_gets_a_private_tmpdir_removed_afterwards() -> None:
    """As on a custom runtime: TMPDIR is a fresh 0700 directory under /tmp, gone afterwards."""
    script = 'touch "$TMPDIR/file"; stat -c "%a %n" "$TMPDIR"'
    body = handler({"program": "sh", "arguments": ["-c", script]}, Context())
    mode, directory = str(body["output"]).split()
    assert mode == "700"
    assert directory.startswith("/tmp/run-command-")
    assert not os.path.exists(directory)
