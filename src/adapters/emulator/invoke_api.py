"""Adapter: Lambda's Invoke API (`Invoke` and `InvokeWithResponseStream`) over HTTP.

Answers as Lambda does, so boto3 and the AWS CLI work unchanged. `Invoke`
(`POST /2015-03-31/functions/{name}/invocations`): 200 and the function's result,
`X-Amz-Function-Error: Unhandled` when it failed, `X-Amz-Log-Result` on request.
`InvokeWithResponseStream` (`POST /2021-11-15/functions/{name}/response-streaming-invocations`):
200 and an event stream, a `PayloadChunk` per piece of output as it comes, then `InvokeComplete`.
An invocation that finds every sandbox busy (`--serve --concurrency N`) gets Lambda's throttle:
429 `TooManyRequestsException`, `Reason: ReservedFunctionConcurrentInvocationLimitExceeded`.
Every answer carries `X-Amzn-RequestId`. A tenant id (`X-Amz-Tenant-Id`, boto3's `TenantId`)
is passed on to the runtime. Credentials and signatures are not checked: who can reach the
port can invoke.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from . import event_stream
from .http import BodyTooLargeError, Handler, MalformedBodyError, Server
from .invoke_headers import TENANT_HEADER, RejectedError, client_context, tenant_id

PAYLOAD_LIMIT = 6 * 1024 * 1024
"""Bytes a synchronous invocation's payload may have, as on Lambda."""

ASYNC_PAYLOAD_LIMIT = 1024 * 1024
"""Bytes an asynchronous (`Event`) invocation's payload may have, as on Lambda."""

_INVOKE = re.compile(r"/2015-03-31/functions/(?P<name>[^/]+)/invocations")
_STREAM = re.compile(r"/2021-11-15/functions/(?P<name>[^/]+)/response-streaming-invocations")
_PIECE = 64 * 1024
"""Bytes a PayloadChunk carries at most when a buffered response is sent as a stream."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeRequest:
    """An accepted invocation: the payload is JSON (or empty); `client_context` decoded."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """Its id, in the answer's `X-Amzn-RequestId` as on Lambda, and in the log lines."""
    function_name: str
    payload: bytes
    client_context: str | None = None
    trace_header: str | None = None
    tenant_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeResult:
    """What the function gave back; `log` is the invocation's log tail.

    `error_type` is None on success, else the failure's type (`Function.CommandFailed`,
    `Sandbox.Timedout`, ...) and `body` its error document.
    """

    body: bytes
    error_type: str | None
    log: bytes


class ThrottledError(Exception):
    """Every sandbox the function may have is busy: the invocation was not accepted."""


THROTTLE_REASON = "ReservedFunctionConcurrentInvocationLimitExceeded"
THROTTLE_MESSAGE = "Rate Exceeded."
"""What Lambda says when a function's reserved concurrency is used up."""


class Invoker(Protocol):
    """Runs invocations: in the order they came, or in parallel sandboxes up to a limit."""

    def invoke(
        self,
        request: InvokeRequest,
        on_output: Callable[[bytes], None] | None = None,
        on_admitted: Callable[[], None] | None = None,
    ) -> InvokeResult:
        """Wait for the invocation's turn and its end.

        Raises `ThrottledError` at once, before `on_admitted` is called, when the invocation
        is not accepted. With `on_output`, a response the function streams is handed to it
        piece by piece, on the calling thread, as it comes; the result's body is then what
        was not handed over.
        """

    def enqueue(self, request: InvokeRequest) -> None:
        """Queue the invocation (`InvocationType=Event`) and return at once."""


class InvokeApiServer(Server):
    """Serves the Invoke API for `invoker` on `address`."""

    def __init__(self, invoker: Invoker, address: tuple[str, int]) -> None:
        self.invoker = invoker
        super().__init__(address, _InvokeHandler)


def _throttled() -> RejectedError:
    return RejectedError(429, "TooManyRequestsException", THROTTLE_MESSAGE, THROTTLE_REASON)


