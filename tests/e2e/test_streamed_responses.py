"""End to end: `"stream": true` as the runtime posts it, checked on the wire by the fake API."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tests.fake_runtime_api import Drop, Early, FakeRuntimeApi, Post
from tests.runtime_process import RuntimeProcess

STREAM_HEADERS = {
    "lambda-runtime-function-response-mode": "streaming",
    "transfer-encoding": "chunked",
    "content-type": "application/octet-stream",
    "trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
}
OWN_ID = {"program": "sh", "arguments": ["-c", 'echo "$RUN_COMMAND_REQUEST_ID"']}


def streamed(script: str, **fields: object) -> dict[str, object]:
    return {"program": "sh", "arguments": ["-c", script], "stream": True, **fields}


def chunks_of(raw: bytes) -> tuple[list[bytes], bytes]:
    """Parse a chunked body strictly: its chunks, and what follows the last (trailers, CRLF)."""
    chunks: list[bytes] = []
    while True:
        size_line, crlf, raw = raw.partition(b"\r\n")
        assert crlf, "a chunk size line must end with CRLF"
        assert re.fullmatch(rb"[0-9a-f]+", size_line), f"bad chunk size line {size_line!r}"
        size = int(size_line, 16)
        if size == 0:
            return chunks, raw
        assert raw[size : size + 2] == b"\r\n", "a chunk must end with CRLF"
        chunks.append(raw[:size])
        raw = raw[size + 2 :]


def error_body(post: Post) -> dict[str, object]:
    decoded = json.loads(base64.b64decode(post.trailers["lambda-runtime-function-error-body"]))
    assert isinstance(decoded, dict)
    return decoded


def test_a_streamed_success_has_the_headers_the_chunks_and_no_trailers(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Exact headers, valid chunk framing, the output as the body, the end with no trailers."""
    request_id = runtime_api.enqueue(streamed("echo out; echo err >&2"))
    after = runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        post = runtime_api.outcome(request_id)
        assert runtime_api.outcome(after).document["output"] == f"{after}\n"
        runtime_api.wait_until_polling()
    assert post.kind == "response"
    assert {name: post.headers.get(name) for name in STREAM_HEADERS} == STREAM_HEADERS
    assert "content-length" not in post.headers
    chunks, rest = chunks_of(post.raw)
    assert rest == b"\r\n"  # the zero-length chunk, then no trailer at all
    assert post.trailers == {}
    assert b"".join(chunks) == post.body
    # stdout and stderr both, in the order they were read (two pipes: not always printed order)
    assert sorted(post.body.splitlines()) == [b"err", b"out"]
    assert "out\n" in runtime.stdout  # the log has it too
    assert "err\n" in runtime.stderr


