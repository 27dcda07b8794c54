"""Bench: a Runtime API that serves many `next` at once, as on Lambda Managed Instances.

Threaded (one thread per connection): each worker of the runtime parks on `next` until an
event is queued; every answer is recorded with the time it arrived. The Extensions API calls
our runtime makes are answered too (the extension's `event/next` is held open).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from typing import Any

from run_command_on_aws_lambda.adapters.emulator.http import Handler

NEXT = "/2018-06-01/runtime/invocation/next"
INVOCATION = "/2018-06-01/runtime/invocation/"
INIT_ERROR = "/2018-06-01/runtime/init/error"
EXTENSION = "/2020-01-01/extension/"


class ConcurrentRuntimeApi(ThreadingHTTPServer):
    """The Runtime API for one runtime process with many workers. Close it after use."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.events: queue.Queue[bytes | None] = queue.Queue()
        self.changed = threading.Condition()
        self.waiting = 0  # workers parked on `next`
        self.answered: list[tuple[int, str]] = []  # (monotonic ns, "response" or "error")
        self.init_error: bytes | None = None
        self.closed = threading.Event()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}).start()

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    def wait(self, condition: str, check: object, timeout: float = 60) -> None:
        """Wait until `check()` is true; `condition` names it for the error."""
        give_up = time.monotonic() + timeout
        with self.changed:
            while not check():  # type: ignore[operator]
                if self.init_error is not None:
                    raise RuntimeError(f"the runtime failed to start: {self.init_error[:500]!r}")
                left = give_up - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"timed out waiting for {condition}")
                self.changed.wait(min(left, 0.1))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about a connection the runtime dropped (it was stopped); loud about the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close(self) -> None:
        self.closed.set()
        for _ in range(self.waiting + 1600):
            self.events.put(None)
        self.shutdown()
        self.server_close()


class _Handler(Handler):  # the emulator's: HTTP/1.1, JSON answers (`send`), quiet logs
    server: ConcurrentRuntimeApi
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK

    def do_GET(self) -> None:  # noqa: N802 - http.server names it
        api = self.server
        if self.path == NEXT:
            with api.changed:
                api.waiting += 1
                api.changed.notify_all()
            event = api.events.get()
            with api.changed:
                api.waiting -= 1
            if event is None:
                self.close_connection = True
                return
            deadline = str(time.time_ns() // 1_000_000 + 900_000)
            self.send(
                200,
                event,
                {
                    "Lambda-Runtime-Aws-Request-Id": str(uuid.uuid4()),
                    "Lambda-Runtime-Deadline-Ms": deadline,
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:0:function:b",
                    # awslambdaric's native client dies on an invocation without one
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                },
            )
        elif self.path.startswith(EXTENSION):
            api.closed.wait()  # no shutdown event ever comes while the benchmark runs
            self.close_connection = True
        else:
            self.send(404, b"{}")

    def do_POST(self) -> None:  # noqa: N802 - http.server names it
        api = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(INVOCATION):
            with api.changed:
                api.answered.append((time.monotonic_ns(), self.path.rsplit("/", 1)[1]))
                api.changed.notify_all()
            self.send(202, b'{"status":"OK"}')
        elif self.path == INIT_ERROR:
            with api.changed:
                api.init_error = body
                api.changed.notify_all()
            self.send(202, b'{"status":"OK"}')
        elif self.path.startswith(EXTENSION):
            self.send(200, b"{}", {"Lambda-Extension-Identifier": str(uuid.uuid4())})
        else:
            self.send(404, b"{}")
