"""Unit: the failure policy, as a table of results, verdicts and local exit statuses."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import (
    Failure,
    Success,
    describe_command,
    exit_status,
    invalid_event,
    judge,
)
from run_command_on_aws_lambda.domain.result import Ending, ExecutionResult


def result(ending: Ending, returncode: int | None = None, **extra: object) -> ExecutionResult:
    return ExecutionResult(program="dotnet", ending=ending, returncode=returncode, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "error_type", "message", "status"),
    [
        (result(Ending.EXITED, 0), None, None, 0),
        (result(Ending.PORT_READY, -15, port=8080), None, None, 0),
        (result(Ending.EXITED, 1), ErrorType.COMMAND_FAILED, "dotnet exited with status 1.", 1),
        (result(Ending.EXITED, 42), ErrorType.COMMAND_FAILED, "dotnet exited with status 42.", 42),
        (
            result(Ending.EXITED, -9),
            ErrorType.COMMAND_KILLED,
            "dotnet was killed by signal 9 (SIGKILL).",
            137,
        ),
        (
            result(Ending.TIMED_OUT, -15, duration_ms=2000),
            ErrorType.COMMAND_TIMED_OUT,
            "dotnet did not finish in time and was stopped after 2.0 seconds.",
            124,
        ),
        (
            result(Ending.TIMED_OUT, 0, duration_ms=1000),
            ErrorType.COMMAND_TIMED_OUT,
            "dotnet did not finish in time",
            124,
        ),
        (
            result(Ending.INTERRUPTED, -15, duration_ms=500),
            ErrorType.COMMAND_KILLED,
            "stopped because the runtime was shut down",
            143,
        ),
        (
            result(Ending.NOT_FOUND, detail="not on PATH /bin"),
            ErrorType.COMMAND_NOT_FOUND,
            "dotnet was not found (not on PATH /bin).",
            127,
        ),
        (
            result(Ending.NOT_EXECUTABLE, detail="permission denied"),
            ErrorType.PERMISSION_DENIED,
            "dotnet cannot be executed (permission denied).",
            126,
        ),
    ],
)
def test_each_ending_gets_its_verdict_and_exit_status(
    outcome: ExecutionResult, error_type: ErrorType | None, message: str | None, status: int
) -> None:
    """Success for exit 0 and port-ready; one named error type for everything else."""
    verdict = judge(outcome)
    if error_type is None:
        assert verdict == Success(result=outcome)
    else:
        assert isinstance(verdict, Failure)
        assert verdict.error_type is error_type
        assert message is not None
        assert message in verdict.message
    assert exit_status(verdict) == status


def test_an_invalid_event_exits_125() -> None:
    """125 is the runtime's own failure, as for `timeout` and `env`."""
    verdict = invalid_event('"program" must not be empty.')
    assert verdict.error_type is ErrorType.INVALID_EVENT
    assert exit_status(verdict) == 125


@pytest.mark.parametrize(
    ("error_type", "status"),
    [
        (ErrorType.PROGRAM_NOT_ALLOWED, 126),
        (ErrorType.RUNTIME_FAILURE, 125),
        (ErrorType.REFERENCE_NOT_RESOLVED, 125),
    ],
)
def test_failures_without_a_result_have_fixed_exit_statuses(
    error_type: ErrorType, status: int
) -> None:
    """Failures where no command ran still map to the documented statuses."""
    assert exit_status(Failure(error_type=error_type, message="x")) == status


def test_the_stack_trace_is_the_last_twenty_lines_of_output() -> None:
    """stackTrace shows where the output ended, as text."""
    output = "".join(f"line {n}\n" for n in range(30)).encode() + b"bad \xff byte"
    verdict = judge(result(Ending.EXITED, 1, output=output))
    assert isinstance(verdict, Failure)
    assert len(verdict.stack_trace) == 20
    assert verdict.stack_trace[0] == "line 11"
    assert verdict.stack_trace[-1] == "bad \ufffd byte"


def test_a_command_is_described_with_its_arguments_as_json() -> None:
    """Log lines look like the original tool's: dotnet ["DatabaseMigrations.dll"]."""
    assert describe_command("dotnet", ("DatabaseMigrations.dll",)) == (
        'dotnet ["DatabaseMigrations.dll"]'
    )
    assert describe_command("id", ()) == "id []"


def test_a_huge_argument_list_is_cut_in_the_log_line() -> None:
    """A 6 MB argument list must not become a 6 MB log line."""
    described = describe_command("echo", ("x" * 10_000,))
    assert described.startswith('echo ["xxxx')
    assert described.endswith("... (5908 more characters)")  # 10,004 JSON characters
    assert len(described) < 4200


def test_hidden_arguments_are_only_counted() -> None:
    """RUN_COMMAND_HIDE_ARGUMENTS keeps argument values out of the logs."""
    assert describe_command("psql", ("-c", "pw=x"), hide=True) == "psql [2 arguments hidden]"
    assert describe_command("psql", ("x",), hide=True) == "psql [1 argument hidden]"
    assert describe_command("id", (), hide=True) == "id []"
