"""App: the serving loop over the Runtime API transport, real child processes, a real API."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.runtime_api.client import (
    ApiContractError,
    ApiStatusError,
    RuntimeApiClient,
    RuntimeApiTransport,
    open_pool,
)
from run_command_on_aws_lambda.app.logs import configure_logging
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.serving import serve
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.errors import TransportError
from tests.fake_runtime_api import FakeRuntimeApi


def serve_all(api: FakeRuntimeApi, environ: Mapping[str, str] | None = None) -> None:
    """Serve until the API fails; the tests queue that failure after their events."""
    environ = os.environ if environ is None else environ
    runner = CommandRunner(
        executor=ProcessExecutor(search_path=os.environ["PATH"]),
        settings=Settings.from_environment(environ),
        environ=environ,
    )
    serve(RuntimeApiTransport(RuntimeApiClient(open_pool(api.address))), runner)


def json_log(
    api: FakeRuntimeApi, events: list[object], level: str = "INFO", end_status: int = 404
) -> tuple[list[str], list[dict[str, str]]]:
    """Serve `events` with JSON logs at `level`: their request ids, and the runtime's records."""
    stream = io.StringIO()
    environ = {
        **os.environ,
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": level,
        "SECRET_TOKEN": "hunter2-value",
    }
    configure_logging(environ, stream)
    try:
        ids = [api.enqueue(event) for event in events]
        api.enqueue_status(end_status)
        with pytest.raises(ApiStatusError):
            serve_all(api, environ)
    finally:
        configure_logging(os.environ)
    assert "hunter2-value" not in stream.getvalue()
    return ids, [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_invocation_gets_exactly_one_outcome_in_order(runtime_api: FakeRuntimeApi) -> None:
    """Success, failures and invalid events, one after another: one post each, in order."""
    events: list[object] = [
        {"program": "true"},
        {"program": "sh", "arguments": ["-c", "exit 3"]},
        {"program": "no-such-program-here"},
        {"program": "sh", "arguments": ["-c", "kill -KILL $$"]},
        {"program": "true", "argument": []},
        b"\xff not json",
        {"program": "sleep", "arguments": ["5"], "timeout": 0.1},
        {"program": "sh", "arguments": ["-c", "echo done"]},
    ]
    ids = [runtime_api.enqueue(event) for event in events]
    runtime_api.enqueue_status(500)
    with pytest.raises(ApiStatusError, match="answered 500"):
        serve_all(runtime_api)
    assert [post.request_id for post in runtime_api.posts] == ids
    assert [post.error_type_header for post in runtime_api.posts] == [
        None,
        "Function.CommandFailed",
        "Function.CommandNotFound",
        "Function.CommandKilled",
        "Function.InvalidEvent",
        "Function.InvalidEvent",
        "Function.CommandTimedOut",
        None,
    ]
    assert [post.kind for post in runtime_api.posts] == ["response"] + ["error"] * 6 + ["response"]
    assert runtime_api.posts[-1].document["output"] == "done\n"
    assert all(p.document["requestId"] == p.request_id for p in runtime_api.posts[1:-1])


def test_a_broken_contract_ends_the_loop_after_the_invocations_before_it(
    runtime_api: FakeRuntimeApi,
) -> None:
    """An answer without a request id cannot be answered: the loop ends with that error."""
    first = runtime_api.enqueue({"program": "true"})
    runtime_api.enqueue_raw({"Lambda-Runtime-Deadline-Ms": "1"})
    with pytest.raises(ApiContractError, match="no Lambda-Runtime-Aws-Request-Id"):
        serve_all(runtime_api)
    assert [post.request_id for post in runtime_api.posts] == [first]


def test_a_refused_4xx_post_does_not_stop_the_loop(runtime_api: FakeRuntimeApi) -> None:
    """400 on one error post, 403 on the next: both logged, the third invocation still served."""
    runtime_api.fail("error", 400, 403)
    ids = [runtime_api.enqueue({"program": "false"}) for _ in range(2)]
    ids.append(runtime_api.enqueue({"program": "true"}))
    runtime_api.enqueue_status(500)
    with pytest.raises(TransportError):
        serve_all(runtime_api)
    assert [(post.request_id, post.kind) for post in runtime_api.posts] == [
        (ids[0], "error"),
        (ids[1], "error"),
        (ids[2], "response"),
    ]


def test_json_log_lines_carry_the_request_id_of_their_invocation(
    runtime_api: FakeRuntimeApi,
) -> None:
    """AWS_LAMBDA_LOG_FORMAT=JSON: each line is JSON with the requestId it belongs to."""
    ids, lines = json_log(runtime_api, [{"program": "true"}] * 2, end_status=500)
    assert [(line["requestId"], line["message"]) for line in lines[:4]] == [
        (ids[0], "Running true []."),
        (ids[0], "true exited with status 0."),
        (ids[1], "Running true []."),
        (ids[1], "true exited with status 0."),
    ]
    assert all(set(line) == {"timestamp", "level", "message", "requestId"} for line in lines)


def test_json_log_level_filters_the_runtime_s_lines(runtime_api: FakeRuntimeApi) -> None:
    """AWS_LAMBDA_LOG_LEVEL=ERROR keeps the invalid-event line and drops the INFO ones."""
    ids, lines = json_log(runtime_api, [{"program": "true"}, {"programme": "true"}], "ERROR")
    assert [(line["level"], line["requestId"]) for line in lines] == [("ERROR", ids[1])]


def test_every_command_that_did_not_succeed_leaves_an_error_record(
    runtime_api: FakeRuntimeApi,
) -> None:
    """AWS_LAMBDA_LOG_LEVEL=ERROR: a failure, a kill, a timeout and a missing program each log."""
    events: list[object] = [
        {"program": "true"},
        {"program": "sh", "arguments": ["-c", "exit 3"]},
        {"program": "sh", "arguments": ["-c", "kill -KILL $$"]},
        {"program": "sleep", "arguments": ["30"], "timeout": 0.2},
        {"program": "no-such-program-here"},
    ]
    ids, lines = json_log(runtime_api, events, "ERROR")
    assert [(line["level"], line["requestId"]) for line in lines] == [
        ("ERROR", request_id) for request_id in ids[1:]
    ]
    assert "sh exited with status 3." in lines[0]["message"]


def test_running_is_logged_only_for_a_command_that_starts(runtime_api: FakeRuntimeApi) -> None:
    """A missing directory or program is refused with no "Running" line before it."""
    events: list[object] = [
        {"program": "id", "directory": "/nope"},
        {"program": "no-such-program-here"},
        {"program": "true"},
    ]
    _, lines = json_log(runtime_api, events)
    messages = [line["message"] for line in lines]
    assert [message for message in messages if message.startswith("Running")] == [
        "Running true []."
    ]
    assert messages[0].startswith("Invalid event: \"directory\" '/nope' does not exist")


def test_an_error_body_refused_as_too_large_is_followed_by_a_runtime_failure(
    runtime_api: FakeRuntimeApi,
) -> None:
    """413 on an error post: the invocation still gets a RuntimeFailure, the loop goes on."""
    runtime_api.fail("error", 413)
    ids = [runtime_api.enqueue({"program": "false"}), runtime_api.enqueue({"program": "true"})]
    runtime_api.enqueue_status(500)
    with pytest.raises(TransportError):
        serve_all(runtime_api)
    assert [(post.request_id, post.error_type_header) for post in runtime_api.posts] == [
        (ids[0], "Function.CommandFailed"),
        (ids[0], "Function.RuntimeFailure"),
        (ids[1], None),
    ]
    assert "larger than Lambda accepts" in str(runtime_api.posts[1].document["errorMessage"])
