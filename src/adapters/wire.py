"""Adapter: the JSON wire format of events, result bodies and error bodies.

Events are parsed here and validated strictly by the domain (dataclasses-json would coerce
`"arguments": "abc"` into `["a", "b", "c"]`). Result and error bodies are encoded with
dataclasses-json documents in camelCase.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from dataclasses_json import DataClassJsonMixin, LetterCase, config

from ..domain.errors import InvalidEvent
from ..domain.policy import Failure, Success, Verdict, output_text
from ..domain.result import Ending

_CAMEL = config(letter_case=LetterCase.CAMEL)["dataclasses_json"]


def _omit_none() -> Any:
    return field(default=None, metadata=config(exclude=lambda value: value is None))


@dataclass(frozen=True, slots=True)
class ResultDocument(DataClassJsonMixin):
    """The response body of a successful invocation."""

    dataclass_json_config = _CAMEL
    program: str
    exit_code: int
    reason: str
    port: int | None
    duration_ms: int
    output: str
    output_truncated: bool


@dataclass(frozen=True, slots=True)
class ErrorDocument(DataClassJsonMixin):
    """The error body of a failed invocation, shaped like AWS's runtime clients' bodies."""

    dataclass_json_config = _CAMEL
    error_type: str
    error_message: str
    stack_trace: list[str]
    request_id: str | None = _omit_none()
    program: str | None = _omit_none()
    exit_code: int | None = _omit_none()
    signal: int | None = _omit_none()
    duration_ms: int | None = _omit_none()
    output: str | None = _omit_none()
    output_truncated: bool | None = _omit_none()


def decode_event(payload: bytes) -> object:
    """Parse an event; empty input counts as `{}`. Raises `InvalidEvent` for what is not JSON."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidEvent(
            f"The event is not valid UTF-8 (byte {error.start}). Send a JSON object."
        ) from None
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidEvent(
            f"The event is not valid JSON: {error.msg} "
            f"at line {error.lineno} column {error.colno}. "
            'Send a JSON object such as {"program": "id"}.'
        ) from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise InvalidEvent(f"The event is not valid JSON: {error}.") from None
    except RecursionError:
        raise InvalidEvent("The event is nested too deeply to be a command.") from None


def encode_verdict(verdict: Verdict, *, request_id: str | None = None) -> bytes:
    """The body to report: a result document on success, an error document on failure."""
    document = (
        result_document(verdict)
        if isinstance(verdict, Success)
        else error_document(verdict, request_id)
    )
    return json.dumps(document.to_dict(encode_json=False), ensure_ascii=False).encode()


def result_document(verdict: Success) -> ResultDocument:
    result = verdict.result
    return ResultDocument(
        program=result.program,
        exit_code=0,
        reason=result.ending.value if result.ending is Ending.PORT_READY else Ending.EXITED.value,
        port=result.port,
        duration_ms=result.duration_ms,
        output=output_text(result),
        output_truncated=result.output_truncated,
    )


def error_document(verdict: Failure, request_id: str | None = None) -> ErrorDocument:
    document = ErrorDocument(
        error_type=verdict.error_type.value,
        error_message=verdict.message,
        stack_trace=list(verdict.stack_trace),
        request_id=request_id,
    )
    result = verdict.result
    if result is None:
        return document
    if result.returncode is None:  # never started: there is nothing more to tell
        return replace(document, program=result.program)
    return replace(
        document,
        program=result.program,
        exit_code=result.returncode if result.returncode >= 0 else None,
        signal=result.signal,
        duration_ms=result.duration_ms,
        output=output_text(result),
        output_truncated=result.output_truncated,
    )


def encode_error(error_type: str, message: str) -> bytes:
    """An error body that is not about a command: an init error of the runtime itself."""
    document = ErrorDocument(error_type=error_type, error_message=message, stack_trace=[])
    return json.dumps(document.to_dict(encode_json=False), ensure_ascii=False).encode()
