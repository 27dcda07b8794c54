"""End to end: the README's local-mode example, run as written with the console script on PATH."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.conftest import run_shell_example
from tests.e2e.conftest import Serve

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
    completed = run_shell_example(block, console_script, tmp_path)
    assert completed.returncode == 0, completed.stderr.decode()
    assert 'Running uname ["-a"].' in completed.stderr.decode()
    everything = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=True).stdout
    *output, body = completed.stdout.decode().splitlines()
    assert output == [everything.rstrip("\n")]
    result = json.loads(body)
    assert (result["program"], result["exitCode"], result["output"]) == ("uname", 0, everything)


def two_minute_blocks() -> list[str]:
    """The shell blocks of the README's "Try it in two minutes"."""
    text = README.read_text()
    start = text.index("## Try it in two minutes")
    section = text[start : text.index("\n## ", start + 1)]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def test_the_two_minute_path_runs_as_written(
    console_script: str, serve: Serve, tmp_path: Path
) -> None:
    """Local mode, --serve, and --invoke against it with no AWS configuration at all.

    Only the address changes: the README says 127.0.0.1:9000, the test serves on a free port.
    """
    install, here, remote = two_minute_blocks()
    assert "pip install '.[client]'" in install  # boto3, which the test environment has
    local, serve_line = here.strip().splitlines()
    assert serve_line.split("#")[0].split() == ["run-command-on-aws-lambda", "--serve"]
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PATH": f"{Path(console_script).parent}:{os.environ['PATH']}",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def bash(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", code],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=120,
            check=False,
        )

    ran = bash(local)
    uname = subprocess.run(["uname", "-s"], capture_output=True, text=True, check=True).stdout
    assert (ran.returncode, ran.stdout) == (0, uname)
    served = serve()
    invoked = bash(remote.replace("http://127.0.0.1:9000", served.endpoint))
    assert invoked.stdout == "hello\n3\n", invoked.stderr
    assert invoked.stderr == "sh exited with status 3.\n"
    log = served.stdout.read_text()
    for line in ("START RequestId:", 'Running sh ["-c", "echo hello; exit 3"].', "END", "REPORT"):
        assert line in log
