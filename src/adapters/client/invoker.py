"""Adapter: one invocation through boto3, streamed (InvokeWithResponseStream) or buffered.

`LambdaInvoker.invoke` is the reusable core of `--invoke`: it sends one event once and
returns what became of it, never raising for anything AWS or the network did.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from ...domain.remote_event import RemoteInvocation
from ...domain.remote_outcome import Answered, ConnectionLost, InvokeOutcome
from .failures import outcome_of_answer_error, outcome_of_request_error
from .session import ClientSettings, ClientUnavailableError, lambda_client

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

OutputSink = Callable[[bytes], None]


class LambdaInvoker:
    """Invokes functions as `settings` say, one request per call; safe to share among threads.

    The boto3 client is built on the first call and kept. Raises `ClientUnavailableError`
    (from `invoke`) when boto3 is not installed.
    """

    def __init__(self, settings: ClientSettings) -> None:
        self._settings = settings
        self._client: LambdaClient | None = None
        self._lock = threading.Lock()

    def client(self) -> LambdaClient:
        """The boto3 client, built once; botocore's errors when the configuration is wrong."""
        with self._lock:
            if self._client is None:
                self._client = lambda_client(self._settings)
            return self._client

    def invoke(
        self,
        invocation: RemoteInvocation,
        on_output: OutputSink | None = None,
        on_answer: Callable[[str | None], None] | None = None,
    ) -> InvokeOutcome:
        """Send `invocation` once and wait for its end; its output goes to `on_output`.

        Streamed, each piece of output is handed to `on_output` as it arrives; buffered,
        the result's `output` is handed over once, at the end. Without `on_output` the
        output is collected in the outcome's `output`. `on_answer` gets the request id once the
        answer begins. Errors of AWS, the network or the
        configuration become outcomes; only programming errors (and Ctrl-C) propagate.
        """
        collected: list[bytes] = []
        sink = on_output if on_output is not None else collected.append
        log_type: Literal["Tail", "None"] = "Tail" if invocation.log_tail else "None"
        request: dict[str, Any] = {
            "FunctionName": invocation.function,
            "Payload": invocation.payload,
            "LogType": log_type,
        }
        if invocation.tenant_id is not None:  # only then: older botocores do not know it
            request["TenantId"] = invocation.tenant_id
        try:
            client = self.client()
            if invocation.stream:
                answer: Any = client.invoke_with_response_stream(**request)
            else:
                answer = client.invoke(**request)
        except ClientUnavailableError:
            raise
        except Exception as error:
            outcome = outcome_of_request_error(error)
            if outcome is None:
                raise
            return outcome
        request_id = answer.get("ResponseMetadata", {}).get("RequestId")
        if on_answer is not None:
            on_answer(request_id)
        try:
            if invocation.stream:
                outcome = _read_stream(answer, request_id, sink)
            else:
                outcome = _read_buffered(answer, request_id, sink)
        except Exception as error:
            lost = outcome_of_answer_error(error, request_id)
            if lost is None:
                raise
            return lost
        if on_output is None and isinstance(outcome, Answered):
            return replace(outcome, output=b"".join(collected))
        return outcome


def _read_stream(
    answer: Mapping[str, Any], request_id: str | None, sink: OutputSink
) -> InvokeOutcome:
    stream = answer["EventStream"]
    try:
        for event in stream:
            if "PayloadChunk" in event:
                sink(event["PayloadChunk"].get("Payload", b""))
            elif "InvokeComplete" in event:
                return _completed(event["InvokeComplete"], request_id)
    finally:
        stream.close()
    return ConnectionLost(
        message="the response stream ended before Lambda said how the invocation ended",
        request_id=request_id,
    )


def _completed(complete: Mapping[str, Any], request_id: str | None) -> Answered:
    """InvokeComplete: `ErrorCode` is `Function.<errorType>`, `ErrorDetails` the error body."""
    log_tail = _log_tail(complete.get("LogResult"))
    code, details = complete.get("ErrorCode"), complete.get("ErrorDetails")
    if not code and not details:
        return Answered(request_id=request_id, log_tail=log_tail)
    body = _error_body(details or "")
    error_type = body.get("errorType")
    if not isinstance(error_type, str) or not error_type:
        error_type = str(code).removeprefix("Function.") if code else "Unknown"
    return Answered(
        request_id=request_id, error_type=error_type, error_body=body, log_tail=log_tail
    )


def _read_buffered(answer: Mapping[str, Any], request_id: str | None, sink: OutputSink) -> Answered:
    payload: bytes = answer["Payload"].read()
    log_tail = _log_tail(answer.get("LogResult"))
    function_error = answer.get("FunctionError")
    if function_error:
        body = _error_body(payload.decode(errors="replace"))
        error_type = body.get("errorType")
        output = body.get("output")
        if isinstance(output, str) and output:
            sink(output.encode())
        return Answered(
            request_id=request_id,
            error_type=error_type if isinstance(error_type, str) and error_type else function_error,
            error_body=body,
            log_tail=log_tail,
        )
    result = _json_object(payload)
    output = result.get("output") if result is not None else None
    if isinstance(output, str):
        if output:
            sink(output.encode())
    elif payload:  # not this runtime's result: the function's answer is the output
        sink(payload)
    return Answered(request_id=request_id, result=result, log_tail=log_tail)


def _error_body(text: str) -> dict[str, object]:
    """The error body as JSON; a plain-text one becomes its `errorMessage`."""
    body = _json_object(text.encode())
    return body if body is not None else {"errorMessage": text}


def _json_object(payload: bytes) -> dict[str, object] | None:
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _log_tail(encoded: object) -> str | None:
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        return base64.b64decode(encoded).decode(errors="replace")
    except (binascii.Error, ValueError):
        return None
