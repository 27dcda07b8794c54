"""Domain: the failure policy. A pure verdict on an `ExecutionResult`, and its exit status."""

from __future__ import annotations

import json
import signal as signals
from dataclasses import dataclass, field

from .errors import ErrorType
from .result import Ending, ExecutionResult

STACK_TRACE_LINES = 20
LOGGED_ARGUMENTS_LIMIT = 4096

EXIT_TIMED_OUT = 124
EXIT_RUNTIME_FAILURE = 125
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127


@dataclass(frozen=True, slots=True, kw_only=True)
class Success:
    """The command did what was asked: exited with 0, or one of its ports became ready."""

    result: ExecutionResult


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """The invocation failed; `error_type` and `message` become `errorType`/`errorMessage`."""

    error_type: ErrorType
    message: str
    result: ExecutionResult | None = None
    stack_trace: tuple[str, ...] = field(default=())


Verdict = Success | Failure


def judge(result: ExecutionResult) -> Verdict:  # noqa: PLR0911 - one case per ending
    """Decide whether a run succeeded, and if not, say why in one sentence."""
    name = result.program
    match result.ending:
        case Ending.PORT_READY | Ending.NOTHING_TO_RUN:
            return Success(result=result)
        case Ending.EXITED if result.returncode == 0:
            return Success(result=result)
        case Ending.EXITED if result.signal is not None:
            return _failure(
                ErrorType.COMMAND_KILLED,
                f"{name} was killed by signal {_signal_name(result.signal)}.",
                result,
            )
        case Ending.EXITED:
            return _failure(
                ErrorType.COMMAND_FAILED, f"{name} exited with status {result.returncode}.", result
            )
        case Ending.TIMED_OUT:
            return _failure(
                ErrorType.COMMAND_TIMED_OUT,
                f"{name} did not finish in time and was stopped after "
                f"{result.duration_ms / 1000:.1f} seconds.",
                result,
            )
        case Ending.INTERRUPTED:
            return _failure(
                ErrorType.COMMAND_KILLED,
                f"{name} was stopped because the runtime was shut down "
                f"after {result.duration_ms / 1000:.1f} seconds.",
                result,
            )
        case Ending.NOT_FOUND:
            return _failure(
                ErrorType.COMMAND_NOT_FOUND, f"{name} was not found{_detail(result)}.", result
            )
        case Ending.NOT_ALLOWED:
            return _failure(
                ErrorType.PROGRAM_NOT_ALLOWED,
                f"{name} is not allowed{_detail(result)}. Add it to RUN_COMMAND_ALLOWED_PROGRAMS "
                "to let events run it.",
                result,
            )
        case Ending.NOT_EXECUTABLE:
            return _failure(
                ErrorType.PERMISSION_DENIED,
                f"{name} cannot be executed{_detail(result)}.",
                result,
            )
    raise AssertionError(f"unhandled ending {result.ending}")  # pragma: no cover


def invalid_event(message: str) -> Failure:
    """The verdict for an event that could not be turned into a command."""
    return Failure(error_type=ErrorType.INVALID_EVENT, message=message)


def exit_status(verdict: Verdict) -> int:
    """The exit status of local mode, following the conventions of `timeout`, `env` and shells."""
    if isinstance(verdict, Success):
        return 0
    result = verdict.result
    if result is None:
        return status_of_failure(verdict.error_type)
    return status_of_failure(
        verdict.error_type,
        returncode=result.returncode,
        signal=result.signal,
        interrupted=result.ending is Ending.INTERRUPTED,
    )


def stopped_by_shutdown(verdict: Verdict) -> bool:
    """Whether the command was stopped because the runtime itself was told to stop."""
    return (
        isinstance(verdict, Failure)
        and verdict.result is not None
        and verdict.result.ending is Ending.INTERRUPTED
    )


def status_of_failure(  # noqa: PLR0911 - one case per error type
    error_type: ErrorType,
    *,
    returncode: int | None = None,
    signal: int | None = None,
    interrupted: bool = False,
) -> int:
    """The exit status of a failure, from what its error body also carries.

    A command stopped because the runtime was shut down gets the runtime's own 128+SIGTERM,
    whatever signal ended it; `--invoke` reads the same facts back from an error body.
    """
    match error_type:
        case ErrorType.COMMAND_FAILED if returncode is not None:
            return returncode
        case ErrorType.COMMAND_KILLED if interrupted:
            return 128 + signals.SIGTERM
        case ErrorType.COMMAND_KILLED if signal is not None:
            return 128 + signal
        case ErrorType.COMMAND_TIMED_OUT:
            return EXIT_TIMED_OUT
        case ErrorType.PERMISSION_DENIED | ErrorType.PROGRAM_NOT_ALLOWED:
            return EXIT_NOT_EXECUTABLE
        case ErrorType.COMMAND_NOT_FOUND:
            return EXIT_NOT_FOUND
    return EXIT_RUNTIME_FAILURE


def output_text(result: ExecutionResult) -> str:
    """The kept output as text: UTF-8, with undecodable bytes replaced."""
    return result.output.decode("utf-8", errors="replace")


def describe_command(program: str, arguments: tuple[str, ...], *, hide: bool = False) -> str:
    """How a command appears in the runtime's log: `dotnet ["DatabaseMigrations.dll"]`.

    With `hide`, only the number of arguments is shown: `dotnet [1 argument hidden]`.
    """
    if hide and arguments:
        count = len(arguments)
        return f"{program} [{count} argument{'s' if count > 1 else ''} hidden]"
    shown = json.dumps(list(arguments), ensure_ascii=False)
    if len(shown) > LOGGED_ARGUMENTS_LIMIT:  # CloudWatch splits events at 256 KB
        cut = len(shown) - LOGGED_ARGUMENTS_LIMIT
        shown = f"{shown[:LOGGED_ARGUMENTS_LIMIT]}... ({cut} more characters)"
    return f"{program} {shown}"


def _failure(error_type: ErrorType, message: str, result: ExecutionResult) -> Failure:
    lines = output_text(result).splitlines()[-STACK_TRACE_LINES:]
    return Failure(error_type=error_type, message=message, result=result, stack_trace=tuple(lines))


def _detail(result: ExecutionResult) -> str:
    return f" ({result.detail})" if result.detail else ""


def _signal_name(number: int) -> str:
    try:
        return f"{number} ({signals.Signals(number).name})"
    except ValueError:
        return str(number)
