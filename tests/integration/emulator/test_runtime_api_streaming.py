"""Integration: streamed responses posted to the emulator's Runtime API, chunk by chunk.

The posts are written by hand on a socket, as the runtime writes them: http.client cannot send
trailers.
"""

from __future__ import annotations

import base64
import http.client
import json
import queue
import socket
from collections.abc import Iterator

import pytest

from run_command_on_aws_lambda.adapters.emulator.exchange import RESPONSE_LIMIT, Exchange
from run_command_on_aws_lambda.adapters.emulator.outcomes import Answered
from tests.integration.emulator.test_runtime_api import RUNTIME, Api

STREAMING = {
    "Lambda-Runtime-Function-Response-Mode": "streaming",
    "Transfer-Encoding": "chunked",
    "Content-Type": "application/octet-stream",
    "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
}


class StreamedPost:
    """A streamed `POST .../response`, sent a chunk at a time on its own connection."""

    def __init__(self, api: Api, request_id: str = "req-1", **headers: str) -> None:
        host, port = str(api.server.server_address[0]), int(api.server.server_address[1])
        self.socket = socket.create_connection((host, port), timeout=30)
        lines = [f"POST {RUNTIME}/invocation/{request_id}/response HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in {**STREAMING, **headers}.items()]
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def chunk(self, data: bytes) -> None:
        self.socket.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def end(self, trailers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        fields = "".join(f"{name}: {value}\r\n" for name, value in (trailers or {}).items())
        self.socket.sendall(f"0\r\n{fields}\r\n".encode())
        return self.response()

    def response(self) -> http.client.HTTPResponse:
        response = http.client.HTTPResponse(self.socket)
        response.begin()
        response.read()
        return response

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def api() -> Iterator[Api]:
    api = Api(Exchange(timeout=30))
    yield api
    api.close()


def started(api: Api, sink: queue.Queue[bytes] | None = None) -> None:
    """An invocation the runtime (this test) has taken with `next`."""
    api.invoke(b"{}", sink.put if sink is not None else None)
    assert api.call("GET", f"{RUNTIME}/invocation/next").status == 200


def test_each_chunk_reaches_the_invoker_before_the_next_is_sent(api: Api) -> None:
    """Pieces are relayed as they arrive; the end of the stream is answered 202."""
    pieces: queue.Queue[bytes] = queue.Queue()
    started(api, pieces)
    post = StreamedPost(api)
    post.chunk(b"one\n")
    assert pieces.get(timeout=30) == b"one\n"
    post.chunk(b"two\n")
    assert pieces.get(timeout=30) == b"two\n"
    assert post.end().status == 202
    post.close()
    assert api.finish() == [Answered(b"")]


def test_a_stream_to_a_buffered_invoker_arrives_whole(api: Api) -> None:
    """Without a sink the invoker gets the streamed bytes as one body."""
    started(api)
    post = StreamedPost(api)
    for piece in (b'{"a": ', b"1}"):
        post.chunk(piece)
    assert post.end().status == 202
    post.close()
    assert api.finish() == [Answered(b'{"a": 1}')]


def test_error_trailers_fail_the_invocation_with_the_decoded_body(api: Api) -> None:
    """Function.<type> and the base64 error body from the trailers: a function error."""
    started(api)
    post = StreamedPost(api)
    post.chunk(b"some output\n")
    document = {"errorType": "CommandFailed", "exitCode": 3}
    trailers = {
        "Lambda-Runtime-Function-Error-Type": "Function.CommandFailed",
        "Lambda-Runtime-Function-Error-Body": base64.b64encode(
            json.dumps(document).encode()
        ).decode(),
    }
    assert post.end(trailers).status == 202
    post.close()
    (outcome,) = api.finish()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == "Function.CommandFailed"
    assert json.loads(outcome.body) == document


def test_a_stream_for_another_request_is_refused_and_the_connection_kept(api: Api) -> None:
    """400 after its body was read, so the runtime gets the answer, not a reset."""
    started(api)
    post = StreamedPost(api, "someone-else")
    post.chunk(b"x" * 100_000)
    assert post.end().status == 400
    post.socket.sendall(
        f"POST {RUNTIME}/invocation/req-1/response HTTP/1.1\r\n"
        "Host: x\r\nContent-Length: 2\r\n\r\n{}".encode()
    )
    assert post.response().status == 202  # the same connection took the next request
    post.close()
    assert api.finish() == [Answered(b"{}")]


def test_a_stream_cut_off_leaves_the_invocation_open_for_an_error(api: Api) -> None:
    """A runtime whose stream broke can still post /error for the request."""
    pieces: queue.Queue[bytes] = queue.Queue()
    started(api, pieces)
    post = StreamedPost(api)
    post.chunk(b"before the cut\n")
    assert pieces.get(timeout=30) == b"before the cut\n"
    post.socket.sendall(b"100\r\nonly a few bytes")
    post.close()
    headers = {"Lambda-Runtime-Function-Error-Type": "Function.Broken"}
    answer = api.call(
        "POST", f"{RUNTIME}/invocation/req-1/error", b'{"errorType": "Broken"}', headers
    )
    assert answer.status == 202
    assert api.finish() == [Answered(b'{"errorType": "Broken"}', "Function.Broken")]


def test_a_stream_past_the_buffered_limit_is_a_413_for_a_buffered_invoker(api: Api) -> None:
    """Function.ResponseSizeTooLarge; the runtime is told with 413 as soon as it is over."""
    started(api)
    post = StreamedPost(api)
    post.chunk(b"x" * RESPONSE_LIMIT)
    post.chunk(b"y")
    assert post.response().status == 413
    post.close()
    (outcome,) = api.finish()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == "Function.ResponseSizeTooLarge"


def test_trailers_past_http_clients_limits_are_a_400_that_leaves_the_invocation_open(
    api: Api,
) -> None:
    """A trailer line over 64 KiB is malformed: 400, and the runtime may still post /error."""
    started(api)
    post = StreamedPost(api)
    post.chunk(b"output\n")
    assert post.end({"Lambda-Runtime-Function-Error-Type": "x" * 70_000}).status == 400
    post.close()
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/error", b"{}").status == 202
    (outcome,) = api.finish()
    assert isinstance(outcome, Answered)
    assert outcome.error_type == "Function.Unknown"
