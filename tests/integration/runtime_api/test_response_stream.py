"""Integration: the streamed response's buffer against a slow raw-socket API, and its fallbacks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from run_command_on_aws_lambda.adapters.runtime_api.client import RuntimeApiClient, open_pool
from run_command_on_aws_lambda.adapters.runtime_api.response_stream import StreamedResponse
from run_command_on_aws_lambda.adapters.runtime_api.stream_outcome import end_stream
from run_command_on_aws_lambda.adapters.runtime_api.streamed_post import (
    StreamedPost,
    StreamUnreachedError,
)
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.invocation import Invocation
from run_command_on_aws_lambda.domain.policy import Failure, Verdict

PIECE = b"0123456789abcdef" * 4096  # 64 KiB
NOTE_START = b"[run-command-on-aws-lambda: "


class StalledApi:
    """A raw-socket API that reads a request's headers, then nothing until `release`."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.released = threading.Event()
        self.received = bytearray()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            while b"\r\n\r\n" not in self.received:
                self.received += connection.recv(65536)
            self.released.wait()
            while not self.received.endswith(b"0\r\n\r\n"):
                data = connection.recv(1 << 20)
                if not data:
                    return
                self.received += data
            connection.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")

    def body(self) -> bytes:
        """The de-chunked body received."""
        raw = bytes(self.received).partition(b"\r\n\r\n")[2]
        body = bytearray()
        while (size := int(raw.partition(b"\r\n")[0], 16)) > 0:
            start = raw.index(b"\r\n") + 2
            body += raw[start : start + size]
            raw = raw[start + size + 2 :]
        return bytes(body)

    def close(self) -> None:
        self.released.set()
        self._thread.join(10)
        self._listener.close()


@pytest.fixture
def stalled() -> Iterator[StalledApi]:
    api = StalledApi()
    yield api
    api.close()


def test_a_stalled_connection_never_holds_up_the_writer_and_the_note_counts_the_rest(
    stalled: StalledApi,
) -> None:
    """64 MiB written while the API reads nothing: dropped past the buffer, and said so."""
    client = RuntimeApiClient(open_pool(stalled.address))
    stream = StreamedResponse(
        lambda: client.streamed_response("r1"), limit=1 << 40, buffer_bytes=len(PIECE)
    )
    stream.begin()
    pieces = 1024
    for _ in range(pieces):  # would hang here if a write waited for the connection
        stream.write(PIECE)
    stalled.released.set()
    end = stream.end(None, drain=30)
    assert end.answer is not None
    assert end.answer.status == 202
    body = stalled.body()
    output, newline, note = body.partition(b"\n" + NOTE_START)  # the output ends mid-line
    assert newline
    assert len(output) % len(PIECE) == 0  # whole pieces, each intact
    assert output == PIECE * (len(output) // len(PIECE))
    dropped = pieces * len(PIECE) - len(output)
    assert dropped > 0
    assert (
        note
        == (
            f"{dropped} bytes of output were not streamed (while the stream could not keep up); "
            "the function's log has all of it]\n"
        ).encode()
    )


def unreachable() -> StreamedPost:
    raise StreamUnreachedError("POST …/response: cannot reach the API: refused")


def test_a_stream_that_never_reached_the_api_is_reported_unstreamed_instead() -> None:
    """Nothing reached the API: the verdict is posted the buffered way, once."""
    stream = StreamedResponse(unreachable, limit=1000)
    stream.begin()
    stream.write(b"lost\n")
    failure = Failure(error_type=ErrorType.COMMAND_FAILED, message="sh exited with status 3.")
    posted: list[Verdict] = []
    end_stream(stream, Invocation(request_id="r1", payload=b"{}"), failure, posted.append)
    assert posted == [failure]
