"""Adapter: a verdict as the outcome the store keeps (its result or error body), and back.

A replayed outcome is reported as the replaying invocation's own: the same body, the same
error type, with that invocation's request id. The body is kept well under DynamoDB's
400 KB item limit: past `MAX_BODY_BYTES` the output is cut from the front (as the runtime
already cuts it) and long texts are shortened.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ...domain.errors import ErrorType
from ...domain.idempotency import Outcome
from ...domain.policy import Failure, Success, Verdict
from ...domain.result import Ending, ExecutionResult
from ..wire import encode_verdict

MAX_BODY_BYTES = 64 * 1024
_TEXT_LIMIT = 4096
_ENDINGS = {
    ErrorType.COMMAND_TIMED_OUT: Ending.TIMED_OUT,
    ErrorType.COMMAND_NOT_FOUND: Ending.NOT_FOUND,
    ErrorType.PERMISSION_DENIED: Ending.NOT_EXECUTABLE,
    ErrorType.PROGRAM_NOT_ALLOWED: Ending.NOT_ALLOWED,
}


def outcome_of(verdict: Verdict) -> Outcome:
    """The body to store (without a request id: a replay gets its own), within the limit."""
    body = encode_verdict(verdict)
    if len(body) > MAX_BODY_BYTES:
        body = encode_verdict(_shrunk(verdict))
    error_type = verdict.error_type.value if isinstance(verdict, Failure) else None
    return Outcome(body=body.decode(), error_type=error_type)


def verdict_of(outcome: Outcome) -> Verdict:
    """The verdict whose body is the stored one; raises ValueError for a body that is not."""
    document = json.loads(outcome.body)
    if not isinstance(document, dict):
        raise ValueError("the stored outcome is not a JSON object")
    if outcome.error_type is None:
        return Success(result=_result(document, Ending(document["reason"]), 0))
    error_type = ErrorType(outcome.error_type)
    result = None
    if "program" in document:
        exit_code, signal = document.get("exitCode"), document.get("signal")
        returncode = exit_code if exit_code is not None else None if signal is None else -signal
        result = _result(document, _ENDINGS.get(error_type, Ending.EXITED), returncode)
    return Failure(
        error_type=error_type,
        message=str(document["errorMessage"]),
        result=result,
        stack_trace=tuple(str(line) for line in document.get("stackTrace", ())),
    )


def _result(document: dict[str, Any], ending: Ending, returncode: int | None) -> ExecutionResult:
    return ExecutionResult(
        program=str(document["program"]),
        ending=ending,
        returncode=returncode,
        port=document.get("port"),
        duration_ms=int(document.get("durationMs") or 0),
        output=str(document.get("output") or "").encode(),
        output_truncated=bool(document.get("outputTruncated")),
        detail=str(document.get("message") or ""),  # why nothing ran, when nothing did
    )


def _shrunk(verdict: Verdict) -> Verdict:
    """The same verdict with every text cut short: a program name or message of megabytes."""
    result = verdict.result
    if result is not None:
        result = dataclasses.replace(
            result,
            program=_cut(result.program),
            output=result.output[-_TEXT_LIMIT:],
            output_truncated=result.output_truncated or len(result.output) > _TEXT_LIMIT,
        )
    if isinstance(verdict, Success):
        assert result is not None
        return Success(result=result)
    lines = tuple(_cut(line, 200) for line in verdict.stack_trace)
    return Failure(
        error_type=verdict.error_type,
        message=_cut(verdict.message),
        result=result,
        stack_trace=lines,
    )


def _cut(text: str, limit: int = _TEXT_LIMIT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more)"
