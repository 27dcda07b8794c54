"""End to end: secrets never appear in what the runtime itself writes or composes.

A canary value is planted in the function's configuration, in event variables, in an
argument (with RUN_COMMAND_HIDE_ARGUMENTS) and in every error path; then all the runtime's
output and every body it posts are searched for it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import run_script
from tests.fake_runtime_api import FakeRuntimeApi
from tests.runtime_process import RuntimeProcess

CANARY = "canary-7f3a9c"


def events_carrying_the_canary() -> list[object]:
    env = {"DB_PASSWORD": CANARY, "PLAIN": CANARY}
    return [
        {"program": "true", "environment": env},
        {"program": "false", "environment": env},
        {"program": "no-such-program", "environment": env},
        {"program": "sleep", "arguments": ["5"], "timeout": 0.1, "environment": env},
        {"program": "id", "environment": env},  # not on the allow-list
        {"program": "true", "environment": {"BAD": CANARY + "\0"}},  # NUL: invalid event
        {"program": "true", "environment": {"PORT": [CANARY]}},  # wrong type
        {"program": "true", "environment": env, "bogus": True},  # unknown field
        {"program": "true", "directory": "/no/such/dir", "environment": env},
        {"program": "true", "arguments": [CANARY], "environment": env},  # hidden argument
        {"program": "sh", "arguments": ["-c", "kill -KILL $$"], "environment": env},
    ]


SETTINGS = {
    "FUNCTION_SECRET": CANARY,  # the function's own configuration
    "RUN_COMMAND_ALLOWED_PROGRAMS": "true,false,sleep,no-such-program,/bin/sh",
    "RUN_COMMAND_HIDE_ARGUMENTS": "true",
}


def test_no_canary_in_the_logs_or_posted_bodies_of_a_lambda_runtime_at_debug_level(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Every error path, JSON logs at DEBUG: the canary is nowhere the runtime wrote."""
    events = events_carrying_the_canary()
    ids = [runtime_api.enqueue(event) for event in events]
    env = {**SETTINGS, "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        outcomes = [runtime_api.outcome(request_id) for request_id in ids]
        runtime_api.wait_until_polling()
        runtime.terminate()
        runtime.wait()
    kinds = [post.document.get("errorType", "ok") for post in outcomes]
    assert kinds == [
        "ok",
        "CommandFailed",
        "CommandNotFound",
        "CommandTimedOut",
        "ProgramNotAllowed",
        "InvalidEvent",
        "InvalidEvent",
        "InvalidEvent",
        "InvalidEvent",
        "ok",
        "CommandKilled",
    ]
    written = runtime.stdout + runtime.stderr
    assert "Running true [1 argument hidden]." in written
    for post in outcomes:
        assert CANARY.encode() not in post.body
        assert all(CANARY not in value for value in post.headers.values())
    assert CANARY not in written


def test_no_canary_in_local_mode_output_or_result_bodies(
    console_script: str, tmp_path: Path
) -> None:
    """The same events in local mode: stderr, stdout and the --result file stay clean."""
    for number, event in enumerate(events_carrying_the_canary()):
        result = tmp_path / f"result-{number}.json"
        completed = run_script(
            console_script, "--result", str(result), stdin=json.dumps(event).encode(), env=SETTINGS
        )
        assert CANARY.encode() not in completed.stdout + completed.stderr, event
        assert CANARY not in result.read_text(), event
        assert b"Traceback" not in completed.stderr


def test_a_program_outside_the_allow_list_exits_126_locally_and_starts_nothing(
    console_script: str, tmp_path: Path
) -> None:
    """ProgramNotAllowed is 126, like a program that cannot be executed."""
    marker = tmp_path / "ran"
    event = {"program": "touch", "arguments": [str(marker)]}
    completed = run_script(
        console_script,
        "--result",
        "-",
        stdin=json.dumps(event).encode(),
        env={"RUN_COMMAND_ALLOWED_PROGRAMS": "true"},
    )
    assert completed.returncode == 126
    assert json.loads(completed.stdout)["errorType"] == "ProgramNotAllowed"
    assert not marker.exists()


def test_the_child_gets_no_handle_of_the_runtime(console_script: str) -> None:
    """An fd the runtime holds (Lambda's telemetry fd) is neither inherited nor named."""
    read_end, write_end = os.pipe()
    try:
        environment = {**os.environ, "_LAMBDA_TELEMETRY_LOG_FD": str(write_end)}
        environment.pop("AWS_LAMBDA_RUNTIME_API", None)
        probe = (
            'ls /proc/self/fd | tr "\\n" " "; echo "telemetry=${_LAMBDA_TELEMETRY_LOG_FD-unset}"'
        )
        completed = subprocess.run(
            [console_script, "--event", json.dumps({"program": "sh", "arguments": ["-c", probe]})],
            capture_output=True,
            env=environment,
            pass_fds=(write_end,),
            check=False,
            timeout=60,
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    assert completed.returncode == 0
    assert completed.stdout == b"0 1 2 3 telemetry=unset\n"  # 3 is the folder `ls` reads
