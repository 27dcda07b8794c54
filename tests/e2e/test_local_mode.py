"""End to end: the installed console script in local mode, as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import run_script


def event(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_the_readme_example_runs_id_and_exits_zero(console_script: str) -> None:
    """`echo '{"program": "id"}' | run-command-on-aws-lambda` prints id's output and logs."""
    completed = run_script(console_script, stdin=b'{"program": "id"}')
    assert completed.returncode == 0
    assert completed.stdout.startswith(b"uid=")
    assert completed.stderr.decode().splitlines() == ["Running id [].", "id exited with status 0."]


def test_a_failing_command_exits_with_its_status_and_writes_the_error_body(
    console_script: str,
) -> None:
    """The child's exit status becomes the runtime's; --result - prints the error body."""
    stdin = event(program="sh", arguments=["-c", "echo oops; exit 3"])
    completed = run_script(console_script, "--result", "-", stdin=stdin)
    assert completed.returncode == 3
    lines = completed.stdout.decode().splitlines()
    assert lines[0] == "oops"
    body = json.loads(lines[1])
    assert body["errorType"] == "CommandFailed"
    assert body["exitCode"] == 3
    assert body["stackTrace"] == ["oops"]


FAILURES = [
    ({"program": "sleep", "arguments": ["30"], "timeout": 0.2}, 124, "CommandTimedOut"),
    ({"program": "id", "argument": []}, 125, "InvalidEvent"),
    ({"program": "/etc/hostname"}, 126, "PermissionDenied"),
    ({"program": "no-such-program-here"}, 127, "CommandNotFound"),
    ({"program": "sh", "arguments": ["-c", "kill -TERM $$"]}, 143, "CommandKilled"),
    ({"program": "sh", "arguments": ["-c", "kill -KILL $$"]}, 137, "CommandKilled"),
]
"""Events that fail, with local mode's exit status and error type (`--invoke` gives the same)."""


@pytest.mark.parametrize(("fields", "status", "error_type"), FAILURES)
def test_each_failure_has_its_documented_exit_status_and_error_type(
    console_script: str, fields: dict[str, object], status: int, error_type: str, tmp_path: Path
) -> None:
    """124 timed out, 125 invalid event, 126 not executable, 127 not found, 128+N signal N."""
    result = tmp_path / "result.json"
    completed = run_script(console_script, "--result", str(result), stdin=event(**fields))
    assert completed.returncode == status, completed.stderr
    body = json.loads(result.read_text())
    assert body["errorType"] == error_type
    assert body["errorMessage"] in completed.stderr.decode()
    assert b"Traceback" not in completed.stderr


def test_the_result_body_of_a_success_is_written_to_the_result_file(
    console_script: str, tmp_path: Path
) -> None:
    """--result FILE gets the documented success body."""
    result = tmp_path / "result.json"
    completed = run_script(
        console_script, "--result", str(result), stdin=event(program="echo", arguments=["hi"])
    )
    assert completed.returncode == 0
    body = json.loads(result.read_text())
    assert body["program"] == "echo"
    assert body["exitCode"] == 0
    assert body["reason"] == "exited"
    assert body["port"] is None
    assert body["output"] == "hi\n"
    assert body["outputTruncated"] is False
    assert isinstance(body["durationMs"], int)


def test_the_event_can_be_given_as_an_option_or_a_file(console_script: str, tmp_path: Path) -> None:
    """--event JSON and --event @file.json replace standard input."""
    path = tmp_path / "event.json"
    path.write_bytes(event(program="echo", arguments=["from-file"]))
    inline = run_script(console_script, "--event", '{"program": "echo", "arguments": ["inline"]}')
    from_file = run_script(console_script, "--event", f"@{path}")
    assert (inline.returncode, inline.stdout) == (0, b"inline\n")
    assert (from_file.returncode, from_file.stdout) == (0, b"from-file\n")


def test_an_event_file_that_cannot_be_read_is_a_clear_error(
    console_script: str, tmp_path: Path
) -> None:
    """Exit 125 with a message naming the file, no traceback."""
    completed = run_script(console_script, "--event", f"@{tmp_path}/missing.json")
    assert completed.returncode == 125
    assert b"cannot read the event from" in completed.stderr
    assert b"No such file or directory" in completed.stderr
    assert b"Traceback" not in completed.stderr


def test_a_default_command_runs_on_empty_input_and_takes_the_event_arguments(
    console_script: str,
) -> None:
    """Like `ENTRYPOINT` + `CMD`: empty stdin runs it; `arguments` replaces its arguments."""
    default = run_script(console_script, "echo", "from", "cmd")
    replaced = run_script(console_script, "echo", "from", "cmd", stdin=event(arguments=["new"]))
    assert (default.returncode, default.stdout) == (0, b"from cmd\n")
    assert (replaced.returncode, replaced.stdout) == (0, b"new\n")


def test_options_after_the_default_program_belong_to_the_program(console_script: str) -> None:
    """The runtime's options come first; everything after the program is the command's."""
    completed = run_script(console_script, "echo", "--event", "x")
    assert (completed.returncode, completed.stdout) == (0, b"--event x\n")


