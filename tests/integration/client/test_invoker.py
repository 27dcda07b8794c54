"""Integration: the boto3 invoker against a scripted Lambda on 127.0.0.1, over real HTTP."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from run_command_on_aws_lambda.adapters.client.invoker import LambdaInvoker
from run_command_on_aws_lambda.adapters.client.session import MAX_FUNCTION_SECONDS, ClientSettings
from run_command_on_aws_lambda.domain.remote_event import RemoteInvocation
from run_command_on_aws_lambda.domain.remote_outcome import (
    Answered,
    ConnectionLost,
    NotSent,
    NotSentReason,
    Refused,
    remote_exit_status,
)
from tests.fake_runtime_api import closed_port
from tests.lambda_clients import DUMMY_CREDENTIALS
from tests.scripted_lambda import (
    Drop,
    Frame,
    ScriptedLambda,
    Wait,
    dropped,
    invoke_complete,
    json_answer,
    lambda_error,
    payload_chunk,
    streamed,
)

EVENT = b'{"program": "true"}'


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials, no config files, no instance metadata: nothing leaves loopback."""
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def invoker(endpoint: str) -> LambdaInvoker:
    return LambdaInvoker(ClientSettings(endpoint_url=endpoint))


def invocation(*, stream: bool = True, log_tail: bool = False) -> RemoteInvocation:
    return RemoteInvocation(
        function="migrate:live", payload=EVENT, stream=stream, log_tail=log_tail
    )


@pytest.fixture
def go() -> Iterator[threading.Event]:
    """An event the scripted server waits for; set at the end so no server thread hangs."""
    event = threading.Event()
    yield event
    event.set()


def test_each_streamed_chunk_is_handed_over_while_the_function_still_runs(
    go: threading.Event,
) -> None:
    """The first chunk reaches the sink before the server sends the rest."""
    script = streamed(
        Frame(payload_chunk(b"one\n")),
        Wait(go),
        Frame(payload_chunk(b"two\n")),
        Frame(invoke_complete()),
    )
    received: list[tuple[bytes, bool]] = []

    def sink(data: bytes) -> None:
        received.append((data, go.is_set()))
        go.set()

    with ScriptedLambda(script) as server:
        outcome = invoker(server.endpoint).invoke(invocation(), sink)
    assert received == [(b"one\n", False), (b"two\n", True)]
    assert outcome == Answered(request_id="stream-request-id")
    assert (
        server.requests[0].path
        == "/2021-11-15/functions/migrate%3Alive/response-streaming-invocations"
    )
    assert json.loads(server.requests[0].body) == {"program": "true"}


def test_a_streamed_failure_is_read_from_invoke_complete() -> None:
    """ErrorCode and ErrorDetails give the error type and body; LogResult the log tail."""
    body = {"errorType": "CommandFailed", "errorMessage": "sh exited with status 3.", "exitCode": 3}
    complete = invoke_complete(
        ErrorCode="Function.CommandFailed",
        ErrorDetails=json.dumps(body),
        LogResult=base64.b64encode(b"START\nEND\n").decode(),
    )
    script = streamed(Frame(payload_chunk(b"oops\n")), Frame(complete))
    with ScriptedLambda(script) as server:
        outcome = invoker(server.endpoint).invoke(invocation(log_tail=True))
    assert isinstance(outcome, Answered)
    assert (outcome.error_type, outcome.error_body, outcome.output) == (
        "CommandFailed",
        body,
        b"oops\n",
    )
    assert outcome.log_tail == "START\nEND\n"
    assert remote_exit_status(outcome) == 3
    assert server.requests[0].headers["X-Amz-Log-Type"] == "Tail"


def test_a_plain_text_error_detail_becomes_the_error_message() -> None:
    """Lambda's own errors need not be JSON: the code is kept, the text is the message."""
    complete = invoke_complete(
        ErrorCode="Sandbox.Timedout", ErrorDetails="Task timed out after 1.00 seconds"
    )
    with ScriptedLambda(streamed(Frame(complete))) as server:
        outcome = invoker(server.endpoint).invoke(invocation())
    assert outcome == Answered(
        request_id="stream-request-id",
        error_type="Sandbox.Timedout",
        error_body={"errorMessage": "Task timed out after 1.00 seconds"},
    )
    assert remote_exit_status(outcome) == 210


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "ResourceNotFoundException"),
        (429, "TooManyRequestsException"),
        (403, "AccessDeniedException"),
        (413, "RequestTooLargeException"),
    ],
)
def test_an_error_of_lambdas_own_is_a_refusal_naming_its_code(
    stream: bool, status: int, code: str
) -> None:
    """Lambda's error answers become `Refused`, with its code and message, and no retry."""
    with ScriptedLambda(lambda_error(status, code, "Function not found: migrate")) as server:
        outcome = invoker(server.endpoint).invoke(invocation(stream=stream))
    assert isinstance(outcome, Refused)
    assert (outcome.code, outcome.message, outcome.http_status) == (
        code,
        "Function not found: migrate",
        status,
    )
    assert len(server.requests) == 1


