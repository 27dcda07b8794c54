"""A threaded fake of the Lambda Runtime API (and the Extensions API) on 127.0.0.1, for tests.

Unlike a one-request-at-a-time server it lets `invocation/next` block like Lambda's does (a
long poll until an event is queued) while other requests, such as the extension's parked
`event/next`, are answered. Reusable for fault injection (`fail` with a status, `Drop` or
`Slow`; `stop` and `start` to restart it on the same port), benchmarks and emulators:

    api = FakeRuntimeApi()
    request_id = api.enqueue({"program": "true"})
    ...start the runtime with AWS_LAMBDA_RUNTIME_API=api.address...
    outcome = api.outcome(request_id)           # waits for the response or error post
    assert outcome.kind == "response"
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import math
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")

RUNTIME = "/2018-06-01/runtime"
EXTENSION = "/2020-01-01/extension"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:f"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class Drop:
    """Close the connection instead of answering.

    With `partway`, first send the status line, the headers and half of the body (on `next`,
    of the event it takes from the queue, which is then lost as it would be on Lambda).
    """

    partway: bool = False


@dataclass(frozen=True)
class Slow:
    """Answer as usual, but `seconds` late (`math.inf`: never, until the API is closed)."""

    seconds: float


@dataclass(frozen=True)
class Early:
    """On a streamed post: answer `status` as soon as its first chunk arrives, and hang up."""

    status: int


Fault = int | Drop | Slow | Early


@dataclass(frozen=True)
class Post:
    """One outcome (or init error) the runtime posted, as the API received it."""

    kind: str  # "response", "error", "init-error" or "restore-error"
    request_id: str | None
    headers: dict[str, str]
    body: bytes
    received_at: float  # Unix time, seconds
    trailers: dict[str, str] = field(default_factory=dict)  # of a streamed post, lower-case names
    raw: bytes = b""  # a streamed post's body as it came, chunk framing and trailers included
    ended: bool = True  # whether a streamed post's body reached its last chunk

    @property
    def streamed(self) -> bool:
        return self.headers.get("transfer-encoding") == "chunked"

    @property
    def document(self) -> dict[str, object]:
        parsed = json.loads(self.body)
        assert isinstance(parsed, dict)
        return parsed

    @property
    def error_type_header(self) -> str | None:
        return self.headers.get("lambda-runtime-function-error-type")


@dataclass(frozen=True)
class Event:
    """One queued invocation: the body and the headers `next` answers with."""

    request_id: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


class FakeRuntimeApi:
    """A Runtime API that serves queued events in order and records every post.

    `fail(kind, *faults)` makes the next requests of a kind ("next", "response", "error",
    "register", "restore") misbehave, one fault each: a status to answer with instead (a 500
    on `next` consumes no event), a `Drop` or a `Slow`. A post is recorded before its fault applies.
    A streamed (chunked) post is read chunk by chunk: `chunks` shows each as it arrives, and
    `Drop(partway=True)` hangs up, and `Early` answers, after its first chunk.
    """

    def __init__(self) -> None:
        self._events: queue.Queue[Event | None] = queue.Queue()
        self._lock = threading.Condition()
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._numbers = itertools.count(1)
        self._closed = threading.Event()
        self.posts: list[Post] = []
        self.chunks: dict[str, list[bytes]] = collections.defaultdict(list)
        self.delivered: list[str] = []
        self.requests: list[str] = []  # "GET /path" of every request, in the order received
        self.restored = threading.Event()  # set to hold `restore/next` until the test allows
        self.restored.set()
        self.connections = 0
        self.waiting_next = 0
        self.registrations: list[dict[str, str]] = []
        self.registration_bodies: list[bytes] = []
        self.extension_polls: list[str] = []
        self.generation = 0  # counts restarts: a request of an older generation is dropped
        self._sockets: set[socket.socket] = set()
        self._port = 0
        self._server: _Server | None = None
        self.start()

    @property
    def address(self) -> str:
        """host:port, the value of AWS_LAMBDA_RUNTIME_API."""
        return f"127.0.0.1:{self._port}"

    def start(self) -> None:
        """Listen (again) on the same port; queued events and recorded posts are kept."""
        assert self._server is None, "the API is already running"
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.api = self  # type: ignore[attr-defined]
        self._port = server.server_port
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        """Go away as a restarting server does: stop listening and drop every connection."""
        server, self._server = self._server, None
        assert server is not None, "the API is not running"
        with self._lock:
            self.generation += 1
            sockets = list(self._sockets)
        server.shutdown()
        server.server_close()
        for connection in sockets:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def enqueue(
        self,
        event: object,
        *,
        request_id: str | None = None,
        deadline_ms: int | None = None,
        trace_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Queue an event (bytes as they are, anything else as JSON); returns its request id."""
        request_id = request_id or f"request-{next(self._numbers):04d}"
        if deadline_ms is None:
            deadline_ms = int((time.time() + 900) * 1000)
        answer = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
        }
        if trace_id is not None:
            answer["Lambda-Runtime-Trace-Id"] = trace_id
        answer.update(headers or {})
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self._events.put(Event(request_id=request_id, body=body, headers=answer))
        return request_id

    def enqueue_raw(self, headers: dict[str, str], body: bytes = b"{}") -> None:
        """Queue a `next` answer with exactly these headers (to break the contract)."""
        self._events.put(Event(request_id="", body=body, headers=headers))

    def enqueue_status(self, status: int, body: bytes = b'{"errorMessage": "injected"}') -> None:
        """Queue a `next` answer with this status (a 500 after the events queued before it)."""
        self._events.put(Event(request_id="", body=body, status=status))

    def fail(self, kind: str, *faults: Fault) -> None:
        with self._lock:
            self._faults[kind].extend(faults)

    def outcome(self, request_id: str, timeout: float = 30) -> Post:
        """Wait for the response or error posted for `request_id`."""
        return self.wait_for(
            lambda: next((p for p in self.posts if p.request_id == request_id), None), timeout
        )

    def wait_for_posts(self, count: int, timeout: float = 30) -> list[Post]:
        return self.wait_for(
            lambda: list(self.posts) if len(self.posts) >= count else None, timeout
        )

    def wait_until_polling(self, timeout: float = 30) -> None:
        """Wait until the runtime is parked on `next` with nothing queued."""
        self.wait_for(lambda: (self.waiting_next > 0 and self._events.empty()) or None, timeout)

    def wait_for(self, probe: Callable[[], T | None], timeout: float = 30) -> T:
        """Wait until `probe()` is truthy; it is called after every request and every 50 ms."""
        give_up = time.monotonic() + timeout
        with self._lock:
            while not (found := probe()):
                remaining = give_up - time.monotonic()
                assert remaining > 0, f"timed out after {timeout} s waiting for the runtime"
                self._lock.wait(min(remaining, 0.05))
        return found

    def close(self) -> None:
        self._closed.set()
        self._events.put(None)
        if self._server is not None:
            self.stop()

    def __enter__(self) -> FakeRuntimeApi:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A runtime killed mid-request resets its connections: expected in these tests."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Lambda's API: the runtime reuses one connection
    # Headers and body go out in two writes: with Nagle's algorithm the body would wait for the
    # runtime's delayed ACK, 40 ms an answer.
    disable_nagle_algorithm = True
    server: ThreadingHTTPServer

    @property
    def api(self) -> FakeRuntimeApi:
        api = self.server.api  # type: ignore[attr-defined]
        assert isinstance(api, FakeRuntimeApi)
        return api

    def setup(self) -> None:
        super().setup()
        with self.api._lock:
            self.generation = self.api.generation
            self.api.connections += 1
            self.api._sockets.add(self.connection)
            self.api._lock.notify_all()

    def finish(self) -> None:
        with self.api._lock:
            self.api._sockets.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests look at what was posted, not at an access log."""

    def _note(self) -> None:
        with self.api._lock:
            self.api.requests.append(f"{self.command} {self.path}")
            self.api._lock.notify_all()

    def do_GET(self) -> None:
        self._note()
        if self.path == f"{RUNTIME}/invocation/next":
            self._next()
        elif self.path == f"{RUNTIME}/restore/next":
            self._restore_next()
        elif self.path == f"{EXTENSION}/event/next":
            self._extension_next()
        else:
            self._answer(404, b'{"errorMessage": "no such path"}')

    def do_POST(self) -> None:
        self._note()
        parts = self.path.removeprefix(RUNTIME).strip("/").split("/")
        if self.headers.get("Transfer-Encoding") == "chunked":
            self._streamed(parts[1] if len(parts) == 3 else "")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == f"{EXTENSION}/register":
            self._register(body)
        elif parts == ["init", "error"]:
            self._record("init-error", None, body)
        elif parts == ["restore", "error"]:
            self._record("restore-error", None, body)
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            self._record(parts[2], parts[1], body)
        else:
            self._answer(404, b'{"errorMessage": "no such path"}')

    def _next(self) -> None:
        fault = self._fault("next")
        if isinstance(fault, Slow):
            self._sleep(fault.seconds)
        elif isinstance(fault, int):
            self._answer(fault, b'{"errorMessage": "injected fault"}')
            return
        elif fault == Drop():
            self.close_connection = True
            return
        with self.api._lock:
            self.api.waiting_next += 1
            self.api._lock.notify_all()
        event = self._wait_for_event()
        with self.api._lock:
            self.api.waiting_next -= 1
            if event is not None:
                self.api.delivered.append(event.request_id)
            self.api._lock.notify_all()
        if event is None:  # closing or restarting: let the runtime's connection drop
            self.close_connection = True
            return
        self._answer(event.status, event.body, event.headers, partway=fault == Drop(True))

    def _restore_next(self) -> None:
        """SnapStart: answer once the test lets the restore happen (`restored`)."""
        fault = self._fault("restore")
        if isinstance(fault, int):
            self._answer(fault, b'{"errorMessage": "injected fault"}')
            return
        while not self.api.restored.wait(0.05):
            if self.api._closed.is_set():
                self.close_connection = True
                return
        self._answer(200, b"")

    def _wait_for_event(self) -> Event | None:
        """The next queued event; `None` once the API closes or restarts."""
        while self.api.generation == self.generation:
            try:
                event = self.api._events.get(timeout=0.05)
            except queue.Empty:
                continue
            if event is None:
                self.api._events.put(None)  # for every other waiter
            return event
        return None

    def _sleep(self, seconds: float) -> None:
        self.api._closed.wait(None if math.isinf(seconds) else seconds)

    def _extension_next(self) -> None:
        with self.api._lock:
            self.api.extension_polls.append(self.headers.get("Lambda-Extension-Identifier", ""))
            self.api._lock.notify_all()
        self.api._closed.wait()  # no events are ever sent to a no-op extension
        self.close_connection = True

    def _register(self, body: bytes) -> None:
        status = self._fault("register")
        if isinstance(status, Slow):
            self._sleep(status.seconds)
            status = None
        assert status is None or isinstance(status, int), "only statuses and Slow on register"
        with self.api._lock:
            self.api.registration_bodies.append(body)
            self.api.registrations.append({k.lower(): v for k, v in self.headers.items()})
            self.api._lock.notify_all()
        if status is not None:
            self._answer(status, b'{"errorMessage": "injected fault"}')
            return
        headers = {"Lambda-Extension-Identifier": "extension-0001"}
        self._answer(200, b'{"functionName": "f"}', headers)

    def _record(self, kind: str, request_id: str | None, body: bytes) -> None:
        fault = self._fault(kind)
        post = Post(
            kind=kind,
            request_id=request_id,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            received_at=time.time(),
        )
        with self.api._lock:
            self.api.posts.append(post)
            self.api._lock.notify_all()
        if isinstance(fault, int):
            self._answer(fault, b'{"errorMessage": "injected fault"}')
            return
        if isinstance(fault, Slow):
            self._sleep(fault.seconds)
        elif fault == Drop():
            self.close_connection = True
            return
        self._answer(202, b'{"status": "OK"}', partway=fault == Drop(True))

    def _streamed(self, request_id: str) -> None:
        """Read a chunked body as it comes, then its trailers; record it; answer or fail."""
        fault = self._fault("response")
        raw, body, ended = bytearray(), bytearray(), False
        while line := self.rfile.readline(65537):
            raw += line
            size = int(line.split(b";")[0], 16)
            if size == 0:
                ended = True
                break
            data = self.rfile.read(size + 2)
            raw += data
            body += data[:size]
            with self.api._lock:
                self.api.chunks[request_id].append(data[:size])
                self.api._lock.notify_all()
            if fault == Drop(True) or isinstance(fault, Early):
                break
        trailers = {}
        while ended and (line := self.rfile.readline(65537)) not in (b"\r\n", b""):
            raw += line
            name, _, value = line.decode("latin-1").partition(":")
            trailers[name.strip().lower()] = value.strip()
        raw += b"\r\n" if ended else b""
        post = Post(
            kind="response",
            request_id=request_id,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=bytes(body),
            received_at=time.time(),
            trailers=trailers,
            raw=bytes(raw),
            ended=ended,
        )
        with self.api._lock:
            self.api.posts.append(post)
            self.api._lock.notify_all()
        if not ended or isinstance(fault, Early):  # hung up mid-body, or answered early
            self.close_connection = True
        if isinstance(fault, Early):
            self._answer(fault.status, b'{"errorMessage": "injected fault"}')
        elif isinstance(fault, int):
            self._answer(fault, b'{"errorMessage": "injected fault"}')
        elif isinstance(fault, Slow):
            self._sleep(fault.seconds)
            self._answer(202, b'{"status": "OK"}')
        elif fault is None and ended:
            self._answer(202, b'{"status": "OK"}')

    def _fault(self, kind: str) -> Fault | None:
        with self.api._lock:
            faults = self.api._faults[kind]
            return faults.popleft() if faults else None

    def _answer(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        partway: bool = False,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if partway:  # the connection drops mid-body
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)
