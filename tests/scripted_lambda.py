"""A scripted stand-in for Lambda's Invoke APIs on 127.0.0.1, for testing clients.

Each request is recorded and answered by the test's script: an event stream piece by
piece (`Frame`, `Wait`), a dropped connection (`Drop`), or a JSON answer with headers.
The event-stream framing is written here from the spec (botocore's decoder is the oracle):

    lambda_ = ScriptedLambda(streamed(Frame(payload_chunk(b"one\\n")), Wait(go), Drop()))
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

STREAM_PATH = "/2021-11-15/functions/{name}/response-streaming-invocations"
INVOKE_PATH = "/2015-03-31/functions/{name}/invocations"


def event_frame(event_type: str, payload: bytes, content_type: str) -> bytes:
    """One event-stream message: prelude, CRC, string headers, payload, CRC."""
    headers = b""
    for name, value in (
        (":message-type", "event"),
        (":event-type", event_type),
        (":content-type", content_type),
    ):
        encoded = value.encode()
        headers += bytes([len(name)]) + name.encode() + b"\x07"
        headers += struct.pack(">H", len(encoded)) + encoded
    prelude = struct.pack(">II", 12 + len(headers) + len(payload) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def payload_chunk(data: bytes) -> bytes:
    return event_frame("PayloadChunk", data, "application/octet-stream")


def invoke_complete(**fields: str) -> bytes:
    """`InvokeComplete`, with `ErrorCode`, `ErrorDetails` or `LogResult` as given."""
    return event_frame("InvokeComplete", json.dumps(fields).encode(), "application/json")


@dataclass(frozen=True)
class Frame:
    """Send these bytes as one HTTP chunk."""

    data: bytes


@dataclass(frozen=True)
class Wait:
    """Wait (up to a minute) until the test sets `event`."""

    event: threading.Event


@dataclass(frozen=True)
class Drop:
    """Close the connection here, without ending the chunked body."""


Step = Frame | Wait | Drop
Answer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Recorded:
    path: str
    headers: Mapping[str, str]
    body: bytes


def streamed(*steps: Step) -> Answer:
    """Answer 200 with an event stream made of `steps`."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vnd.amazon.eventstream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("x-amzn-RequestId", "stream-request-id")
        handler.end_headers()
        for step in steps:
            if isinstance(step, Frame):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(step.data), step.data))
                handler.wfile.flush()
            elif isinstance(step, Wait):
                step.event.wait(60)
            else:
                handler.close_connection = True
                return
        handler.wfile.write(b"0\r\n\r\n")

    return answer


def json_answer(status: int, document: object, headers: Mapping[str, str] | None = None) -> Answer:
    """Answer `status` with `document` as JSON, and `headers`."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(document).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def lambda_error(status: int, code: str, message: str) -> Answer:
    """An error of Lambda's own, shaped as Lambda sends it (botocore reads X-Amzn-ErrorType)."""
    return json_answer(status, {"Type": "User", "message": message}, {"X-Amzn-ErrorType": code})


def cut_short(body: bytes) -> Answer:
    """Promise twice `body`'s length, send `body`, and close the connection."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(2 * len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        handler.close_connection = True

    return answer


def dropped(handler: BaseHTTPRequestHandler) -> None:
    """Read the request, then close the connection without a word."""
    handler.close_connection = True


@dataclass
class ScriptedLambda:
    """A loopback server answering every POST with `answer`; `requests` records them."""

    answer: Answer
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                scripted.requests.append(Recorded(self.path, dict(self.headers), body))
                scripted.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read what was requested from `requests`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedLambda:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
