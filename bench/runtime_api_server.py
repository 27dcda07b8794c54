"""Bench: a small, fast Lambda Runtime API on 127.0.0.1, the same for every contender.

One thread, one selector, raw sockets and pre-built replies, so that the server costs every
contender the same few tens of microseconds per request. It speaks what runtimes use:
`GET …/invocation/next`, `POST …/invocation/{id}/response|error`, `POST …/init/error`,
SnapStart's `GET …/restore/next` (answered at once: `restore_asked_at` records when), and the
Extensions API's `register` and `event/next` (held open forever, as Lambda does between events).

The harness drives it in rounds: `serve(payload, count)` hands `count` events to the runtime and
returns once the runtime has answered them all and asked for the next one again, which stays
pending until the next round. Every wait is bounded: a round that makes no progress for
`stall_timeout` seconds, or whose runtime process exits, raises `BenchError`.
"""

from __future__ import annotations

import os
import selectors
import socket
import time
import uuid
from dataclasses import dataclass, field

RUNTIME = b"/2018-06-01/runtime/"
NEXT = RUNTIME + b"invocation/next"
INVOCATION = RUNTIME + b"invocation/"
INIT_ERROR = RUNTIME + b"init/error"
RESTORE = RUNTIME + b"restore/"
EXTENSION = b"/2020-01-01/extension/"
_MAX_HEAD = 64 * 1024
_ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
    b'Content-Length: 16\r\n\r\n{"status":"OK"}\n'
)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BenchError(Exception):
    """The benchmark cannot go on: a runtime died, stalled or broke the protocol."""


@dataclass(slots=True)
class Round:
    """What happened in one `serve` call; times are `time.monotonic_ns()` values.

    `sent[i]` is when event i went out, `posted[i]` when its outcome arrived, `ready[i]` when
    the runtime asked for the next event after it (`ready_at` alone for a round of 0 events).
    """

    sent: list[int] = field(default_factory=list)
    posted: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    errors: int = 0
    ready_at: int = 0

    def invocation_ns(self) -> list[int]:
        """Per event: from handing it over to the runtime being ready for the next one."""
        return [ready - sent for sent, ready in zip(self.sent, self.ready, strict=True)]


@dataclass(slots=True)
class _Request:
    method: bytes
    target: bytes
    body: bytes


