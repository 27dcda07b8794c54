"""Adapter: result and error bodies as dataclasses-json documents, in camelCase.

Imported on first use by `wire.encode_verdict`, so that dataclasses-json (and marshmallow
beneath it) is loaded after start-up, not on the way to the first `invocation/next`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from dataclasses_json import DataClassJsonMixin, LetterCase, config

from ..domain.policy import Failure, Success, output_text
from ..domain.result import Ending

_CAMEL = config(letter_case=LetterCase.CAMEL)["dataclasses_json"]


def _omit_none() -> Any:
    return field(default=None, metadata=config(exclude=lambda value: value is None))


@dataclass(frozen=True, slots=True)
class ResultDocument(DataClassJsonMixin):
    """The response body of a successful invocation.

    When nothing was run (a Terraform delete without `onDelete`), `program` is `None`, the
    `reason` is `nothing-to-run`, and `message` says why.
    """

    dataclass_json_config = _CAMEL
    program: str | None
    exit_code: int
    reason: str
    port: int | None
    duration_ms: int
    output: str
    output_truncated: bool
    message: str | None = _omit_none()
    tenant_id: str | None = _omit_none()


@dataclass(frozen=True, slots=True)
class ErrorDocument(DataClassJsonMixin):
    """The error body of a failed invocation, shaped like AWS's runtime clients' bodies."""

    dataclass_json_config = _CAMEL
    error_type: str
    error_message: str
    stack_trace: list[str]
    request_id: str | None = _omit_none()
    tenant_id: str | None = _omit_none()
    program: str | None = _omit_none()
    exit_code: int | None = _omit_none()
    signal: int | None = _omit_none()
    duration_ms: int | None = _omit_none()
    output: str | None = _omit_none()
    output_truncated: bool | None = _omit_none()


def result_document(verdict: Success, tenant_id: str | None = None) -> ResultDocument:
    result = verdict.result
    if result.ending is Ending.NOTHING_TO_RUN:
        return ResultDocument(
            program=None,
            exit_code=0,
            reason=result.ending.value,
            port=None,
            duration_ms=0,
            output="",
            output_truncated=False,
            message=result.detail,
            tenant_id=tenant_id,
        )
    return ResultDocument(
        program=result.program,
        exit_code=0,
        reason=result.ending.value if result.ending is Ending.PORT_READY else Ending.EXITED.value,
        port=result.port,
        duration_ms=result.duration_ms,
        output=output_text(result),
        output_truncated=result.output_truncated,
        tenant_id=tenant_id,
    )


def error_document(
    verdict: Failure, request_id: str | None = None, tenant_id: str | None = None
) -> ErrorDocument:
    document = ErrorDocument(
        error_type=verdict.error_type.value,
        error_message=verdict.message,
        stack_trace=list(verdict.stack_trace),
        request_id=request_id,
        tenant_id=tenant_id,
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


def encode_document(document: DataClassJsonMixin) -> bytes:
    """UTF-8 JSON. A lone surrogate (an event may name `"\\udcff"`) goes out as that escape."""
    text = json.dumps(document.to_dict(encode_json=False), ensure_ascii=False)
    # Surrogates are the only characters UTF-8 cannot carry, and they occur only inside JSON
    # strings, where `\udcff` is the escape json.dumps itself writes with ensure_ascii.
    return text.encode("utf-8", "backslashreplace")
