"""App: what Lambda answers and logs for each way an invocation ends, as the emulator says it."""

from __future__ import annotations

import json
import secrets
import signal
import time

from ...adapters.emulator.invoke_api import InvokeResult
from ...adapters.emulator.outcomes import Answered, Exited, InitFailed, Outcome


def conclude(outcome: Outcome, request_id: str) -> tuple[bytes, list[str]]:
    """The body the invoker gets, and the platform's log lines, for each kind of outcome."""
    if isinstance(outcome, Answered):
        return outcome.body, []
    if isinstance(outcome, InitFailed):
        return outcome.body, [
            f"INIT_REPORT Phase: init\tStatus: error\tError Type: {outcome.error_type}"
        ]
    if isinstance(outcome, Exited):
        message = f"RequestId: {request_id} Error: {_exit_reason(outcome.status)}"
        return error_body("Runtime.ExitError", message), [message, "Runtime.ExitError"]
    phase = "Init" if outcome.during_init else "Task"
    message = f"{phase} timed out after {outcome.seconds:.2f} seconds"
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    body = error_body("Sandbox.Timedout", f"RequestId: {request_id} Error: {message}")
    return body, [f"{timestamp} {request_id} {message}"]


def error_code(outcome: Outcome) -> str | None:
    """The failure's type (`ErrorCode` of a streamed invoke); None for a successful response."""
    if isinstance(outcome, Answered | InitFailed):
        return outcome.error_type
    return "Runtime.ExitError" if isinstance(outcome, Exited) else "Sandbox.Timedout"


def _exit_reason(status: int) -> str:
    if status == 0:
        return "Runtime exited without providing a reason"
    if status > 0:
        return f"Runtime exited with error: exit status {status}"
    name = signal.strsignal(-status) or f"signal {-status}"
    return f"Runtime exited with error: signal: {name.lower()}"


def error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def failure(error_type: str, message: str) -> InvokeResult:
    """An invocation that failed before any runtime could take it."""
    return InvokeResult(body=error_body(error_type, message), error_type=error_type, log=b"")


def new_trace_id() -> str:
    """An X-Ray trace header, as Lambda hands one to every invocation (not sampled)."""
    return (
        f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};"
        f"Parent={secrets.token_hex(8)};Sampled=0"
    )
