"""Adapter: what both of the emulator's HTTP servers share (threads, quiet logs, JSON answers)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

BODY_CAP = 64 * 1024 * 1024
"""Bytes of a request body read at most; anything larger is refused without reading it."""


_LINE = 65536


class BodyTooLargeError(Exception):
    """The request's body is larger than the handler takes."""


class MalformedBodyError(Exception):
    """The request's chunked body does not follow HTTP/1.1's chunked encoding."""


class Server(ThreadingHTTPServer):
    """One thread per connection; errors of a single connection are logged, never printed."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        self._thread: threading.Thread | None = None

    @property
    def url_address(self) -> str:
        """`host:port` as bound, with IPv6 hosts in brackets."""
        host, port = self.server_address[:2]
        host = str(host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("A connection from %s failed.", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (the runtime keeps one pooled connection), JSON answers."""

    protocol_version = "HTTP/1.1"

    def read_body(self, limit: int = BODY_CAP) -> bytes:
        """The request body (sized or chunked); raises `BodyTooLargeError` past `limit`.

        A body up to `BODY_CAP` is read (and dropped) even then, so that the client, still
        sending, gets the refusal instead of a reset connection; a larger one closes it.
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = self._read_chunked()
        else:
            body = self._read_sized()
        if len(body) > limit:
            raise BodyTooLargeError
        return body

    def _read_sized(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= BODY_CAP:
            self.close_connection = True
            raise BodyTooLargeError
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            try:
                size = int(self.rfile.readline(_LINE).split(b";")[0], 16)
            except ValueError:
                self.close_connection = True
                raise MalformedBodyError from None
            if size < 0 or len(body) + size > BODY_CAP:
                self.close_connection = True
                raise BodyTooLargeError
            if size == 0:
                break
            body += self.rfile.read(size)
            self.rfile.readline(_LINE)
        while self.rfile.readline(_LINE).strip():  # trailers, which no handler uses
            pass
        return bytes(body)

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(
        self, status: int, document: object, headers: dict[str, str] | None = None
    ) -> None:
        self.send(status, json.dumps(document).encode(), headers)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)
