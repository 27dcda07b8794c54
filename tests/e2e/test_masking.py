"""End to end: the console script masks the event's secrets in what the command prints."""

from __future__ import annotations

import json

from tests.conftest import run_script

SCRIPT = 'echo "connecting with $DB_PASSWORD"; echo "token $API_TOKEN" >&2; exit 4'
EVENT = json.dumps(
    {
        "program": "sh",
        "arguments": ["-c", SCRIPT],
        "environment": {"DB_PASSWORD": "canary-pw-2718", "API_TOKEN": "canary-tok-1618"},
    }
)


def test_secrets_never_reach_stdout_stderr_or_the_result(console_script: str) -> None:
    """The output streams, the result's stackTrace: `***` wherever a secret was printed."""
    completed = run_script(console_script, "--result", "-", "--event", EVENT)
    output, result_line = completed.stdout.decode().splitlines()
    body = json.loads(result_line)
    assert completed.returncode == 4
    assert output == "connecting with ***"
    assert b"token ***\n" in completed.stderr
    assert sorted(body["stackTrace"]) == ["connecting with ***", "token ***"]
    everything = completed.stdout + completed.stderr
    assert b"canary-pw-2718" not in everything
    assert b"canary-tok-1618" not in everything


def test_with_masking_switched_off_the_output_is_the_childs_own(console_script: str) -> None:
    """RUN_COMMAND_MASK_SECRETS=false: what the command prints passes unchanged."""
    completed = run_script(
        console_script,
        "--result",
        "-",
        "--event",
        EVENT,
        env={"RUN_COMMAND_MASK_SECRETS": "false"},
    )
    body = json.loads(completed.stdout.decode().splitlines()[-1])
    assert completed.stdout.startswith(b"connecting with canary-pw-2718\n")
    assert b"token canary-tok-1618\n" in completed.stderr
    assert "connecting with canary-pw-2718" in body["stackTrace"]
