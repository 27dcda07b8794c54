"""End to end: the installed console script in local mode, as a real process."""

from __future__ import annotations

import json

from tests.conftest import run_script


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
    event = {"program": "sh", "arguments": ["-c", "echo oops; exit 3"]}
    completed = run_script(console_script, "--result", "-", stdin=json.dumps(event).encode())
    assert completed.returncode == 3
    lines = completed.stdout.decode().splitlines()
    assert lines[0] == "oops"
    body = json.loads(lines[1])
    assert body["errorType"] == "CommandFailed"
    assert body["exitCode"] == 3
    assert body["stackTrace"] == ["oops"]
