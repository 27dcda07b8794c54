"""End to end: `run_command_on_aws_lambda.handler` inside AWS's own Python runtime client.

`awslambdaric` (what AWS's managed Python runtime runs) is started as a real process with the
handler, against pytest-httpserver playing the Runtime API; the test checks what it posts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

NEXT = "/2018-06-01/runtime/invocation/next"


def next_answer(request_id: str, event: object, deadline_ms: int | None = None) -> Response:
    headers = {
        "Lambda-Runtime-Aws-Request-Id": request_id,
        "Lambda-Runtime-Deadline-Ms": str(deadline_ms or int((time.time() + 900) * 1000)),
        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:123456789012:function:f",
        "Lambda-Runtime-Trace-Id": f"Root=1-00000000-{request_id}",
    }
    return Response(json.dumps(event), 200, headers, content_type="application/json")


@pytest.fixture
def managed_runtime(httpserver: HTTPServer, tmp_path: Path) -> Iterator[None]:
    """`python -m awslambdaric run_command_on_aws_lambda.handler`, killed after the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_LAMBDA_")}
    env.update(
        AWS_LAMBDA_RUNTIME_API=f"{httpserver.host}:{httpserver.port}",
        RUN_COMMAND_DEADLINE_MARGIN_MS="1500",
        RUN_COMMAND_GRACE_SECONDS="1",
    )
    with (tmp_path / "runtime.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "awslambdaric", "run_command_on_aws_lambda.handler"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # Once the ordered answers are used up, `next` fails and AWS's client exits.
    httpserver.expect_request(NEXT).respond_with_data(b"no more events", status=500)
    yield
    process.kill()
    process.wait()


def posts(httpserver: HTTPServer, count: int, timeout: float = 60) -> list[Request]:
    """Wait until the runtime has posted `count` outcomes; return those requests."""
    give_up = time.monotonic() + timeout
    while True:
        found = [request for request, _ in httpserver.log if request.method == "POST"]
        if len(found) >= count or time.monotonic() > give_up:
            return found
        time.sleep(0.05)


def test_the_handler_answers_through_aws_s_own_runtime_client(
    httpserver: HTTPServer, managed_runtime: None
) -> None:
    """Success returns the result body; a failure raises an exception named after errorType."""
    show = "echo $_X_AMZN_TRACE_ID $RUN_COMMAND_REQUEST_ID"
    invocations: list[tuple[str, object]] = [
        ("r1", {"program": "sh", "arguments": ["-c", show]}),
        ("r2", {"program": "sh", "arguments": ["-c", "echo bad >&2; exit 4"]}),
        ("r3", {"programme": "true"}),
    ]
    for request_id, event in invocations:
        httpserver.expect_ordered_request(NEXT).respond_with_response(
            next_answer(request_id, event)
        )
        kind = "response" if request_id == "r1" else "error"
        path = f"/2018-06-01/runtime/invocation/{request_id}/{kind}"
        httpserver.expect_ordered_request(path, method="POST").respond_with_data(b"", 202)
    response, failed, invalid = (json.loads(r.get_data()) for r in posts(httpserver, 3))
    httpserver.check_assertions()
    assert response == {
        "program": "sh",
        "exitCode": 0,
        "reason": "exited",
        "port": None,
        "durationMs": response["durationMs"],
        "output": "Root=1-00000000-r1 r1\n",
        "outputTruncated": False,
    }
    assert (failed["errorType"], failed["errorMessage"], failed["requestId"]) == (
        "CommandFailed",
        "sh exited with status 4.",
        "r2",
    )
    assert invalid["errorType"] == "InvalidEvent"
    assert invalid["errorMessage"].startswith("Unknown field 'programme' in the event.")


def test_the_handler_honours_the_remaining_time_of_the_context(
    httpserver: HTTPServer, managed_runtime: None
) -> None:
    """A command that ignores SIGTERM is killed in time to post CommandTimedOut before the end."""
    deadline_ms = int((time.time() + 4) * 1000)
    stubborn = {"program": "sh", "arguments": ["-c", "trap '' TERM; while :; do sleep 0.1; done"]}
    httpserver.expect_ordered_request(NEXT).respond_with_response(
        next_answer("r1", stubborn, deadline_ms)
    )
    posted_at: list[float] = []

    def record(request: Request) -> Response:
        posted_at.append(time.time())
        return Response(b"", 202)

    error_path = "/2018-06-01/runtime/invocation/r1/error"
    httpserver.expect_ordered_request(error_path, method="POST").respond_with_handler(record)
    [error] = posts(httpserver, 1)
    httpserver.check_assertions()
    assert json.loads(error.get_data())["errorType"] == "CommandTimedOut"
    assert posted_at[0] * 1000 < deadline_ms
