"""End to end: the console script against a Runtime API that misbehaves.

Each fault is injected into the threaded fake API; each test checks the behaviour docs/lambda.md
documents ("Faults of the Runtime API"), that no invocation is answered twice or with
another's result, and that nothing hangs (every wait is bounded).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from tests.fake_runtime_api import Drop, FakeRuntimeApi, Slow
from tests.runtime_process import RuntimeProcess

# Each command prints its own request id, so a result delivered to the wrong request shows.
OWN_ID = {"program": "sh", "arguments": ["-c", 'echo "$RUN_COMMAND_REQUEST_ID"']}
FAILING = {"program": "sh", "arguments": ["-c", 'echo "$RUN_COMMAND_REQUEST_ID"; exit 3']}
GAVE_UP = "Exiting: Lambda will start a fresh runtime."


def assert_each_answered_once_with_its_own_result(api: FakeRuntimeApi) -> None:
    ids = [post.request_id for post in api.posts]
    assert len(ids) == len(set(ids)), f"answered twice: {ids}"
    for post in api.posts:
        assert post.document["output"] == f"{post.request_id}\n"


def assert_no_traceback(runtime: RuntimeProcess) -> None:
    assert "Traceback" not in runtime.stderr
    assert "Traceback" not in runtime.stdout


@pytest.mark.parametrize(
    "fault", [Drop(), Drop(partway=True)], ids=["before-answering", "mid-body"]
)
def test_a_next_dropped_by_the_api_is_retried_and_the_following_event_served(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path, fault: Drop
) -> None:
    """The runtime retries `next`; an event cut off mid-body is never run or answered."""
    runtime_api.fail("next", fault)
    first = runtime_api.enqueue(OWN_ID)
    second = runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.outcome(second)
        runtime_api.wait_until_polling()
    answered = [post.request_id for post in runtime_api.posts]
    assert answered == ([second] if fault.partway else [first, second])
    assert runtime_api.delivered == [first, second]
    assert_each_answered_once_with_its_own_result(runtime_api)
    assert "GET /2018-06-01/runtime/invocation/next: the connection broke" in runtime.stderr
    assert "retrying in 0.05 s" in runtime.stderr
    assert_no_traceback(runtime)


@pytest.mark.parametrize("fault", [Drop(), Drop(partway=True)], ids=["no-answer", "mid-answer"])
@pytest.mark.parametrize("kind", ["response", "error"])
def test_a_post_dropped_by_the_api_ends_the_runtime_without_posting_again(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path, fault: Drop, kind: str
) -> None:
    """Whether Lambda took the outcome is unknown: it is not posted twice; exit 125."""
    runtime_api.fail(kind, fault)
    posted = runtime_api.enqueue(OWN_ID if kind == "response" else FAILING)
    runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime.wait() == 125
    assert [(post.request_id, post.kind) for post in runtime_api.posts] == [(posted, kind)]
    assert runtime_api.delivered == [posted]
    assert_each_answered_once_with_its_own_result(runtime_api)
    assert runtime.stderr.splitlines()[-1].endswith(GAVE_UP)
    assert_no_traceback(runtime)


@pytest.mark.parametrize(
    ("kind", "event"), [("next", OWN_ID), ("response", OWN_ID), ("error", FAILING)]
)
def test_a_slow_answer_is_waited_for_and_the_loop_goes_on(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path, kind: str, event: object
) -> None:
    """A `next` or a post answered a second and a half late: nothing is retried or lost."""
    runtime_api.fail(kind, Slow(1.5))
    ids = [runtime_api.enqueue(event), runtime_api.enqueue(OWN_ID)]
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.outcome(ids[1])
        runtime_api.wait_until_polling()
    assert [post.request_id for post in runtime_api.posts] == ids
    assert_each_answered_once_with_its_own_result(runtime_api)
    assert runtime.stderr.count("Running sh") == 2
    assert_no_traceback(runtime)


def test_a_post_that_is_never_answered_times_out_and_ends_the_runtime(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """An API that takes a post and goes silent: after the 10 s read timeout, exit 125."""
    runtime_api.fail("response", Slow(math.inf))
    posted = runtime_api.enqueue(OWN_ID)
    runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime.wait(60) == 125
    assert [post.request_id for post in runtime_api.posts] == [posted]
    assert "Read timed out" in runtime.stderr
    assert runtime.stderr.splitlines()[-1].endswith(GAVE_UP)
    assert_no_traceback(runtime)


@pytest.mark.parametrize(("kind", "event"), [("response", OWN_ID), ("error", FAILING)])
def test_a_500_on_a_post_ends_the_runtime_after_one_post(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path, kind: str, event: object
) -> None:
    """The container is broken: logged with the status, exit 125, the next event not taken."""
    runtime_api.fail(kind, 500)
    posted = runtime_api.enqueue(event)
    runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime.wait() == 125
    assert [post.request_id for post in runtime_api.posts] == [posted]
    assert runtime_api.delivered == [posted]
    assert f"/{kind} answered 500: " in runtime.stderr
    assert_no_traceback(runtime)


def test_a_413_on_an_error_is_logged_and_the_loop_goes_on(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """An error body refused as too large is followed by a short RuntimeFailure; next served."""
    runtime_api.fail("error", 413)
    ids = [runtime_api.enqueue(FAILING), runtime_api.enqueue(OWN_ID)]
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.outcome(ids[1])
        runtime_api.wait_until_polling()
    assert [(post.request_id, post.error_type_header) for post in runtime_api.posts] == [
        (ids[0], "Function.CommandFailed"),
        (ids[0], "Function.RuntimeFailure"),
        (ids[1], None),
    ]
    assert f"refused the error for request {ids[0]}" in runtime.stderr
    assert_no_traceback(runtime)


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"Lambda-Runtime-Deadline-Ms": "4102444800000"}, "no Lambda-Runtime-Aws-Request-Id"),
        (
            {"Lambda-Runtime-Aws-Request-Id": "r-bad", "Lambda-Runtime-Deadline-Ms": "soon"},
            "Lambda-Runtime-Deadline-Ms is not a number: 'soon'",
        ),
        (
            {"Lambda-Runtime-Aws-Request-Id": "r-bad", "Lambda-Runtime-Deadline-Ms": "-1"},
            "Lambda-Runtime-Deadline-Ms is not a number: '-1'",
        ),
    ],
    ids=["no-request-id", "word-deadline", "negative-deadline"],
)
def test_malformed_next_headers_end_the_runtime_naming_the_header(
    console_script: str,
    runtime_api: FakeRuntimeApi,
    tmp_path: Path,
    headers: dict[str, str],
    named: str,
) -> None:
    """What came before is served; the malformed invocation is not run; exit 125."""
    served = runtime_api.enqueue(OWN_ID)
    runtime_api.enqueue_raw(headers, b'{"program": "touch", "arguments": ["ran"]}')
    with RuntimeProcess(console_script, runtime_api, tmp_path, cwd=tmp_path) as runtime:
        assert runtime.wait() == 125
    assert [post.request_id for post in runtime_api.posts] == [served]
    assert not (tmp_path / "ran").exists()
    assert named in runtime.stderr.splitlines()[-1]
    assert_no_traceback(runtime)


def test_a_deadline_already_past_or_centuries_away_is_taken_as_it_is(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Numeric but absurd deadlines: stopped at once (CommandTimedOut), or simply run."""
    past = runtime_api.enqueue(OWN_ID, deadline_ms=1)
    far = runtime_api.enqueue(OWN_ID, headers={"Lambda-Runtime-Deadline-Ms": "9" * 30})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        outcomes = [runtime_api.outcome(past), runtime_api.outcome(far)]
        runtime_api.wait_until_polling()
    assert [post.error_type_header for post in outcomes] == ["Function.CommandTimedOut", None]
    assert outcomes[1].document["output"] == f"{far}\n"
    assert_no_traceback(runtime)


