"""Adapter: the Lambda Runtime API (and the Extensions API calls a runtime makes), over HTTP.

The paths, headers and status codes are Lambda's; the state behind them is an `Exchange`.
Bound to a private loopback port, one server per runtime process.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from .exchange import Exchange
from .extensions import ContractError, SandboxClosedError
from .http import BodyTooLargeError, Handler, MalformedBodyError, Server

RUNTIME = "/2018-06-01/runtime"
NEXT = f"{RUNTIME}/invocation/next"
INIT_ERROR = f"{RUNTIME}/init/error"
RESTORE_NEXT = f"{RUNTIME}/restore/next"
RESTORE_ERROR = f"{RUNTIME}/restore/error"
REGISTER = "/2020-01-01/extension/register"
EXTENSION_NEXT = "/2020-01-01/extension/event/next"
_ANSWER = re.compile(rf"{RUNTIME}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)")

ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY_HEADER = "Lambda-Runtime-Function-Error-Body"
"""The trailer of a streamed response that failed: its error body, base64."""
RESPONSE_MODE_HEADER = "Lambda-Runtime-Function-Response-Mode"
INVOCATION_ID_HEADER = "Lambda-Runtime-Invocation-Id"
TENANT_HEADER = "Lambda-Runtime-Aws-Tenant-Id"
STREAMING = "streaming"


class RuntimeApiServer(Server):
    """Serves one runtime process on 127.0.0.1 (a free port unless `port` is given)."""

    def __init__(self, exchange: Exchange, port: int = 0) -> None:
        self.exchange = exchange
        self._connections = threading.Condition()
        self._open = 0  # connections accepted whose handler has not ended
        self._parked = 0  # handlers of those waiting in the exchange, not reading
        super().__init__(("127.0.0.1", port), _RuntimeApiHandler)

    def settle(self, grace: float) -> None:
        """Wait until all that a runtime which exited had sent is read, at most `grace` seconds.

        Settled: no connection waits to be accepted, and each accepted one has ended (its
        handler read it to the end) or is parked in the exchange. Its process gone, the
        runtime's connections end by themselves; `grace` only bounds one that something the
        runtime started still holds open.
        """
        deadline = time.monotonic() + grace
        with self._connections:
            while self._open > self._parked or self._waiting_to_be_accepted():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._connections.wait(min(remaining, 0.05))

    def _waiting_to_be_accepted(self) -> bool:
        return bool(select.select([self.socket], [], [], 0)[0])

    @contextlib.contextmanager
    def parked(self) -> Iterator[None]:
        """A handler waits in the exchange (for an event, or for the sandbox to close)."""
        with self._connections:
            self._parked += 1
            self._connections.notify_all()
        try:
            yield
        finally:
            with self._connections:
                self._parked -= 1

    def get_request(self) -> tuple[socket.socket, Any]:
        # Counted under the lock, so that `settle` sees it either waiting or accepted.
        with self._connections:
            request = super().get_request()
            self._open += 1
            return request

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections:
                self._open -= 1
                self._connections.notify_all()


class _RuntimeApiHandler(Handler):
    server: RuntimeApiServer

    def do_GET(self) -> None:  # noqa: N802 - http.server names it
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path == NEXT:
                self._next()
            elif path == RESTORE_NEXT:
                self.server.exchange.restore_next()
                self.send(200, b"")
            elif path == EXTENSION_NEXT:
                with self.server.parked():
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
            exchange.respond(urllib.parse.unquote(answer["id"]), body, self._invocation_id)
        elif body is None:  # larger than anything but a response may be: only ever refused
            raise ContractError(413, "RequestEntityTooLarge", "The body is too large.")
        elif answer:
            request_id = urllib.parse.unquote(answer["id"])
            error_type = self.headers.get(ERROR_TYPE_HEADER)
            exchange.fail(request_id, body, error_type, self._invocation_id)
        elif path == INIT_ERROR:
            exchange.init_error(body, self.headers.get(ERROR_TYPE_HEADER))
        elif path == RESTORE_ERROR:
            exchange.restore_error(body, self.headers.get(ERROR_TYPE_HEADER))
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
            response = exchange.open_stream(request_id, self._invocation_id)
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
        with self.server.parked():
            delivery = self.server.exchange.next()
        event = delivery.event
        headers = {
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            "Lambda-Runtime-Deadline-Ms": str(delivery.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": event.function_arn,
        }
        if delivery.invocation_id:
            headers[INVOCATION_ID_HEADER] = delivery.invocation_id
        if event.tenant_id:
            headers[TENANT_HEADER] = event.tenant_id
        if event.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = event.trace_id
        if event.client_context:
            headers["Lambda-Runtime-Client-Context"] = event.client_context
        self.send(200, event.payload, headers)

    @property
    def _invocation_id(self) -> str | None:
        """The invocation id an answer carries, if any (Lambda checks it when given)."""
        return self.headers.get(INVOCATION_ID_HEADER)

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