def test_a_double_dash_allows_a_program_whose_name_starts_with_a_dash(
    console_script: str, tmp_path: Path
) -> None:
    """`-- -tool` runs a program named -tool."""
    tool = tmp_path / "-tool"
    tool.write_text("#!/bin/sh\necho dash tool\n")
    tool.chmod(0o755)
    completed = run_script(console_script, "--", "-tool", env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert (completed.returncode, completed.stdout) == (0, b"dash tool\n")


def test_an_unknown_option_is_a_usage_error_with_status_125(console_script: str) -> None:
    """Like `env` and `timeout`, the runtime's own errors exit 125."""
    completed = run_script(console_script, "--no-such-option")
    assert completed.returncode == 125
    assert b"usage:" in completed.stderr


@pytest.mark.parametrize(
    ("option", "meant"), [("--serv", "--serve"), ("--res", "--result"), ("--even", "--event")]
)
def test_an_abbreviated_option_is_refused_and_the_options_are_named(
    console_script: str, option: str, meant: str
) -> None:
    """No prefix matching: `--serv` starts no server; the error names the options."""
    completed = run_script(console_script, option, "x", "id", stdin=event(program="true"))
    stderr = completed.stderr.decode()
    assert completed.returncode == 125
    assert f"unknown option {option}. Did you mean {meant}?" in stderr
    named = stderr.rpartition("The options are")[2]
    assert all(name in named for name in ("--event", "--result", "--serve", "--version"))
    assert "Running" not in stderr


def test_version_prints_the_installed_version_and_exits_0(console_script: str) -> None:
    """`--version` prints the distribution's version on stdout, like any CLI."""
    completed = run_script(console_script, "--version")
    assert completed.returncode == 0
    name, version = completed.stdout.decode().split()
    assert name == "run-command-on-aws-lambda"
    assert version[0].isdigit()
    assert completed.stderr == b""


def test_an_invalid_setting_is_reported_and_exits_125(console_script: str) -> None:
    """A bad RUN_COMMAND_GRACE_SECONDS is named before anything runs."""
    completed = run_script(
        console_script, stdin=event(program="id"), env={"RUN_COMMAND_GRACE_SECONDS": "soon"}
    )
    assert completed.returncode == 125
    assert b"RUN_COMMAND_GRACE_SECONDS" in completed.stderr
    assert completed.stdout == b""


def test_log_lines_never_show_environment_values(console_script: str) -> None:
    """The runtime logs the command, not the secrets passed to it."""
    stdin = event(program="true", environment={"DB_PASSWORD": "canary-3141"})
    completed = run_script(console_script, stdin=stdin)
    assert completed.returncode == 0
    assert b"canary-3141" not in completed.stderr + completed.stdout


def test_python_dash_m_is_the_same_program(console_python: str) -> None:
    """`python -m run_command_on_aws_lambda` works like the console script."""
    completed = subprocess.run(
        [console_python, "-m", "run_command_on_aws_lambda", "--event", '{"program": "true"}'],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0
    assert completed.stderr.decode().splitlines()[-1] == "true exited with status 0."


def test_an_interrupt_while_the_event_is_still_awaited_exits_cleanly(console_script: str) -> None:
    """SIGINT before the event is complete: exit 130, no traceback."""
    process = subprocess.Popen(
        [console_script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"},
    )
    assert process.stdin is not None
    try:
        process.stdin.write(b'{"program": ')
        process.stdin.flush()
        wait_until_catching(process.pid, signal.SIGTERM)  # after SIGINT's, before the read
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == 130
    assert b"Traceback" not in stderr
    assert stdout == b""


@pytest.mark.parametrize(("number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_command_runs_exits_128_plus_that_signal(
    console_script: str, number: signal.Signals, status: int
) -> None:
    """Ctrl-C stops the command and exits 130, as a shell and --invoke do; SIGTERM 143."""
    process = subprocess.Popen(
        [console_script, "--event", '{"program": "sh", "arguments": ["-c", "echo up; sleep 600"]}'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"},
    )
    assert process.stdout is not None
    try:
        assert process.stdout.readline() == b"up\n"
        process.send_signal(number)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == status
    assert b"was stopped because the runtime was shut down" in stderr


def wait_until_catching(pid: int, number: int, timeout: float = 30) -> None:
    """Wait until process `pid` has a handler for signal `number` (SigCgt in /proc)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(
            next(line for line in status.splitlines() if line.startswith("SigCgt:"))[7:], 16
        )
        if caught & (1 << (number - 1)):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never installed a handler for signal {number}")


def test_a_home_that_is_not_a_writable_directory_is_replaced_by_tmp(
    console_script: str, tmp_path: Path
) -> None:
    """The runtime's HOME is kept only when the child could write there; else it gets /tmp."""
    usable = tmp_path / "home"
    usable.mkdir()
    a_file = tmp_path / "file"
    a_file.write_text("")
    show_home = event(program="sh", arguments=["-c", 'printf %s "$HOME"'])
    homes = {str(usable): str(usable), str(a_file): "/tmp", str(tmp_path / "none"): "/tmp"}
    for home, expected in homes.items():
        completed = run_script(console_script, stdin=show_home, env={"HOME": home})
        assert (completed.returncode, completed.stdout.decode()) == (0, expected), home
    chosen = event(program="sh", arguments=["-c", 'printf %s "$HOME"'], environment={"HOME": "/x"})
    completed = run_script(console_script, stdin=chosen, env={"HOME": str(a_file)})
    assert completed.stdout == b"/x"  # the event's HOME is the event's business