def test_an_api_restarting_between_invocations_is_reconnected_to_with_backoff(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """The API goes away while the runtime waits on `next` and comes back on the same port."""
    first = runtime_api.enqueue(OWN_ID)
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.outcome(first)
        runtime_api.wait_until_polling()
        runtime_api.stop()
        runtime_api.wait_for(lambda: "retrying in 0.1 s" in runtime.stderr or None)
        runtime_api.start()
        second = runtime_api.enqueue(OWN_ID)
        runtime_api.outcome(second)
        runtime_api.wait_until_polling()
        assert runtime.process.poll() is None
    assert [post.request_id for post in runtime_api.posts] == [first, second]
    assert_each_answered_once_with_its_own_result(runtime_api)
    assert_no_traceback(runtime)


def test_an_api_restarting_while_a_command_runs_gets_its_outcome_once(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """The keep-alive connection is gone when the command ends: the post opens a new one."""
    go, started = tmp_path / "go", tmp_path / "started"
    wait_for_go = (
        f'touch {started}; while [ ! -e {go} ]; do sleep 0.02; done; echo "$RUN_COMMAND_REQUEST_ID"'
    )
    request_id = runtime_api.enqueue({"program": "sh", "arguments": ["-c", wait_for_go]})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        # The command runs: the event was read whole (a stop while `next`'s body is still on
        # its way loses the event, as a real API's restart would).
        runtime_api.wait_for(lambda: started.exists() or None)
        runtime_api.stop()
        time.sleep(0.2)  # down for a moment, not a timing assertion
        runtime_api.start()
        go.touch()  # the command ends only once the API is back, however slow the machine
        runtime_api.outcome(request_id)
        runtime_api.wait_until_polling()
    assert [post.request_id for post in runtime_api.posts] == [request_id]
    assert_each_answered_once_with_its_own_result(runtime_api)
    assert_no_traceback(runtime)
