"""Adapter: what both of the emulator's HTTP servers share (threads, quiet logs, JSON answers)."""

from __future__ import annotations

import contextlib
import email.message
import http.client
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn

log = logging.getLogger(__name__)

BODY_CAP = 64 * 1024 * 1024
"""Bytes of a request body read at most; anything larger is refused without reading it."""


_LINE = 65536
_PIECE = 65536


class BodyTooLargeError(Exception):
    """The request's body is larger than the handler takes."""


class MalformedBodyError(Exception):
    """The request's body does not follow HTTP/1.1's framing, or its connection ended early."""


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
    trailers: email.message.Message
    client_gone = False

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
        for piece in self.read_pieces():
            if len(body) + len(piece) > BODY_CAP:
                self.close_connection = True
                raise BodyTooLargeError
            body += piece
        return bytes(body)

    def read_pieces(self) -> Iterator[bytes]:
        """The request body (sized or chunked) piece by piece, each as soon as it arrived.

        Raises `MalformedBodyError` when the framing is wrong or the connection ends early.
        Once a chunked body is read, `trailers` holds its trailer fields.
        """
        self.trailers = email.message.Message()
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            yield from self._sized_pieces()
            return
        while size := self._chunk_size():
            yield from self._sized_pieces(size)
            if self.rfile.readline(_LINE) not in (b"\r\n", b"\n"):  # the chunk's end
                self._malformed()
        try:
            self.trailers = http.client.parse_headers(self.rfile)
        except http.client.HTTPException:  # a line too long, or too many of them
            self._malformed()

    def discard_body(self) -> None:
        """Read the request body and drop it, so that a refusal reaches a client still sending.

        A body larger than `BODY_CAP` closes the connection instead.
        """
        with contextlib.suppress(BodyTooLargeError, MalformedBodyError):
            self.read_body()

    def _chunk_size(self) -> int:
        try:
            size = int(self.rfile.readline(_LINE).split(b";")[0], 16)
        except ValueError:
            self._malformed()
        if size < 0:
            self._malformed()
        return size

    def _sized_pieces(self, size: int | None = None) -> Iterator[bytes]:
        if size is None:
            try:
                size = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self._malformed()
        while size > 0:
            # read1: whatever has arrived (up to a piece), not a wait for the whole chunk.
            piece = self.rfile.read1(min(size, _PIECE))
            if not piece:
                self._malformed()
            size -= len(piece)
            yield piece

    def _malformed(self) -> NoReturn:
        self.close_connection = True
        raise MalformedBodyError

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, status: int, headers: dict[str, str]) -> None:
        """Send the status and headers of a body that follows in chunks (`send_chunk`)."""
        self.client_gone = False
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        """Send `data` as one chunk at once; b"" ends the body.

        A client that went away is noted (`client_gone`), not raised: what it asked for goes on.
        """
        if self.client_gone:
            return
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        except OSError:
            self.client_gone = self.close_connection = True

    def send_json(
        self, status: int, document: object, headers: dict[str, str] | None = None
    ) -> None:
        self.send(status, json.dumps(document).encode(), headers)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)
