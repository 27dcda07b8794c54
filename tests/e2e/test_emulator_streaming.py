"""End to end: boto3's `invoke_with_response_stream` against `run-command-on-aws-lambda --serve`.

The runtime is this very program: an event with `"stream": true` gets the command's output as a
streamed response, which the emulator relays as PayloadChunk events while the command runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Serve
from tests.lambda_clients import invoke_with_boto3, stream_with_boto3

NOTE_PREFIX = b"[run-command-on-aws-lambda: "
"""How the runtime's note on a cut stream begins."""


def streamed_sh(script: str) -> dict[str, object]:
    return {"program": "sh", "arguments": ["-c", script], "stream": True}


def test_the_first_chunk_arrives_while_the_command_still_runs(serve: Serve, tmp_path: Path) -> None:
    """The command waits for a file the client creates once it has the first chunk."""
    served = serve()
    go_on = tmp_path / "go-on"
    received: list[bytes] = []

    def on_chunk(chunk: bytes) -> None:
        received.append(chunk)
        go_on.touch()

    streamed = stream_with_boto3(
        served.client,
        streamed_sh(f"echo one; while [ ! -e {go_on} ]; do sleep 0.01; done; echo two"),
        on_chunk=on_chunk,
    )
    assert received[0].startswith(b"one\n")
    assert streamed.output == b"one\ntwo\n"
    assert "ErrorCode" not in streamed.complete
    assert streamed.content_type == "application/vnd.amazon.eventstream"
    lines = streamed.log.splitlines()
    assert "two" in lines
    assert lines[-1].startswith("REPORT RequestId: ")


def test_a_failing_command_streams_its_output_then_the_error(serve: Serve) -> None:
    """ErrorCode Function.CommandFailed; ErrorDetails is the runtime's error body."""
    served = serve()
    streamed = stream_with_boto3(served.client, streamed_sh("echo oops >&2; exit 3"))
    assert streamed.output == b"oops\n"
    assert streamed.complete["ErrorCode"] == "Function.CommandFailed"
    details = json.loads(streamed.complete["ErrorDetails"])
    assert (details["errorType"], details["exitCode"]) == ("CommandFailed", 3)
    assert "oops" in streamed.log.splitlines()


def test_a_command_killed_by_a_signal_is_command_killed(serve: Serve) -> None:
    """The shell kills itself after some output: Function.CommandKilled."""
    served = serve()
    streamed = stream_with_boto3(served.client, streamed_sh("echo before; kill -KILL $$"))
    assert streamed.output == b"before\n"
    assert streamed.complete["ErrorCode"] == "Function.CommandKilled"
    assert json.loads(streamed.complete["ErrorDetails"])["errorType"] == "CommandKilled"


def test_a_command_that_runs_out_of_time_is_command_timed_out(serve: Serve) -> None:
    """The runtime stops it before the function's timeout; what it printed was streamed."""
    served = serve("--function-timeout", "2")
    streamed = stream_with_boto3(served.client, streamed_sh("echo started; sleep 30"))
    assert streamed.output == b"started\n"
    assert streamed.complete["ErrorCode"] == "Function.CommandTimedOut"
    assert "did not finish in time" in streamed.log


def test_a_runtime_that_dies_mid_stream_is_a_runtime_exit_error(serve: Serve) -> None:
    """The command kills the runtime after some output: Runtime.ExitError, then a new runtime."""
    served = serve()
    streamed = stream_with_boto3(served.client, streamed_sh("echo before; kill -KILL $PPID"))
    assert streamed.complete["ErrorCode"] == "Runtime.ExitError"
    details = json.loads(streamed.complete["ErrorDetails"])
    assert details["errorMessage"].endswith("Runtime exited with error: signal: killed")
    again = stream_with_boto3(served.client, streamed_sh("echo again"))
    assert (again.output, "ErrorCode" in again.complete) == (b"again\n", False)


def test_an_invalid_event_is_an_error_before_any_chunk(serve: Serve) -> None:
    """Nothing ran, so nothing streams: InvokeComplete with Function.InvalidEvent."""
    served = serve()
    streamed = stream_with_boto3(served.client, {"program": "id", "argument": [], "stream": True})
    assert streamed.chunks == []
    assert streamed.complete["ErrorCode"] == "Function.InvalidEvent"
    assert "argument" in json.loads(streamed.complete["ErrorDetails"])["errorMessage"]


def test_an_event_without_stream_answers_a_streaming_invoke_whole(serve: Serve) -> None:
    """The runtime answers buffered; the emulator sends that result as the payload."""
    served = serve()
    streamed = stream_with_boto3(served.client, {"program": "echo", "arguments": ["hi"]})
    assert json.loads(streamed.output)["output"] == "hi\n"
    assert "ErrorCode" not in streamed.complete


def test_output_past_the_stream_limit_is_cut_with_a_note_and_kept_in_the_log(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RUN_COMMAND_STREAM_LIMIT_BYTES bounds the stream; the note ends it; the log has all."""
    monkeypatch.setenv("RUN_COMMAND_STREAM_LIMIT_BYTES", "2000")
    served = serve()
    script = "for i in $(seq 1000); do echo line-$i; done"
    streamed = stream_with_boto3(served.client, streamed_sh(script))
    assert "ErrorCode" not in streamed.complete
    assert len(streamed.output) <= 2000
    assert streamed.output.startswith(b"line-1\nline-2\n")
    assert NOTE_PREFIX in streamed.output
    assert b"line-1000\n" not in streamed.output
    assert "line-1000" in streamed.log.splitlines()


def test_a_buffered_invoke_of_a_streamed_event_gets_the_whole_output(serve: Serve) -> None:
    """Invoke (not the stream API) with `"stream": true`: the streamed bytes are the payload."""
    served = serve()
    answer = served.client.invoke(
        FunctionName="function", Payload=json.dumps(streamed_sh("echo whole")).encode()
    )
    assert "FunctionError" not in answer
    assert answer["Payload"].read() == b"whole\n"
    failed = invoke_with_boto3(served.client, streamed_sh("exit 4"))
    assert failed.function_error == "Unhandled"
    assert (failed.body["errorType"], failed.body["exitCode"]) == ("CommandFailed", 4)


def test_the_docs_example_prints_live_output_then_the_error_code(
    serve: Serve, tmp_path: Path
) -> None:
    """docs/emulator.md's boto3 example, run as written but for the address."""
    page = (Path(__file__).parents[2] / "docs" / "emulator.md").read_text()
    start = page.index("## Streamed responses")
    (block,) = re.findall(r"```python\n(.*?)```", page[start : page.index("\n## ", start)], re.S)
    served = serve()
    completed = subprocess.run(
        [sys.executable, "-c", block.replace("http://127.0.0.1:9000", served.endpoint)],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "one\ntwo\nFunction.CommandFailed\n"
