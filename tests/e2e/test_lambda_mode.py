"""End to end: the installed console script as a Lambda custom runtime against a real HTTP API."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.fake_runtime_api import FakeRuntimeApi, closed_port
from tests.runtime_process import RuntimeProcess

PROBE = 'echo "probe=${LEAK_PROBE-unset} cwd=$(pwd) fds=$(ls /proc/self/fd | tr "\\n" " ")"'
FDS = "fds=0 1 2 3 \n"  # stdin, stdout, stderr, and the directory `ls` reads: nothing inherited


def mixed_event(number: int, workdir: Path) -> tuple[object, str | None, str | None]:
    """The `number`th event of a mixed run: (event, expected errorType or None, output)."""
    sh = "sh"
    cases: list[tuple[object, str | None, str | None]] = [
        ({"program": sh, "arguments": ["-c", PROBE]}, None, f"probe=unset cwd={workdir} {FDS}"),
        (
            {
                "program": sh,
                "arguments": ["-c", f"{PROBE}; export LEAKED=1; cd /"],
                "environment": {"LEAK_PROBE": f"set-{number}"},
                "directory": "/tmp",
            },
            None,
            f"probe=set-{number} cwd=/tmp {FDS}",
        ),
        ({"program": sh, "arguments": ["-c", PROBE]}, None, f"probe=unset cwd={workdir} {FDS}"),
        ({"program": sh, "arguments": ["-c", f"exit {number % 100 + 1}"]}, "CommandFailed", None),
        ({"program": "no-such-program"}, "CommandNotFound", None),
        ({"program": sh, "arguments": ["-c", "kill -TERM $$"]}, "CommandKilled", None),
        ({"program": "sleep", "arguments": ["30"], "timeout": 0.05}, "CommandTimedOut", None),
        (b'{"program": ', "InvalidEvent", None),
        ({"program": "true", "directory": "/no/such/dir"}, "InvalidEvent", None),
        ({"program": "/etc/hostname"}, "PermissionDenied", None),
        ({"program": sh, "arguments": ["-c", "sleep 300 & echo left"]}, None, "left\n"),
    ]
    return cases[number % len(cases)]


def test_a_hundred_mixed_invocations_each_get_one_correct_outcome_in_order(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """100 invocations of every kind: one post each, in order, nothing leaking between them."""
    expected = [mixed_event(number, tmp_path) for number in range(100)]
    ids = [runtime_api.enqueue(event) for event, _, _ in expected[:10]]
    with RuntimeProcess(console_script, runtime_api, tmp_path, cwd=tmp_path) as runtime:
        runtime_api.wait_for_posts(10)
        runtime_api.wait_until_polling()
        fds_after_ten = runtime.open_fds()
        ids += [runtime_api.enqueue(event) for event, _, _ in expected[10:]]
        posts = runtime_api.wait_for_posts(100, timeout=240)
        runtime_api.wait_until_polling()
        fds_after_hundred = runtime.open_fds()
        children = runtime.children()
        runtime.terminate()
        assert runtime.wait() == 143
    assert len(runtime_api.posts) == 100
    assert runtime_api.delivered == ids
    assert [post.request_id for post in posts] == ids
    for post, (event, error_type, output) in zip(posts, expected, strict=True):
        document = post.document
        assert document.get("errorType") == error_type, (event, document)
        assert post.kind == ("response" if error_type is None else "error")
        expected_header = None if error_type is None else f"Function.{error_type}"
        assert post.error_type_header == expected_header
        if output is not None:
            assert document["output"] == output, event
    assert children == set(), "a command's leftover processes outlived its invocation"
    assert fds_after_hundred == fds_after_ten


def test_the_child_gets_the_trace_id_request_id_and_deadline_but_no_runtime_handles(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """_X_AMZN_TRACE_ID per invocation (unset without one); the API address never reaches it."""
    show = (
        'echo "trace=${_X_AMZN_TRACE_ID-unset} id=$RUN_COMMAND_REQUEST_ID '
        "deadline=$RUN_COMMAND_DEADLINE_MS api=${AWS_LAMBDA_RUNTIME_API-unset} "
        'fd=${_LAMBDA_TELEMETRY_LOG_FD-unset} region=$AWS_REGION"'
    )
    event = {"program": "sh", "arguments": ["-c", show]}
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    first = runtime_api.enqueue(event, trace_id=trace, deadline_ms=4102444800000)
    second = runtime_api.enqueue(event, deadline_ms=4102444800001)
    env = {
        "AWS_REGION": "eu-west-1",
        "_LAMBDA_TELEMETRY_LOG_FD": "3",
        "_X_AMZN_TRACE_ID": "stale-from-the-environment",
    }
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env):
        documents = [runtime_api.outcome(i).document for i in (first, second)]
    outputs = [document.get("output", document) for document in documents]
    assert outputs == [
        f"trace={trace} id={first} deadline=4102444800000 api=unset fd=unset region=eu-west-1\n",
        f"trace=unset id={second} deadline=4102444800001 api=unset fd=unset region=eu-west-1\n",
    ]


def test_a_command_running_into_the_deadline_is_stopped_and_reported_before_it(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """SIGKILL lands by deadline minus margin, so CommandTimedOut is posted before the deadline."""
    stubborn = "trap '' TERM; echo started; while :; do sleep 0.1; done"
    deadline_ms = int((time.time() + 4) * 1000)
    request_id = runtime_api.enqueue(
        {"program": "sh", "arguments": ["-c", stubborn]}, deadline_ms=deadline_ms
    )
    env = {"RUN_COMMAND_DEADLINE_MARGIN_MS": "1500", "RUN_COMMAND_GRACE_SECONDS": "1"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env):
        post = runtime_api.outcome(request_id)
    assert post.error_type_header == "Function.CommandTimedOut"
    assert post.document["signal"] == 9
    assert post.document["output"] == "started\n"
    assert post.received_at * 1000 < deadline_ms


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"RUN_COMMAND_GRACE_SECONDS": "soon"},
            "RUN_COMMAND_GRACE_SECONDS='soon' is not valid: give a number of "
            "seconds, 0 or more (the default is 3).",
        ),
        (
            {"RUN_COMMAND_ALLOWED_PROGRAMS": "true, ./tool"},
            "RUN_COMMAND_ALLOWED_PROGRAMS entry './tool' is a relative path: give a program "
            "name to look up on PATH, or an absolute path.",
        ),
    ],
    ids=["grace", "allow-list"],
)
def test_an_invalid_setting_is_reported_as_an_init_error_and_the_runtime_exits(
    console_script: str,
    runtime_api: FakeRuntimeApi,
    tmp_path: Path,
    env: dict[str, str],
    message: str,
) -> None:
    """POST /runtime/init/error with `Runtime.InvalidConfiguration`, then exit 125."""
    runtime_api.enqueue({"program": "true"})
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        assert runtime.wait() == 125
    [post] = runtime_api.posts
    assert post.kind == "init-error"
    assert post.error_type_header == "Runtime.InvalidConfiguration"
    assert post.document == {
        "errorType": "InvalidConfiguration",
        "errorMessage": message,
        "stackTrace": [],
    }
    assert runtime_api.delivered == []


def test_sigterm_while_idle_exits_at_once(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Parked on `next`, SIGTERM ends the runtime with 128+15 and nothing posted."""
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.wait_until_polling()
        runtime.terminate()
        assert runtime.wait() == 143
    assert runtime_api.posts == []
    assert runtime.stderr.splitlines()[-1] == "Shut down by signal 15."