@pytest.mark.parametrize("stream", [True, False])
def test_a_connection_dropped_before_the_answer_is_lost_and_never_retried(stream: bool) -> None:
    """The server closes the connection after reading the request: one request, outcome unknown."""
    with ScriptedLambda(dropped) as server:
        outcome = invoker(server.endpoint).invoke(invocation(stream=stream))
    assert isinstance(outcome, ConnectionLost)
    assert len(server.requests) == 1


def test_a_stream_cut_after_some_output_is_lost_and_keeps_the_output() -> None:
    """Output that arrived is handed over; the cut is reported, not taken for a success."""
    with ScriptedLambda(streamed(Frame(payload_chunk(b"one\n")), Drop())) as server:
        outcome = invoker(server.endpoint).invoke(invocation())
    assert isinstance(outcome, ConnectionLost)
    assert outcome.request_id == "stream-request-id"
    assert len(server.requests) == 1


def test_a_stream_that_ends_without_invoke_complete_is_lost() -> None:
    """A well-formed end of the body without InvokeComplete still says nothing of the outcome."""
    received: list[bytes] = []
    with ScriptedLambda(streamed(Frame(payload_chunk(b"one\n")))) as server:
        outcome = invoker(server.endpoint).invoke(invocation(), received.append)
    assert isinstance(outcome, ConnectionLost)
    assert received == [b"one\n"]


def test_a_stream_with_a_corrupt_frame_is_lost() -> None:
    """A frame whose checksum is wrong ends the reading: the outcome is unknown."""
    frame = bytearray(payload_chunk(b"one\n"))
    frame[-1] ^= 0xFF
    with ScriptedLambda(streamed(Frame(bytes(frame)), Frame(invoke_complete()))) as server:
        outcome = invoker(server.endpoint).invoke(invocation())
    assert isinstance(outcome, ConnectionLost)


def test_an_unreachable_endpoint_is_not_sent() -> None:
    """A refused connection means nothing reached Lambda."""
    outcome = invoker(f"http://127.0.0.1:{closed_port()}").invoke(invocation())
    assert isinstance(outcome, NotSent)
    assert outcome.reason is NotSentReason.UNREACHABLE


def test_a_buffered_result_gives_the_commands_output() -> None:
    """Invoke's result body: its `output` is the output; the body is kept as `result`."""
    result = {"program": "echo", "exitCode": 0, "output": "hi\n", "outputTruncated": False}
    with ScriptedLambda(json_answer(200, result)) as server:
        outcome = invoker(server.endpoint).invoke(invocation(stream=False))
    assert isinstance(outcome, Answered)
    assert (outcome.error_type, outcome.output, outcome.result) == (None, b"hi\n", result)
    assert server.requests[0].path == "/2015-03-31/functions/migrate%3Alive/invocations"


def test_a_buffered_function_error_gives_the_error_type_and_output() -> None:
    """X-Amz-Function-Error: the payload is the error body, with the command's output."""
    body = {"errorType": "CommandKilled", "errorMessage": "killed", "signal": 9, "output": "bye\n"}
    answer = json_answer(200, body, {"X-Amz-Function-Error": "Unhandled"})
    with ScriptedLambda(answer) as server:
        outcome = invoker(server.endpoint).invoke(invocation(stream=False))
    assert isinstance(outcome, Answered)
    assert (outcome.error_type, outcome.output) == ("CommandKilled", b"bye\n")
    assert remote_exit_status(outcome) == 137


def test_a_buffered_answer_of_another_runtime_is_the_output_itself() -> None:
    """A function that is not this runtime: its answer is printed as it is."""
    with ScriptedLambda(json_answer(200, ["not", "ours"])) as server:
        outcome = invoker(server.endpoint).invoke(invocation(stream=False))
    assert isinstance(outcome, Answered)
    assert outcome.output == b'["not", "ours"]'


def test_the_client_never_retries_and_outwaits_the_longest_function() -> None:
    """No retries, and no read timeout before Lambda's 900 s limit."""
    config: Any = invoker("http://127.0.0.1:9").client().meta.config  # botocore's is untyped
    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout > MAX_FUNCTION_SECONDS