class _Connection:
    """One client connection: incoming bytes until they form a whole HTTP/1.1 request."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.continued = False

    def take_request(self) -> _Request | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEAD:
                raise BenchError("a request head over 64 KiB")
            return None
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        method, target, _ = lines[0].split(b" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            return self._take_chunked(method, target, start)
        length = int(headers.get(b"content-length", b"0"))
        if len(self.buffer) - start < length:
            if headers.get(b"expect", b"").lower() == b"100-continue" and not self.continued:
                self.continued = True
                self.sock.sendall(_CONTINUE)
            return None
        body = bytes(self.buffer[start : start + length])
        del self.buffer[: start + length]
        self.continued = False
        return _Request(method, target, body)

    def _take_chunked(self, method: bytes, target: bytes, position: int) -> _Request | None:
        body = bytearray()
        while True:
            line_end = self.buffer.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = int(bytes(self.buffer[position:line_end]).split(b";")[0], 16)
            position = line_end + 2
            if size == 0:
                trailer_end = self.buffer.find(b"\r\n\r\n", position - 2)
                if trailer_end < 0:
                    return None
                del self.buffer[: trailer_end + 4]
                return _Request(method, target, bytes(body))
            if len(self.buffer) < position + size + 2:
                return None
            body += self.buffer[position : position + size]
            position += size + 2


class RuntimeApiServer:
    """The Runtime API for one runtime process at a time. Use it as a context manager."""

    def __init__(self, *, stall_timeout: float = 30.0) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._connections: list[_Connection] = []
        self._waiting: _Connection | None = None
        self._stall_timeout = stall_timeout
        self._round = Round()
        self._payload = b""
        self._to_send = 0
        self._outstanding: bytes | None = None
        self._function_arn = b"arn:aws:lambda:us-east-1:000000000000:function:bench"
        self.restore_asked_at: int | None = None

    @property
    def address(self) -> str:
        """`host:port`, the value of `AWS_LAMBDA_RUNTIME_API`."""
        host, port = self._listener.getsockname()[:2]
        return f"{host}:{port}"

    def __enter__(self) -> RuntimeApiServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for connection in self._connections:
            connection.sock.close()
        self._connections.clear()
        self._selector.close()
        self._listener.close()

    def serve(self, payload: bytes, count: int, *, process: int) -> Round:
        """Hand `payload` to the runtime `count` times; return once it waits for more.

        `process` is a pidfd of the runtime: its exit ends the round with `BenchError`.
        """
        self._round = Round()
        self._payload = payload
        self._to_send = count
        self._selector.register(process, selectors.EVENT_READ, "exit")
        try:
            self._hand_over()
            while not self._round_done():
                self._step()
        finally:
            self._selector.unregister(process)
        return self._round

    def _round_done(self) -> bool:
        return self._to_send == 0 and self._outstanding is None and self._waiting is not None

    def _step(self) -> None:
        events = self._selector.select(self._stall_timeout)
        if not events:
            raise BenchError(f"the runtime made no progress for {self._stall_timeout:g} s")
        for key, _ in events:
            if key.data == "exit":
                raise BenchError("the runtime process exited")
            if key.fileobj is self._listener:
                self._accept()
            else:
                self._receive(key.data)

    def _accept(self) -> None:
        sock, _ = self._listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = _Connection(sock)
        self._connections.append(connection)
        self._selector.register(sock, selectors.EVENT_READ, connection)

    def _receive(self, connection: _Connection) -> None:
        data = connection.sock.recv(1 << 20)
        if not data:
            self._drop(connection)
            return
        connection.buffer += data
        while (request := connection.take_request()) is not None:
            self._handle(connection, request)

    def _drop(self, connection: _Connection) -> None:
        self._selector.unregister(connection.sock)
        connection.sock.close()
        self._connections.remove(connection)
        if self._waiting is connection:
            self._waiting = None

    def _handle(self, connection: _Connection, request: _Request) -> None:
        now = time.monotonic_ns()
        target = request.target
        if target == NEXT and request.method == b"GET":
            self._waiting = connection
            if self._round.sent:
                self._round.ready.append(now)
            else:
                self._round.ready_at = now
            self._hand_over()
        elif target.startswith(INVOCATION) and request.method == b"POST":
            self._outcome(connection, target[len(INVOCATION) :], now)
        elif target == INIT_ERROR:
            raise BenchError(f"the runtime failed to start: {request.body[:2000]!r}")
        elif target == RESTORE + b"next" and request.method == b"GET":
            self.restore_asked_at = now  # restored at once: there is no snapshot here
            connection.sock.sendall(_reply(b"200 OK", b""))
        elif target == RESTORE + b"error":
            raise BenchError(f"the runtime failed its restore: {request.body[:2000]!r}")
        elif target == EXTENSION + b"register":
            identifier = str(uuid.uuid4()).encode()
            body = b'{"functionName":"bench","functionVersion":"$LATEST","handler":"bench"}'
            connection.sock.sendall(
                _reply(b"200 OK", body, b"Lambda-Extension-Identifier", identifier)
            )
        elif target == EXTENSION + b"event/next":
            pass  # held open: no shutdown event ever comes while the benchmark runs
        else:
            connection.sock.sendall(_reply(b"404 Not Found", b'{"errorType":"NotFound"}'))

    def _outcome(self, connection: _Connection, rest: bytes, now: int) -> None:
        request_id, _, kind = rest.partition(b"/")
        if request_id != self._outstanding or kind not in (b"response", b"error"):
            raise BenchError(f"an unexpected post: {rest!r}")
        self._outstanding = None
        self._round.posted.append(now)
        if kind == b"error":
            self._round.errors += 1
        connection.sock.sendall(_ACCEPTED)

    def _hand_over(self) -> None:
        if self._waiting is None or self._to_send == 0 or self._outstanding is not None:
            return
        request_id = str(uuid.uuid4()).encode()
        deadline = str(time.time_ns() // 1_000_000 + 900_000).encode()
        head = b"".join(
            (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
                b"Lambda-Runtime-Aws-Request-Id: ", request_id, b"\r\n",
                b"Lambda-Runtime-Deadline-Ms: ", deadline, b"\r\n",
                b"Lambda-Runtime-Invoked-Function-Arn: ", self._function_arn, b"\r\n",
                b"Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n",
                b"Content-Length: ", str(len(self._payload)).encode(), b"\r\n\r\n",
            )
        )  # fmt: skip
        self._outstanding = request_id
        self._to_send -= 1
        waiting, self._waiting = self._waiting, None
        self._round.sent.append(time.monotonic_ns())
        waiting.sock.sendall(head + self._payload)


def _reply(status: bytes, body: bytes, *header: bytes) -> bytes:
    extra = b"".join(b"%s: %s\r\n" % pair for pair in zip(header[::2], header[1::2], strict=True))
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s" % (
        status,
        extra,
        len(body),
        body,
    )


def pidfd(pid: int) -> int:
    """A pidfd for `pid`, to pass to `serve` (close it when done)."""
    return os.pidfd_open(pid)
