"""Domain: what became of one invocation sent to Lambda, and the exit status `--invoke` gives it.

The command's own outcomes map to local mode's statuses (0, N, 124, 125, 126, 127, 128+N).
Failures that are not the command's get statuses of their own, from 200 up, above every
`128+N` a signal can give, grouped by what a script may do next:

    200-205  Lambda did not run the function: safe to invoke again (after fixing the cause;
             for 203 after a 5xx answer, a run cannot be ruled out)
    210-211  the function ran and Lambda or the runtime ended it, not the command
    220      the connection was lost after the request was sent: the command may have run,
             and may still be running; invoking again may run it twice
"""

from __future__ import annotations

import enum
import signal as signals
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard

from .errors import ErrorType
from .policy import status_of_failure

EXIT_INTERRUPTED = 128 + signals.SIGINT
"""Ctrl-C: we stopped waiting; the command may still be running on Lambda."""


class ClientStatus(enum.IntEnum):
    """The exit statuses of failures that are not the command's: a public contract."""

    FUNCTION_NOT_FOUND = 200  # ResourceNotFoundException: no such function, version or alias
    ACCESS_DENIED = 201  # the credentials were refused, or may not invoke the function
    THROTTLED = 202  # TooManyRequestsException: try again later
    REJECTED = 203  # any other error Lambda answered (after a 5xx, a run cannot be ruled out)
    NOT_CONFIGURED = 204  # no credentials, region or profile found: nothing was sent
    UNREACHABLE = 205  # the endpoint could not be connected to: nothing was sent
    LAMBDA_TIMED_OUT = 210  # Lambda stopped the function at its timeout (Sandbox.Timedout)
    FUNCTION_CRASHED = 211  # the runtime exited or failed outside the command (Runtime.*)
    CONNECTION_LOST = 220  # the answer was cut off: the outcome is unknown


_REFUSALS = {
    "ResourceNotFoundException": ClientStatus.FUNCTION_NOT_FOUND,
    "AccessDeniedException": ClientStatus.ACCESS_DENIED,
    "UnrecognizedClientException": ClientStatus.ACCESS_DENIED,
    "InvalidSignatureException": ClientStatus.ACCESS_DENIED,
    "ExpiredTokenException": ClientStatus.ACCESS_DENIED,
    "InvalidClientTokenId": ClientStatus.ACCESS_DENIED,
    "TooManyRequestsException": ClientStatus.THROTTLED,
}
_COMMAND_ERRORS = frozenset(ErrorType)
_TIMED_OUT = "Sandbox.Timedout"


class NotSentReason(enum.StrEnum):
    """Why a request never left this machine."""

    NOT_CONFIGURED = "not-configured"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered:
    """The function ran and answered: a success (`error_type` None) or a function error.

    `error_body` is the parsed error body (empty when it was not a JSON object); `result` the
    parsed success body, when it was a JSON object. `output` is the command's output when the
    invoker was given no output sink, else empty (the sink got it as it came).
    """

    request_id: str | None
    error_type: str | None = None
    error_body: Mapping[str, object] | None = None
    result: Mapping[str, object] | None = None
    output: bytes = b""
    log_tail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """Lambda answered with an error of its own instead of running the function."""

    code: str
    message: str
    http_status: int | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NotSent:
    """The request never reached Lambda (no credentials, endpoint unreachable)."""

    reason: NotSentReason
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLost:
    """The request was sent, and the answer was cut off or never came."""

    message: str
    request_id: str | None = None


InvokeOutcome = Answered | Refused | NotSent | ConnectionLost


def remote_exit_status(outcome: InvokeOutcome) -> int:  # noqa: PLR0911 - one case per outcome
    """The exit status `--invoke` gives `outcome`: local mode's for the command's own."""
    match outcome:
        case Answered(error_type=None):
            return 0
        case Answered(error_type=error_type, error_body=body) if error_type in _COMMAND_ERRORS:
            return command_exit_status(ErrorType(error_type), body or {})
        case Answered() if is_lambda_timeout(outcome):
            return ClientStatus.LAMBDA_TIMED_OUT
        case Answered():
            return ClientStatus.FUNCTION_CRASHED
        case Refused(code=code, http_status=status):
            default = ClientStatus.ACCESS_DENIED if status in (401, 403) else ClientStatus.REJECTED
            return _REFUSALS.get(code, default)
        case NotSent(reason=NotSentReason.NOT_CONFIGURED):
            return ClientStatus.NOT_CONFIGURED
        case NotSent():
            return ClientStatus.UNREACHABLE
    return ClientStatus.CONNECTION_LOST


def command_exit_status(error_type: ErrorType, body: Mapping[str, object]) -> int:
    """`policy.exit_status` of the verdict an error body describes.

    The body carries `exitCode` or `signal`; a command stopped because the runtime shut
    down has no signal of its own here and gets 128+SIGTERM, as locally.
    """
    exit_code, signal = body.get("exitCode"), body.get("signal")
    return status_of_failure(
        error_type,
        returncode=exit_code if _is_status(exit_code) else None,
        signal=signal if _is_status(signal) else None,
        interrupted=not _is_status(signal),
    )


def is_lambda_timeout(outcome: Answered) -> bool:
    """Lambda's own timeout: `Sandbox.Timedout`, or the older bare "Task timed out" message."""
    message = (outcome.error_body or {}).get("errorMessage")
    return outcome.error_type == _TIMED_OUT or (
        isinstance(message, str) and "Task timed out after" in message
    )


def describe_failure(outcome: InvokeOutcome) -> str | None:
    """The one line `--invoke` writes on standard error for `outcome`; None for a success."""
    match outcome:
        case Answered(error_type=None):
            return None
        case Answered(error_type=error_type) if error_type in _COMMAND_ERRORS:
            return _error_message(outcome) or f"The command failed: {error_type}."
        case Answered(error_type=error_type):
            what = "timed out" if is_lambda_timeout(outcome) else "failed outside the command"
            detail = _error_message(outcome) or "no details given"
            return f"The function {what}: {error_type}: {detail}{_request(outcome.request_id)}"
        case Refused(code=code, message=message):
            return f"Lambda refused the invocation: {code}: {message}{_request(outcome.request_id)}"
        case NotSent(message=message):
            return f"Nothing was sent to Lambda: {message}"
    return (
        f"The connection to Lambda was lost: {outcome.message}. The command may have run and may "
        f"still be running: see the function's logs{_request(outcome.request_id)}."
    )


def _error_message(outcome: Answered) -> str:
    message = (outcome.error_body or {}).get("errorMessage")
    return message.strip() if isinstance(message, str) else ""


def _request(request_id: str | None) -> str:
    return f" (request {request_id})" if request_id else ""


def _is_status(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255
