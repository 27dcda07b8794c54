"""A threaded fake of the Lambda Runtime API (and the Extensions API) on 127.0.0.1, for tests.

Unlike a one-request-at-a-time server it lets `invocation/next` block like Lambda's does (a
long poll until an event is queued) while other requests, such as the extension's parked
`event/next`, are answered. Reusable for fault injection (`fail`), benchmarks and emulators:

    api = FakeRuntimeApi()
    request_id = api.enqueue({"program": "true"})
    ...start the runtime with AWS_LAMBDA_RUNTIME_API=api.address...
    outcome = api.outcome(request_id)           # waits for the response or error post
    assert outcome.kind == "response"
"""

from __future__ import annotations

import collections
import itertools
import json
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
class Post:
    """One outcome (or init error) the runtime posted, as the API received it."""

    kind: str  # "response", "error" or "init-error"
    request_id: str | None
    headers: dict[str, str]
    body: bytes
    received_at: float  # Unix time, seconds

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

    `fail(kind, *statuses)` makes the next requests of a kind ("next", "response", "error",
    "register") answer with those statuses instead (a 500 on `next` consumes no event).
    """

    def __init__(self) -> None:
        self._events: queue.Queue[Event | None] = queue.Queue()
        self._lock = threading.Condition()
        self._faults: dict[str, collections.deque[int]] = collections.defaultdict(collections.deque)
        self._numbers = itertools.count(1)
        self._closed = threading.Event()
        self.posts: list[Post] = []
        self.delivered: list[str] = []
        self.connections = 0
        self.waiting_next = 0
        self.registrations: list[dict[str, str]] = []
        self.registration_bodies: list[bytes] = []
        self.extension_polls: list[str] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.api = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        """host:port, the value of AWS_LAMBDA_RUNTIME_API."""
        return f"127.0.0.1:{self._server.server_port}"

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

    def fail(self, kind: str, *statuses: int) -> None:
        with self._lock:
            self._faults[kind].extend(statuses)

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
        self._server.shutdown()
        self._server.server_close()

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
    server: ThreadingHTTPServer

    @property
    def api(self) -> FakeRuntimeApi:
        api = self.server.api  # type: ignore[attr-defined]
        assert isinstance(api, FakeRuntimeApi)
        return api

    def setup(self) -> None:
        super().setup()
        with self.api._lock:
            self.api.connections += 1
            self.api._lock.notify_all()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests look at what was posted, not at an access log."""

    def do_GET(self) -> None:
        if self.path == f"{RUNTIME}/invocation/next":
            self._next()
        elif self.path == f"{EXTENSION}/event/next":
            self._extension_next()
        else:
            self._answer(404, b'{"errorMessage": "no such path"}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        parts = self.path.removeprefix(RUNTIME).strip("/").split("/")
        if self.path == f"{EXTENSION}/register":
            self._register(body)
        elif parts == ["init", "error"]:
            self._record("init-error", None, body)
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            self._record(parts[2], parts[1], body)
        else:
            self._answer(404, b'{"errorMessage": "no such path"}')

    def _next(self) -> None:
        status = self._fault("next")
        if status is not None:
            self._answer(status, b'{"errorMessage": "injected fault"}')
            return
        with self.api._lock:
            self.api.waiting_next += 1
            self.api._lock.notify_all()
        event = self.api._events.get()
        with self.api._lock:
            self.api.waiting_next -= 1
            if event is not None:
                self.api.delivered.append(event.request_id)
            self.api._lock.notify_all()
        if event is None:  # closing: let the runtime's connection drop
            self.api._events.put(None)
            self.close_connection = True
            return
        self._answer(event.status, event.body, event.headers)

    def _extension_next(self) -> None:
        with self.api._lock:
            self.api.extension_polls.append(self.headers.get("Lambda-Extension-Identifier", ""))
            self.api._lock.notify_all()
        self.api._closed.wait()  # no events are ever sent to a no-op extension
        self.close_connection = True

    def _register(self, body: bytes) -> None:
        status = self._fault("register")
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
        status = self._fault(kind)
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
        if status is None:
            self._answer(202, b'{"status": "OK"}')
        else:
            self._answer(status, b'{"errorMessage": "injected fault"}')

    def _fault(self, kind: str) -> int | None:
        with self.api._lock:
            faults = self.api._faults[kind]
            return faults.popleft() if faults else None

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
