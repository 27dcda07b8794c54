"""Integration: InvokeWithResponseStream against the emulator, its runtime the stand-in script."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import StartEmulator
from tests.lambda_clients import invoke_with_boto3, stream_with_boto3

STREAMING_INVOCATIONS = "/2021-11-15/functions/function/response-streaming-invocations"
TRAILERS_OF_A_FAILURE = {
    "Lambda-Runtime-Function-Error-Type": "Function.CommandFailed",
    "Lambda-Runtime-Function-Error-Body": base64.b64encode(
        b'{"errorType": "CommandFailed", "exitCode": 3}'
    ).decode(),
}


def test_each_piece_comes_as_a_payload_chunk_while_the_function_still_runs(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """The runtime sends its second piece only after the client got the first."""
    emulator = start_emulator()
    go_on = tmp_path / "go-on"
    streamed = stream_with_boto3(
        emulator.client,
        {"stream": ["one\n", "two\n"], "wait_for": str(go_on)},
        on_chunk=lambda chunk: go_on.touch(),
    )
    assert streamed.status == 200
    assert streamed.content_type == "application/vnd.amazon.eventstream"
    assert streamed.chunks == [b"one\n", b"two\n"]
    assert "ErrorCode" not in streamed.complete
    lines = streamed.log.splitlines()
    assert lines[0].startswith("START RequestId: ")
    assert lines[-1].startswith("REPORT RequestId: ")


def test_error_trailers_end_the_stream_with_an_error_code_and_details(
    start_emulator: StartEmulator,
) -> None:
    """InvokeComplete: ErrorCode is the trailer's type, ErrorDetails the decoded error body."""
    emulator = start_emulator()
    streamed = stream_with_boto3(
        emulator.client, {"stream": ["partial\n"], "trailers": TRAILERS_OF_A_FAILURE}
    )
    assert streamed.output == b"partial\n"
    assert streamed.complete["ErrorCode"] == "Function.CommandFailed"
    assert json.loads(streamed.complete["ErrorDetails"]) == {
        "errorType": "CommandFailed",
        "exitCode": 3,
    }


def test_a_buffered_response_to_a_streaming_invoke_comes_whole_then_complete(
    start_emulator: StartEmulator,
) -> None:
    """A function that does not stream: its whole response as the payload, then `{}`."""
    emulator = start_emulator()
    streamed = stream_with_boto3(emulator.client, {"print": "buffered"})
    assert json.loads(streamed.output) == {"print": "buffered"}
    assert set(streamed.complete) == {"LogResult"}
    assert "buffered" in streamed.log.splitlines()


def test_an_error_post_to_a_streaming_invoke_is_an_error_code_without_chunks(
    start_emulator: StartEmulator,
) -> None:
    """/error: no PayloadChunk; ErrorCode and ErrorDetails as posted."""
    emulator = start_emulator()
    streamed = stream_with_boto3(emulator.client, {"fail": "Function.Failed"})
    assert streamed.chunks == []
    assert streamed.complete["ErrorCode"] == "Function.Failed"
    assert json.loads(streamed.complete["ErrorDetails"])["errorMessage"] == "it failed"


def test_a_runtime_that_dies_mid_stream_is_a_runtime_exit_error(
    start_emulator: StartEmulator,
) -> None:
    """What was streamed arrives; then Runtime.ExitError; the next invoke gets a new runtime."""
    emulator = start_emulator()
    streamed = stream_with_boto3(emulator.client, {"stream": ["before\n"], "then_exit": 3})
    assert streamed.output == b"before\n"
    assert streamed.complete["ErrorCode"] == "Runtime.ExitError"
    details = json.loads(streamed.complete["ErrorDetails"])
    assert details["errorMessage"].endswith("Runtime exited with error: exit status 3")
    again = stream_with_boto3(emulator.client, {"stream": ["after\n"]})
    assert (again.output, "ErrorCode" in again.complete) == (b"after\n", False)


def test_a_timeout_mid_stream_is_sandbox_timedout(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """The first piece arrives, the rest never does: Sandbox.Timedout in InvokeComplete."""
    emulator = start_emulator(timeout=1)
    never = tmp_path / "never"
    streamed = stream_with_boto3(
        emulator.client, {"stream": ["first\n", "never\n"], "wait_for": str(never)}
    )
    assert streamed.chunks == [b"first\n"]
    assert streamed.complete["ErrorCode"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in streamed.complete["ErrorDetails"]
    assert "Status: timeout" in streamed.log.splitlines()[-1]


def test_a_buffered_invoke_of_a_streaming_function_gets_the_whole_body(
    start_emulator: StartEmulator,
) -> None:
    """Invoke (not streaming): the streamed bytes as the payload; a failure is Unhandled."""
    emulator = start_emulator()
    invoked = invoke_with_boto3(emulator.client, {"stream": ['{"a": ', "1}"]})
    assert (invoked.function_error, invoked.body) == (None, {"a": 1})
    failed = invoke_with_boto3(
        emulator.client, {"stream": ["partial\n"], "trailers": TRAILERS_OF_A_FAILURE}
    )
    assert failed.function_error == "Unhandled"
    assert failed.body == {"errorType": "CommandFailed", "exitCode": 3}


def test_only_request_response_and_dry_run_stream(start_emulator: StartEmulator) -> None:
    """InvocationType Event is refused (400) as on Lambda; DryRun answers 204, runs nothing."""
    emulator = start_emulator()
    with pytest.raises(ClientError) as refused:
        emulator.client.invoke_with_response_stream(
            FunctionName="function",
            Payload=b"{}",
            InvocationType="Event",  # type: ignore[arg-type]
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    dry = emulator.client.invoke_with_response_stream(
        FunctionName="function", Payload=b'{"exit": 1}', InvocationType="DryRun"
    )
    dry["EventStream"].close()
    assert dry["StatusCode"] == 204
    assert "stand-in runtime ready" not in emulator.output.text()


def test_a_client_that_goes_away_mid_stream_leaves_the_function_running_to_its_end(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """As on Lambda the invocation goes on; the runtime's stream still gets its 202."""
    emulator = start_emulator()
    go_on = tmp_path / "go-on"
    event = {"stream": ["one\n", "two\n"], "wait_for": str(go_on)}
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(emulator.endpoint).netloc)
    connection.request("POST", STREAMING_INVOCATIONS, body=json.dumps(event).encode())
    response = connection.getresponse()
    assert response.status == 200
    assert b"one\n" in response.read1()  # the first PayloadChunk (its framing around it)
    connection.close()
    go_on.touch()
    invoked = invoke_with_boto3(emulator.client, {"print": "next"})
    assert (invoked.function_error, invoked.body) == (None, {"print": "next"})
    assert "stream answered 202" in emulator.output.text()
