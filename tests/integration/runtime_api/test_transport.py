"""Integration: the Runtime API transport (verdicts out, faults handled) over real HTTP."""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from run_command_on_aws_lambda.adapters.runtime_api.client import (
    NEXT_RETRY_DELAYS,
    ApiConnectionError,
    ApiStatusError,
    RuntimeApiClient,
    RuntimeApiTransport,
    open_pool,
)
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.invocation import Invocation
from run_command_on_aws_lambda.domain.policy import Failure, Success
from run_command_on_aws_lambda.domain.result import Ending, ExecutionResult
from tests.fake_runtime_api import closed_port
from tests.integration.runtime_api.test_client import NEXT

INVOCATION = Invocation(request_id="r1", payload=b"{}")
SUCCESS = Success(
    result=ExecutionResult(program="id", ending=Ending.EXITED, returncode=0, output=b"uid=0\n")
)
FAILURE = Failure(error_type=ErrorType.COMMAND_NOT_FOUND, message="nope was not found.")
RESPONSE = "/2018-06-01/runtime/invocation/r1/response"
ERROR = "/2018-06-01/runtime/invocation/r1/error"


def transport_for(address: str, sleeps: list[float] | None = None) -> RuntimeApiTransport:
    client = RuntimeApiClient(open_pool(address))
    if sleeps is None:
        return RuntimeApiTransport(client)
    return RuntimeApiTransport(client, retry_delays=(0.01, 0.02, 0.04), sleep=sleeps.append)


def address_of(httpserver: HTTPServer) -> str:
    return f"{httpserver.host}:{httpserver.port}"


def test_a_success_is_posted_as_the_result_body(httpserver: HTTPServer) -> None:
    """Success: POST …/response with the result document, no error-type header."""
    httpserver.expect_oneshot_request(RESPONSE, method="POST").respond_with_data(b"", 202)
    transport_for(address_of(httpserver)).report(INVOCATION, SUCCESS)
    request, _ = httpserver.log[0]
    assert json.loads(request.get_data()) == {
        "program": "id",
        "exitCode": 0,
        "reason": "exited",
        "port": None,
        "durationMs": 0,
        "output": "uid=0\n",
        "outputTruncated": False,
    }


def test_a_failure_is_posted_as_an_error_with_its_type(httpserver: HTTPServer) -> None:
    """Failure: POST …/error with requestId in the body and `Function.<errorType>` header."""
    httpserver.expect_oneshot_request(
        ERROR, headers={"Lambda-Runtime-Function-Error-Type": "Function.CommandNotFound"}
    ).respond_with_data(b"", 202)
    transport_for(address_of(httpserver)).report(INVOCATION, FAILURE)
    httpserver.check_assertions()
    assert json.loads(httpserver.log[0][0].get_data()) == {
        "errorType": "CommandNotFound",
        "errorMessage": "nope was not found.",
        "stackTrace": [],
        "requestId": "r1",
    }


def test_the_default_backoff_is_exponential_and_bounded() -> None:
    """Each retry waits twice as long as the one before, a few seconds in all: never a spin."""
    assert all(b == 2 * a for a, b in itertools.pairwise(NEXT_RETRY_DELAYS))
    assert NEXT_RETRY_DELAYS[0] > 0
    assert sum(NEXT_RETRY_DELAYS) < 5


def test_a_refused_next_is_retried_with_backoff_then_given_up() -> None:
    """Connection refused on `next`: wait after each attempt, then raise a clear error."""
    sleeps: list[float] = []
    transport = transport_for(f"127.0.0.1:{closed_port()}", sleeps)
    with pytest.raises(ApiConnectionError, match=r"gave up after 4 attempts"):
        transport.next_invocation()
    assert sleeps == [0.01, 0.02, 0.04]


