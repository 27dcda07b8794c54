"""End to end: how the console script stops commands, and what it reports."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_script
from tests.processes import free_port, in_session, listener_script

TERM_IGNORING_TREE = 'trap "" TERM; sleep 1000 & echo $$; sleep 1000'


def event(program: str, *arguments: str, **fields: object) -> str:
    return json.dumps({"program": program, "arguments": list(arguments), **fields})


def test_sigterm_to_the_runtime_stops_the_command_reports_and_exits_143(
    console_script: str, tmp_path: Path
) -> None:
    """Lambda's shutdown signal: the command's group is stopped, the outcome still written."""
    result_file = tmp_path / "result.json"
    runtime = subprocess.Popen(
        [
            console_script,
            "--result",
            str(result_file),
            "--event",
            event("sh", "-c", TERM_IGNORING_TREE),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert runtime.stdout is not None
    ready, _, _ = select.select([runtime.stdout], [], [], 30)
    leader = int(runtime.stdout.readline()) if ready else 0
    runtime.send_signal(signal.SIGTERM)
    _, stderr = runtime.communicate(timeout=60)
    assert leader > 0
    assert runtime.returncode == 143
    body = json.loads(result_file.read_text())
    assert body["errorType"] == "CommandKilled"
    assert "the runtime was shut down" in body["errorMessage"]
    assert b"the runtime was shut down" in stderr
    assert in_session(leader) == []


def test_a_timeout_is_reported_with_status_124_and_nothing_survives(console_script: str) -> None:
    """TERM-ignoring tree, timeout, grace: CommandTimedOut, and no process of its session left."""
    completed = run_script(
        console_script,
        "--result",
        "-",
        "--event",
        event("sh", "-c", TERM_IGNORING_TREE, timeout=1.0),
        env={"RUN_COMMAND_GRACE_SECONDS": "0.3"},
    )
    leader_line, result_line = completed.stdout.decode().splitlines()
    assert completed.returncode == 124
    assert json.loads(result_line)["errorType"] == "CommandTimedOut"
    assert in_session(int(leader_line)) == []


def test_a_daemon_the_command_double_forked_is_stopped_too(
    console_script: str, tmp_path: Path
) -> None:
    """The runtime is a child subreaper: a daemon in a session of its own is killed too."""
    pidfile = tmp_path / "daemon.pid"
    script = (
        f"setsid sh -c 'trap \"\" TERM; echo $$ > {pidfile}; exec sleep 1000' & "
        f"while [ ! -s {pidfile} ]; do sleep 0.01; done"
    )
    completed = run_script(
        console_script,
        "--event",
        event("sh", "-c", script),
        env={"RUN_COMMAND_GRACE_SECONDS": "0.2"},
    )
    assert completed.returncode == 0
    daemon = int(pidfile.read_text())
    assert in_session(daemon) == []


def test_a_ready_port_ends_the_command_with_success(console_script: str) -> None:
    """`ports`: exit status 0 and a result with reason port-ready and the port."""
    port = free_port()
    spec = event(sys.executable, "-c", listener_script(port, 0.2), ports=[port])
    completed = run_script(console_script, "--result", "-", "--event", spec)
    output, result_line = completed.stdout.decode().splitlines()
    body = json.loads(result_line)
    assert completed.returncode == 0
    assert output == "listening"
    assert (body["reason"], body["port"], body["exitCode"]) == ("port-ready", port, 0)
    assert f"Port {port} is ready".encode() in completed.stderr


def test_a_directory_that_does_not_exist_is_an_invalid_event(console_script: str) -> None:
    """A clear InvalidEvent with exit status 125, not a traceback."""
    spec = event("true", directory="/no/such/directory")
    completed = run_script(console_script, "--result", "-", "--event", spec)
    assert completed.returncode == 125
    body = json.loads(completed.stdout)
    assert body["errorType"] == "InvalidEvent"
    assert "/no/such/directory" in body["errorMessage"]
    assert b"Traceback" not in completed.stderr


def test_binary_output_reaches_the_runtimes_stdout_unchanged(
    console_script: str, tmp_path: Path
) -> None:
    """Invalid UTF-8 and NUL bytes pass through the console script byte for byte."""
    data = bytes(range(256)) * 64 + b"\xff\xfe"
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    completed = run_script(console_script, "--event", event("cat", str(blob)))
    assert completed.returncode == 0
    assert completed.stdout == data