class _InvokeHandler(Handler):
    server: InvokeApiServer
    # A PayloadChunk is one small write: sent at once, not held back until the last is acked.
    disable_nagle_algorithm = True

    request_id = ""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Every answer, refusals included, carries its request id, as Lambda's do."""
        super().send_response(code, message)
        self.send_header("X-Amzn-RequestId", self.request_id or str(uuid.uuid4()))

    def do_POST(self) -> None:  # noqa: N802 - http.server names it
        self.request_id = str(uuid.uuid4())
        try:
            self._invoke()
        except ThrottledError:
            self._reject(_throttled())
        except RejectedError as rejected:
            self._reject(rejected)

    def do_GET(self) -> None:  # noqa: N802 - http.server names it
        self.request_id = str(uuid.uuid4())
        self._reject(RejectedError(404, "UnknownOperationException", "Only Invoke is emulated."))

    def _reject(self, rejected: RejectedError) -> None:
        # Lambda's error shape: botocore reads the code from X-Amzn-ErrorType.
        document = {"Type": "User", "message": str(rejected)}
        if rejected.reason is not None:
            document["Reason"] = rejected.reason
        self.send_json(rejected.status, document, {"X-Amzn-ErrorType": rejected.error_type})

    def _invoke(self) -> None:
        # Browsers send Origin with every POST: refusing it keeps web pages from running commands.
        if self.headers.get("Origin") is not None:
            raise RejectedError(
                403, "AccessDeniedException", "Requests from web pages are refused."
            )
        path = urllib.parse.urlsplit(self.path).path
        kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if match := _INVOKE.fullmatch(path):
            self._buffered(urllib.parse.unquote(match["name"]), kind)
        elif match := _STREAM.fullmatch(path):
            self._streamed(urllib.parse.unquote(match["name"]), kind)
        else:
            message = "Only Invoke and InvokeWithResponseStream are emulated."
            raise RejectedError(404, "UnknownOperationException", message)

    def _buffered(self, name: str, kind: str) -> None:
        limit = ASYNC_PAYLOAD_LIMIT if kind == "Event" else PAYLOAD_LIMIT
        request = self._request(name, limit)
        if kind == "DryRun":
            self.send(204, b"")
        elif kind == "Event":
            self.server.invoker.enqueue(request)
            self.send(202, b"")
        elif kind == "RequestResponse":
            self._answer(self.server.invoker.invoke(request))
        else:
            raise RejectedError(
                400, "InvalidParameterValueException", f"No invocation type {kind!r}."
            )

    def _streamed(self, name: str, kind: str) -> None:
        request = self._request(name, PAYLOAD_LIMIT)
        if kind not in ("RequestResponse", "DryRun"):
            message = f"InvokeWithResponseStream takes RequestResponse or DryRun, not {kind!r}."
            raise RejectedError(400, "InvalidParameterValueException", message)
        if kind == "DryRun":
            self.send(204, b"")
            return
        headers = {
            "Content-Type": event_stream.CONTENT_TYPE,
            "X-Amz-Executed-Version": "$LATEST",
        }
        result = self.server.invoker.invoke(
            request,
            lambda piece: self.send_chunk(event_stream.payload_chunk(piece)),
            lambda: self.start_chunked(200, headers),  # accepted: not throttled
        )
        if result.error_type is None:
            for start in range(0, len(result.body), _PIECE):
                self.send_chunk(event_stream.payload_chunk(result.body[start : start + _PIECE]))
        tail = self.headers.get("X-Amz-Log-Type") == "Tail"
        failed = result.error_type is not None
        complete = event_stream.invoke_complete(
            error_code=result.error_type,
            error_details=result.body.decode(errors="replace") if failed else None,
            log=result.log if tail else None,
        )
        self.send_chunk(complete)
        self.send_chunk(b"")

    def _request(self, name: str, limit: int) -> InvokeRequest:
        try:
            payload = self.read_body(limit)
        except BodyTooLargeError:
            message = f"Request must be smaller than {limit} bytes for the Invoke operation"
            raise RejectedError(413, "RequestTooLargeException", message) from None
        except MalformedBodyError:
            message = "The chunked request body is malformed."
            raise RejectedError(400, "InvalidRequestContentException", message) from None
        if payload.strip():
            try:
                json.loads(payload)
            except (ValueError, RecursionError):
                message = "Could not parse request body into json: the payload is not valid JSON."
                raise RejectedError(400, "InvalidRequestContentException", message) from None
        return InvokeRequest(
            request_id=self.request_id,
            function_name=name,
            payload=payload,
            client_context=client_context(self.headers.get("X-Amz-Client-Context")),
            trace_header=self.headers.get("X-Amzn-Trace-Id"),
            tenant_id=tenant_id(self.headers.get(TENANT_HEADER)),
        )

    def _answer(self, result: InvokeResult) -> None:
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if result.error_type is not None:
            headers["X-Amz-Function-Error"] = "Unhandled"
        if self.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(result.log).decode()
        self.send(200, result.body, headers)
