"""Unit: the exit status and message `--invoke` gives each outcome of a remote invocation."""

from __future__ import annotations

import json

import pytest

from run_command_on_aws_lambda.adapters.documents import encode_document, error_document
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import (
    Failure,
    Verdict,
    exit_status,
    invalid_event,
    judge,
)
from run_command_on_aws_lambda.domain.remote_outcome import (
    Answered,
    ClientStatus,
    ConnectionLost,
    NotSent,
    NotSentReason,
    Refused,
    describe_failure,
    remote_exit_status,
)
from run_command_on_aws_lambda.domain.result import Ending, ExecutionResult


def result(ending: Ending, returncode: int | None = None, **extra: object) -> ExecutionResult:
    return ExecutionResult(program="dotnet", ending=ending, returncode=returncode, **extra)  # type: ignore[arg-type]


VERDICTS = [
    judge(result(Ending.EXITED, 0)),
    judge(result(Ending.EXITED, 1)),
    judge(result(Ending.EXITED, 42, output=b"oops\n")),
    judge(result(Ending.EXITED, 255)),
    judge(result(Ending.EXITED, -9)),
    judge(result(Ending.EXITED, -15)),
    judge(result(Ending.EXITED, -2)),
    judge(result(Ending.TIMED_OUT, -15, duration_ms=2000)),
    judge(result(Ending.TIMED_OUT, 0, duration_ms=2000)),
    judge(result(Ending.INTERRUPTED, -15)),
    judge(result(Ending.INTERRUPTED, 0)),
    judge(result(Ending.NOT_FOUND, detail="not on PATH")),
    judge(result(Ending.NOT_EXECUTABLE, detail="permission denied")),
    judge(result(Ending.NOT_ALLOWED)),
    invalid_event('"program" must not be empty.'),
    Failure(error_type=ErrorType.PROGRAM_NOT_ALLOWED, message="locked"),
    Failure(error_type=ErrorType.RUNTIME_FAILURE, message="broken"),
]


def answered(verdict: Verdict) -> Answered:
    """What the invoker makes of the verdict's answer: the error body as it travels."""
    if not isinstance(verdict, Failure):
        return Answered(request_id="r")
    body = json.loads(encode_document(error_document(verdict, "r")))
    return Answered(request_id="r", error_type=body["errorType"], error_body=body)


@pytest.mark.parametrize("verdict", VERDICTS, ids=lambda verdict: repr(verdict)[:60])
def test_the_commands_outcomes_exit_as_in_local_mode(verdict: Verdict) -> None:
    """Read back from the error body, each verdict gets local mode's exit status."""
    assert remote_exit_status(answered(verdict)) == exit_status(verdict)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Refused(code="ResourceNotFoundException", message="no", http_status=404), 200),
        (Refused(code="AccessDeniedException", message="no", http_status=403), 201),
        (Refused(code="UnrecognizedClientException", message="no", http_status=403), 201),
        (Refused(code="SomethingNew", message="no", http_status=401), 201),
        (Refused(code="TooManyRequestsException", message="slow down", http_status=429), 202),
        (Refused(code="RequestTooLargeException", message="big", http_status=413), 203),
        (Refused(code="ServiceException", message="oops", http_status=500), 203),
        (NotSent(reason=NotSentReason.NOT_CONFIGURED, message="no credentials"), 204),
        (NotSent(reason=NotSentReason.UNREACHABLE, message="refused"), 205),
        (Answered(request_id="r", error_type="Sandbox.Timedout", error_body={}), 210),
        (
            Answered(
                request_id="r",
                error_type="Unhandled",
                error_body={
                    "errorMessage": "2024-01-01T00:00:00Z r Task timed out after 3.00 seconds"
                },
            ),
            210,
        ),
        (Answered(request_id="r", error_type="Runtime.ExitError", error_body={}), 211),
        (Answered(request_id="r", error_type="ValueError", error_body={}), 211),
        (ConnectionLost(message="reset"), 220),
    ],
)
def test_failures_that_are_not_the_commands_have_their_own_statuses(
    outcome: object, status: int
) -> None:
    """200-205 nothing ran, 210-211 Lambda or the runtime ended it, 220 unknown."""
    assert remote_exit_status(outcome) == status  # type: ignore[arg-type]


def test_the_client_statuses_collide_with_no_status_of_a_command() -> None:
    """Above 128+N for every signal N Linux has (up to 64), below 256, all different."""
    values = [status.value for status in ClientStatus]
    assert len(set(values)) == len(values)
    assert all(128 + 64 < value < 256 for value in values)


def test_a_success_has_nothing_to_say() -> None:
    """No message on standard error when the command succeeded."""
    assert describe_failure(Answered(request_id="r")) is None


def test_a_commands_failure_is_described_by_its_error_message() -> None:
    """The runtime's sentence, as local mode logs it."""
    outcome = Answered(
        request_id="r",
        error_type="CommandFailed",
        error_body={"errorMessage": "sh exited with status 3.", "exitCode": 3},
    )
    assert describe_failure(outcome) == "sh exited with status 3."


def test_a_refusal_names_what_aws_said_and_the_request() -> None:
    """The code and message of AWS's answer, and the request id to look for."""
    outcome = Refused(
        code="TooManyRequestsException", message="Rate Exceeded.", http_status=429, request_id="q1"
    )
    assert describe_failure(outcome) == (
        "Lambda refused the invocation: TooManyRequestsException: Rate Exceeded. (request q1)"
    )


def test_a_lost_connection_warns_that_the_command_may_still_run() -> None:
    """Whoever reads it must not assume the command did not run."""
    message = describe_failure(ConnectionLost(message="reset by peer", request_id="q2"))
    assert message is not None
    assert "reset by peer" in message
    assert "may still be running" in message
    assert "q2" in message


def test_lambdas_timeout_and_a_crash_name_the_error_type() -> None:
    """Sandbox.Timedout and Runtime.ExitError are named, with Lambda's message."""
    timed_out = Answered(
        request_id=None,
        error_type="Sandbox.Timedout",
        error_body={"errorMessage": "Task timed out after 1.00 seconds"},
    )
    crashed = Answered(request_id=None, error_type="Runtime.ExitError", error_body={})
    assert describe_failure(timed_out) == (
        "The function timed out: Sandbox.Timedout: Task timed out after 1.00 seconds"
    )
    assert describe_failure(crashed) == (
        "The function failed outside the command: Runtime.ExitError: no details given"
    )