def test_the_first_chunk_arrives_while_the_command_still_runs(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """`one` is on the wire before the command goes on to print `two`."""
    go = tmp_path / "go"
    script = f"echo one; while [ ! -e {go} ]; do sleep 0.02; done; echo two"
    request_id = runtime_api.enqueue(streamed(script))
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        first = runtime_api.wait_for(lambda: list(runtime_api.chunks[request_id]))
        assert first == [b"one\n"]
        assert runtime_api.posts == []  # the command is still waiting for `go`
        go.touch()
        post = runtime_api.outcome(request_id)
    assert post.body == b"one\ntwo\n"
    assert post.trailers == {}


@pytest.mark.parametrize(
    ("event", "error_type", "output"),
    [
        (streamed("echo oops; exit 3"), "CommandFailed", "oops\n"),
        (streamed("echo started; exec sleep 30", timeout=0.3), "CommandTimedOut", "started\n"),
        (streamed("echo bye; kill -KILL $$"), "CommandKilled", "bye\n"),
    ],
    ids=["failed", "timed-out", "killed"],
)
def test_a_failure_once_streaming_ends_with_the_two_trailers(
    console_script: str,
    runtime_api: FakeRuntimeApi,
    tmp_path: Path,
    *,
    event: object,
    error_type: str,
    output: str,
) -> None:
    """`Function.<errorType>` and the usual error body, base64; then the next event is served."""
    request_id = runtime_api.enqueue(event)
    after = runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        post = runtime_api.outcome(request_id)
        runtime_api.outcome(after)
    assert post.kind == "response"
    assert post.body == output.encode()
    _, rest = chunks_of(post.raw)
    assert rest.startswith(b"Lambda-Runtime-Function-Error-Type: ")
    assert rest.endswith(b"\r\n\r\n")
    assert post.trailers["lambda-runtime-function-error-type"] == f"Function.{error_type}"
    body = error_body(post)
    assert body["errorType"] == error_type
    assert body["requestId"] == request_id
    assert body["output"] == output
    assert [p.request_id for p in runtime_api.posts] == [request_id, after]


@pytest.mark.parametrize(
    ("event", "error_type", "named"),
    [
        ({"program": "no-such-program", "stream": True}, "CommandNotFound", "not found"),
        ({"program": "id", "stream": "yes"}, "InvalidEvent", '"stream" must be true or false'),
    ],
    ids=["not-found", "invalid"],
)
def test_a_failure_before_the_command_started_is_posted_as_an_error(
    console_script: str,
    runtime_api: FakeRuntimeApi,
    tmp_path: Path,
    *,
    event: object,
    error_type: str,
    named: str,
) -> None:
    """Nothing started, nothing streamed: POST …/error as without `stream`."""
    request_id = runtime_api.enqueue(event)
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        post = runtime_api.outcome(request_id)
    assert post.kind == "error"
    assert not post.streamed
    assert post.document["errorType"] == error_type
    assert named in str(post.document["errorMessage"])


def test_output_past_the_limit_is_left_out_of_the_stream_and_said_so_not_out_of_the_log(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """RUN_COMMAND_STREAM_LIMIT_BYTES=1000: 744 bytes of output and the note; the log has all."""
    request_id = runtime_api.enqueue(streamed("head -c 5000 /dev/zero | tr '\\0' x"))
    limit = {"RUN_COMMAND_STREAM_LIMIT_BYTES": "1000"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=limit) as runtime:
        post = runtime_api.outcome(request_id)
    note = (
        "\n[run-command-on-aws-lambda: 4256 bytes of output were not streamed (over the stream "
        "limit of 1000 bytes); the function's log has all of it]\n"
    )
    assert post.body == b"x" * 744 + note.encode()
    assert len(post.body) <= 1000
    assert post.trailers == {}
    assert "x" * 5000 in runtime.stdout


def test_secrets_are_masked_in_the_stream_as_in_the_log(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A secret-named variable's value never reaches the stream."""
    event = streamed('echo "token=$API_TOKEN"', environment={"API_TOKEN": "hunter2-secret"})
    request_id = runtime_api.enqueue(event)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        post = runtime_api.outcome(request_id)
    assert post.body == b"token=***\n"
    assert "hunter2-secret" not in runtime.stdout


def test_a_shutdown_while_streaming_ends_the_stream_with_command_killed(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """SIGTERM to the runtime mid-command: the trailers say CommandKilled, then it exits."""
    request_id = runtime_api.enqueue(streamed("echo working; exec sleep 30"))
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.wait_for(lambda: list(runtime_api.chunks[request_id]))
        runtime.terminate()
        assert runtime.wait() == 143
    post = runtime_api.outcome(request_id)
    assert post.body == b"working\n"
    assert post.trailers["lambda-runtime-function-error-type"] == "Function.CommandKilled"
    assert "shut down" in str(error_body(post)["errorMessage"])


TWO_PARTS = "echo one; sleep 0.3; echo two"


@pytest.mark.parametrize(
    ("fault", "follow_up"),
    [
        (400, None),
        (413, "RuntimeFailure"),
        (Early(413), "RuntimeFailure"),
        (Drop(partway=True), "RuntimeFailure"),
    ],
    ids=["400", "413", "413-mid-stream", "dropped-mid-stream"],
)
def test_a_refused_or_cut_stream_is_logged_and_the_loop_goes_on(
    console_script: str,
    runtime_api: FakeRuntimeApi,
    tmp_path: Path,
    fault: int | Early | Drop,
    follow_up: str | None,
) -> None:
    """One streamed post, at most one error after it (as after a buffered 413), next served."""
    runtime_api.fail("response", fault)
    request_id = runtime_api.enqueue(streamed(TWO_PARTS))
    after = runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime_api.outcome(after).document["output"] == f"{after}\n"
        runtime_api.wait_until_polling()
    answers = [(p.request_id, p.kind) for p in runtime_api.posts]
    expected = [(request_id, "response")]
    if follow_up is not None:
        expected.append((request_id, "error"))
        assert runtime_api.posts[1].document["errorType"] == follow_up
    assert answers == [*expected, (after, "response")]
    assert runtime_api.posts[0].ended is not isinstance(fault, Early | Drop)
    assert "Traceback" not in runtime.stderr
    assert "one\ntwo\n" in runtime.stdout  # the command ran to its end, its log whole


@pytest.mark.parametrize("fault", [500, Drop()], ids=["500", "dropped-after-the-end"])
def test_a_500_or_a_stream_ended_but_unanswered_ends_the_runtime_after_one_post(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path, fault: int | Drop
) -> None:
    """As for buffered posts: the container is broken, or the answer may have been taken."""
    runtime_api.fail("response", fault)
    request_id = runtime_api.enqueue(streamed(TWO_PARTS))
    runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime.wait() == 125
    assert [(p.request_id, p.kind) for p in runtime_api.posts] == [(request_id, "response")]
    assert runtime_api.delivered == [request_id]
    assert runtime_api.posts[0].ended
    assert runtime.stderr.splitlines()[-1].endswith("Exiting: Lambda will start a fresh runtime.")
    assert "Traceback" not in runtime.stderr


def test_streamed_invocations_leave_no_connection_or_thread_behind(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """200 streamed successes and failures: the same open fds and threads after as before."""
    events = [streamed("echo ok"), streamed("echo no; exit 4")]

    def serve(first: int, count: int) -> None:
        for number in range(first, first + count):
            runtime_api.enqueue(events[number % 2])
        runtime_api.wait_for_posts(first + count)
        runtime_api.wait_until_polling()

    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        tasks = Path(f"/proc/{runtime.pid}/task")
        serve(0, 20)
        fds, threads = runtime.open_fds(), len(list(tasks.iterdir()))
        serve(20, 200)
        assert runtime.open_fds() == fds
        assert len(list(tasks.iterdir())) == threads
    assert len(runtime_api.posts) == 220
    for number, post in enumerate(runtime_api.posts):
        assert post.body == (b"ok\n" if number % 2 == 0 else b"no\n")
        failed = post.trailers.get("lambda-runtime-function-error-type")
        assert failed == (None if number % 2 == 0 else "Function.CommandFailed")