def test_sigterm_mid_command_stops_its_group_posts_its_error_and_exits(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A shutdown stops the running command's whole group, reports CommandKilled, then exits."""
    pid_file = tmp_path / "grandchild.pid"
    script = f"sleep 300 & echo $! > {pid_file}; wait"
    request_id = runtime_api.enqueue({"program": "sh", "arguments": ["-c", script]})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        runtime_api.wait_for(lambda: (pid_file.exists() and pid_file.read_text().strip()) or None)
        grandchild = int(pid_file.read_text())
        runtime.terminate()
        assert runtime.wait() == 143
    post = runtime_api.outcome(request_id)
    assert post.error_type_header == "Function.CommandKilled"
    assert "stopped because the runtime was shut down" in str(post.document["errorMessage"])
    assert not Path(f"/proc/{grandchild}").exists()


def test_a_runtime_api_that_refuses_connections_ends_the_runtime(
    console_script: str, tmp_path: Path
) -> None:
    """Refused on every retry: a clear message and exit 125 (Lambda starts a fresh sandbox)."""
    with RuntimeProcess(console_script, f"127.0.0.1:{closed_port()}", tmp_path) as runtime:
        assert runtime.wait(60) == 125
    lines = runtime.stderr.splitlines()
    assert sum("retrying in" in line for line in lines) == 6
    assert "gave up after 7 attempts" in lines[-1]
    assert lines[-1].endswith("Exiting: Lambda will start a fresh runtime.")


@pytest.mark.parametrize("status", [500, 403])
def test_an_unexpected_status_on_next_ends_the_runtime(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path, status: int
) -> None:
    """A 500 (or any status but 200) on `next`: logged, exit 125, after serving what came before."""
    served = runtime_api.enqueue({"program": "true"})
    runtime_api.enqueue_status(status, b"container error")
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime.wait() == 125
    assert [post.request_id for post in runtime_api.posts] == [served]
    assert f"answered {status}: container error" in runtime.stderr


def test_the_runtime_registers_an_extension_so_that_shutdowns_reach_it(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """At start-up it registers a no-op extension and parks it on event/next."""
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        runtime_api.wait_until_polling()
        runtime_api.wait_for(lambda: runtime_api.extension_polls or None)
    assert runtime_api.registrations[0]["lambda-extension-name"] == "run-command-on-aws-lambda"
    assert json.loads(runtime_api.registration_bodies[0]) == {"events": []}


def test_a_failed_extension_registration_does_not_stop_the_runtime(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Registration refused: a warning, and invocations are served all the same."""
    runtime_api.fail("register", 500)
    request_id = runtime_api.enqueue({"program": "true"})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime_api.outcome(request_id).kind == "response"
    assert "Could not register the shutdown extension" in runtime.stderr


def test_json_logs_on_lambda_carry_request_ids_and_no_environment_values(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """AWS_LAMBDA_LOG_FORMAT=JSON: the runtime's lines are JSON objects tagged per invocation."""
    request_id = runtime_api.enqueue({"program": "true", "environment": {"TOKEN": "s3cr3t"}})
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "DATABASE_PASSWORD": "hunter2"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        runtime_api.outcome(request_id)
        runtime_api.wait_until_polling()
        runtime.terminate()
        runtime.wait()
    lines = [json.loads(line) for line in runtime.stderr.splitlines()]
    tagged = [(line["requestId"], line["message"]) for line in lines if line["requestId"]]
    assert tagged == [(request_id, "Running true []."), (request_id, "true exited with status 0.")]
    assert "s3cr3t" not in runtime.stderr
    assert "hunter2" not in runtime.stderr
    assert os.environ.get("AWS_LAMBDA_RUNTIME_API") is None


def test_a_quick_command_finishes_within_lambda_s_default_three_second_timeout(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Default settings and a 3 s deadline: the command runs, it is not stopped at once."""
    deadline_ms = int((time.time() + 3) * 1000)
    request_id = runtime_api.enqueue(
        {"program": "sh", "arguments": ["-c", "sleep 0.2; echo finished"]}, deadline_ms=deadline_ms
    )
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        post = runtime_api.outcome(request_id)
    assert (post.kind, post.document["output"]) == ("response", "finished\n")


def test_a_response_refused_as_too_large_is_logged_and_the_runtime_goes_on(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """413 on the response, 403 on the error after it: both logged, the next event served."""
    runtime_api.fail("response", 413)
    runtime_api.fail("error", 403)
    refused = runtime_api.enqueue({"program": "true"})
    served = runtime_api.enqueue({"program": "sh", "arguments": ["-c", "echo next"]})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime_api.outcome(served).document["output"] == "next\n"
    kinds = [(post.request_id, post.kind) for post in runtime_api.posts]
    assert kinds == [(refused, "response"), (refused, "error"), (served, "response")]
    assert "refused the response for request" in runtime.stderr
    assert "answered 413" in runtime.stderr
    assert "answered 403" in runtime.stderr


def test_lone_surrogates_in_an_event_are_answered_and_the_runtime_goes_on(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """`\\udcff` stands for the byte 0xff; `\\ud800` is refused; each event gets its own answer."""
    events = {
        "missing": b'{"program": "\\udcff"}',
        "argument": b'{"program": "printf", "arguments": ["%s", "\\udcff"]}',
        "input": b'{"program": "cat", "input": "a\\udcffb"}',
        "secret": b'{"program": "printf", "arguments": ["x\\udcff"], '
        b'"environment": {"DB_PASSWORD": "x\\udcff"}}',
        "unpassable": b'{"program": "echo", "arguments": ["\\ud800"]}',
        "unpassable name": b'{"program": "true", "environment": {"\\udfff": "1"}}',
    }
    ids = {name: runtime_api.enqueue(event) for name, event in events.items()}
    served = runtime_api.enqueue({"program": "sh", "arguments": ["-c", "echo next"]})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        assert runtime_api.outcome(served).document["output"] == "next\n"
    outcomes = {name: runtime_api.outcome(ids[name]) for name in events}
    missing = outcomes["missing"].document
    assert missing["errorType"] == "CommandNotFound"
    assert missing["program"] == "\udcff"  # the body is UTF-8 JSON, the surrogate an escape
    assert outcomes["argument"].document["output"] == "\ufffd"  # the byte 0xff, not UTF-8
    assert outcomes["input"].document["output"] == "a\ufffdb"
    assert outcomes["secret"].document["output"] == "***"
    for name in ("unpassable", "unpassable name"):
        document = outcomes[name].document
        assert document["errorType"] == "InvalidEvent"
        assert "surrogate" in str(document["errorMessage"])
    assert len(runtime_api.posts) == len(events) + 1
    assert "Traceback" not in runtime.stderr + runtime.stdout
