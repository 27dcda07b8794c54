"""Unit: the bodies and log lines Lambda gives for each way an invocation ends."""

from __future__ import annotations

import json

import pytest

from run_command_on_aws_lambda.adapters.emulator.outcomes import (
    Answered,
    Exited,
    InitFailed,
    Outcome,
    TimedOut,
)
from run_command_on_aws_lambda.app.emulator.reports import conclude, error_code


@pytest.mark.parametrize(
    ("outcome", "error_type", "message"),
    [
        (Exited(1), "Runtime.ExitError", "Runtime exited with error: exit status 1"),
        (Exited(-9), "Runtime.ExitError", "Runtime exited with error: signal: killed"),
        (Exited(-15), "Runtime.ExitError", "Runtime exited with error: signal: terminated"),
        (Exited(0), "Runtime.ExitError", "Runtime exited without providing a reason"),
        (TimedOut(3, during_init=False), "Sandbox.Timedout", "Task timed out after 3.00 seconds"),
        (TimedOut(10, during_init=True), "Sandbox.Timedout", "Init timed out after 10.00 seconds"),
    ],
)
def test_what_lambda_itself_reports_names_the_request_and_the_reason(
    outcome: Outcome, error_type: str, message: str
) -> None:
    """`RequestId: <id> Error: <reason>`, and the reason in the log too."""
    body, lines = conclude(outcome, "req-1")
    assert json.loads(body) == {
        "errorType": error_type,
        "errorMessage": f"RequestId: req-1 Error: {message}",
    }
    assert any(line.endswith(message) for line in lines)


@pytest.mark.parametrize(
    "outcome",
    [
        Answered(b'{"ok": 1}'),
        Answered(b'{"ok": 1}', "Function.X"),
        InitFailed(b'{"ok": 1}', "Runtime.X"),
    ],
)
def test_what_the_runtime_posted_is_passed_on_unchanged(outcome: Outcome) -> None:
    """Responses, error bodies and init errors reach the invoker byte for byte."""
    assert conclude(outcome, "req-1")[0] == b'{"ok": 1}'


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (Answered(b"{}"), None),
        (Answered(b"{}", "Function.CommandFailed"), "Function.CommandFailed"),
        (InitFailed(b"{}", "Runtime.BadSetting"), "Runtime.BadSetting"),
        (Exited(3), "Runtime.ExitError"),
        (TimedOut(3, during_init=False), "Sandbox.Timedout"),
    ],
)
def test_the_error_code_of_a_streamed_invoke_names_the_failure(
    outcome: Outcome, code: str | None
) -> None:
    """InvokeComplete's ErrorCode: the runtime's error type, or what Lambda itself reports."""
    assert error_code(outcome) == code