def test_next_recovers_when_the_api_comes_back_during_the_backoff() -> None:
    """A refused `next` that succeeds on a retry delivers the event as if nothing happened."""
    port = closed_port()
    server = HTTPServer(host="127.0.0.1", port=port)
    server.expect_oneshot_request(NEXT).respond_with_data(
        b"{}", headers={"Lambda-Runtime-Aws-Request-Id": "r9"}
    )
    sleeps: list[float] = []

    def sleep(delay: float) -> None:
        sleeps.append(delay)
        if len(sleeps) == 2:
            server.start()

    transport = RuntimeApiTransport(
        RuntimeApiClient(open_pool(f"127.0.0.1:{port}")), retry_delays=(0, 0, 0, 0), sleep=sleep
    )
    try:
        assert transport.next_invocation().request_id == "r9"
    finally:
        server.stop()
    assert len(sleeps) == 2


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """A server that accepts connections and resets them at once (RST, not FIN)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
    listener.close()
    thread.join(5)


def test_a_reset_next_is_retried_with_backoff_then_given_up(resetting_server: str) -> None:
    """Connection reset on `next` is retried like a refusal, and given up the same way."""
    sleeps: list[float] = []
    with pytest.raises(ApiConnectionError, match="gave up after 4 attempts"):
        transport_for(resetting_server, sleeps).next_invocation()
    assert sleeps == [0.01, 0.02, 0.04]


def test_a_500_on_next_is_not_retried(httpserver: HTTPServer) -> None:
    """A 500 means the container is broken: it goes straight up for the runtime to exit."""
    httpserver.expect_request(NEXT).respond_with_data(b"broken", status=500)
    sleeps: list[float] = []
    with pytest.raises(ApiStatusError, match="500"):
        transport_for(address_of(httpserver), sleeps).next_invocation()
    assert sleeps == []
    assert len(httpserver.log) == 1


def test_a_500_on_posting_is_fatal(httpserver: HTTPServer) -> None:
    """A 500 on a post is the container's fault too: it is raised, not swallowed."""
    httpserver.expect_oneshot_request(RESPONSE).respond_with_data(b"broken", status=500)
    with pytest.raises(ApiStatusError, match="500"):
        transport_for(address_of(httpserver)).report(INVOCATION, SUCCESS)


def test_a_413_response_is_logged_and_the_refused_error_after_it_too(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """413 on the response: logged; the error then posted gets 403, logged; nothing raised."""
    httpserver.expect_ordered_request(RESPONSE).respond_with_data(b"too large", status=413)
    httpserver.expect_ordered_request(
        ERROR, headers={"Lambda-Runtime-Function-Error-Type": "Function.RuntimeFailure"}
    ).respond_with_data(b"invoke closed", status=403)
    with caplog.at_level(logging.ERROR, "run_command_on_aws_lambda"):
        transport_for(address_of(httpserver)).report(INVOCATION, SUCCESS)
    httpserver.check_assertions()
    response, error = (request.get_data() for request, _ in httpserver.log)
    assert (
        json.loads(error)["errorMessage"] == "The result body is larger than Lambda accepts (413)."
    )
    ours = [r.getMessage() for r in caplog.records if r.name == "run_command_on_aws_lambda"]
    assert ours == [
        f"The Runtime API refused the response for request r1 ({len(response)} bytes): "
        "POST /2018-06-01/runtime/invocation/r1/response answered 413: too large",
        f"The Runtime API refused the error for request r1 ({len(error)} bytes): "
        "POST /2018-06-01/runtime/invocation/r1/error answered 403: invoke closed",
    ]


def test_a_400_on_an_error_post_is_logged_and_the_loop_goes_on(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """400 (unknown request id) is logged; report returns so the next invocation is served."""
    httpserver.expect_oneshot_request(ERROR).respond_with_data(b"unknown id", status=400)
    with caplog.at_level(logging.ERROR, "run_command_on_aws_lambda"):
        transport_for(address_of(httpserver)).report(INVOCATION, FAILURE)
    assert "answered 400: unknown id" in caplog.text
    assert len(httpserver.log) == 1
