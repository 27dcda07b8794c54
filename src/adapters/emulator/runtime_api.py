"""Adapter: the Lambda Runtime API (and the Extensions API calls a runtime makes), over HTTP.

The paths, headers and status codes are Lambda's; the state behind them is an `Exchange`.
Bound to a private loopback port, one server per runtime process.
"""

from __future__ import annotations

import re
import urllib.parse

from .exchange import ContractError, Exchange, SandboxClosedError
from .http import BodyTooLargeError, Handler, MalformedBodyError, Server

RUNTIME = "/2018-06-01/runtime"
NEXT = f"{RUNTIME}/invocation/next"
INIT_ERROR = f"{RUNTIME}/init/error"
REGISTER = "/2020-01-01/extension/register"
EXTENSION_NEXT = "/2020-01-01/extension/event/next"
_ANSWER = re.compile(rf"{RUNTIME}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)")

ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY_HEADER = "Lambda-Runtime-Function-Error-Body"
"""The trailer of a streamed response that failed: its error body, base64."""
RESPONSE_MODE_HEADER = "Lambda-Runtime-Function-Response-Mode"
STREAMING = "streaming"


class RuntimeApiServer(Server):
    """Serves one runtime process on 127.0.0.1 (a free port unless `port` is given)."""

    def __init__(self, exchange: Exchange, port: int = 0) -> None:
        self.exchange = exchange
        super().__init__(("127.0.0.1", port), _RuntimeApiHandler)


class _RuntimeApiHandler(Handler):
    server: RuntimeApiServer

    def do_GET(self) -> None:  # noqa: N802 - http.server names it
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path == NEXT:
                self._next()
            elif path == EXTENSION_NEXT:
                self.server.exchange.extension_next(
                    self.headers.get("Lambda-Extension-Identifier", "")
                )
            else:
                self._not_found()
        except ContractError as refused:
            self._refuse(refused)
        except SandboxClosedError:
            self._closed()

    def do_POST(self) -> None:  # noqa: N802 - http.server names it
        path = urllib.parse.urlsplit(self.path).path
        answer = _ANSWER.fullmatch(path)
        try:
            if answer and self.headers.get(RESPONSE_MODE_HEADER) == STREAMING:
                self._stream(urllib.parse.unquote(answer["id"]))
                return
            try:
                body = self.read_body()
            except BodyTooLargeError:
                body = None
            except MalformedBodyError:
                raise ContractError(400, "InvalidRequest", "Malformed chunked body.") from None
            self._post(path, body)
        except ContractError as refused:
            self._refuse(refused)

    def _post(self, path: str, body: bytes | None) -> None:
        exchange = self.server.exchange
        answer = _ANSWER.fullmatch(path)
        if answer and answer["kind"] == "response":
            mode = self.headers.get(RESPONSE_MODE_HEADER)
            if mode is not None:
                message = f"{RESPONSE_MODE_HEADER}: {mode!r} is not a mode: give {STREAMING!r}."
                raise ContractError(400, "InvalidResponseMode", message)
            exchange.respond(urllib.parse.unquote(answer["id"]), body)
        elif body is None:  # larger than anything but a response may be: only ever refused
            raise ContractError(413, "RequestEntityTooLarge", "The body is too large.")
        elif answer:
            exchange.fail(
                urllib.parse.unquote(answer["id"]), body, self.headers.get(ERROR_TYPE_HEADER)
            )
        elif path == INIT_ERROR:
            exchange.init_error(body, self.headers.get(ERROR_TYPE_HEADER))
        elif path == REGISTER:
            identifier = exchange.register_extension()
            document = {"functionName": "function", "functionVersion": "$LATEST", "handler": ""}
            self.send_json(200, document, {"Lambda-Extension-Identifier": identifier})
            return
        else:
            self._not_found()
            return
        self.send_json(202, {"status": "OK"})

    def _stream(self, request_id: str) -> None:
        """A streamed response: each piece is passed on as it arrives; 202 once it ended."""
        exchange = self.server.exchange
        try:
            response = exchange.open_stream(request_id)
        except ContractError:
            self.discard_body()
            raise
        try:
            for piece in self.read_pieces():
                exchange.stream(response, piece)
        except ContractError:
            self.close_connection = True  # refused mid-stream: the rest is not read
            raise
        except MalformedBodyError:
            # Cut off (or garbled): the invocation stays open for an /error, the exit or timeout.
            raise ContractError(400, "InvalidRequest", "Malformed chunked body.") from None
        exchange.close_stream(
            response, self.trailers.get(ERROR_TYPE_HEADER), self.trailers.get(ERROR_BODY_HEADER)
        )
        self.send_json(202, {"status": "OK"})

    def _next(self) -> None:
        delivery = self.server.exchange.next()
        event = delivery.event
        headers = {
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            "Lambda-Runtime-Deadline-Ms": str(delivery.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": event.function_arn,
        }
        if event.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = event.trace_id
        if event.client_context:
            headers["Lambda-Runtime-Client-Context"] = event.client_context
        self.send(200, event.payload, headers)

    def _refuse(self, refused: ContractError) -> None:
        self.send_json(
            refused.status, {"errorMessage": str(refused), "errorType": refused.error_type}
        )

    def _closed(self) -> None:
        self.close_connection = True
        message = "The sandbox is shutting down: exit."
        self.send_json(500, {"errorMessage": message, "errorType": "Runtime.ExitError"})

    def _not_found(self) -> None:
        self.send_json(404, {"errorMessage": f"No such path: {self.path}", "errorType": "NotFound"})
