"""End to end: the README's local-mode example, run as written with the console script on PATH."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def local_examples() -> list[str]:
    """The README's shell blocks that pipe an event into the console script."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
    return [block for block in blocks if re.match(r"echo .*\| run-command-on-aws-lambda ", block)]


def test_the_default_command_example_runs_uname_with_the_events_arguments(
    console_script: str, tmp_path: Path
) -> None:
    """The event's arguments replace the default's, and `--result -` prints the result body."""
    (block,) = local_examples()
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        capture_output=True,
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"},
            "PATH": f"{Path(console_script).parent}:{os.environ['PATH']}",
        },
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert 'Running uname ["-a"].' in completed.stderr.decode()
    everything = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=True).stdout
    *output, body = completed.stdout.decode().splitlines()
    assert output == [everything.rstrip("\n")]
    result = json.loads(body)
    assert (result["program"], result["exitCode"], result["output"]) == ("uname", 0, everything)
