"""The built image in local mode: `docker run -i image < event.json`, as the README runs it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import LAMBDA_LIKE, docker_run
from .engine import Engine

PLAIN: tuple[str, ...] = ()
SANDBOXES = pytest.mark.parametrize("sandbox", [PLAIN, LAMBDA_LIKE], ids=["plain", "lambda-like"])


def run_with_result(
    engine: Engine, image: str, event: object, sandbox: tuple[str, ...]
) -> tuple[int, str, Any]:
    """Run with the runtime's `--result -` (the README's way to see the body): the exit status,
    the command's output and the result or error body, which tells the runtime's statuses from
    docker's own 125, 126 and 127."""
    completed = docker_run(engine, image, event, *sandbox, arguments=("--result", "-"))
    *output, result = completed.stdout.decode().splitlines(keepends=True)
    assert b"Traceback" not in completed.stderr, completed.stderr.decode()
    return completed.returncode, "".join(output), json.loads(result)


def test_the_readme_example_runs_id_and_exits_zero(engine: Engine, image: str) -> None:
    """`echo '{"program": "id"}' | docker run -i image` prints root's id and exits 0."""
    completed = docker_run(engine, image, {"program": "id"})
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "uid=0(root) gid=0(root) groups=0(root)\n"
    assert completed.stderr.decode().splitlines() == ["Running id [].", "id exited with status 0."]


def test_a_failing_command_gives_docker_run_its_exit_status(engine: Engine, image: str) -> None:
    """Without any option, `docker run -i` exits with the command's own status."""
    completed = docker_run(engine, image, {"program": "sh", "arguments": ["-c", "exit 3"]})
    assert completed.returncode == 3, completed.stderr.decode()
    assert "sh exited with status 3." in completed.stderr.decode()


@SANDBOXES
@pytest.mark.parametrize(
    ("event", "status", "error_type"),
    [
        ({"program": "sh", "arguments": ["-c", "echo oops; exit 3"]}, 3, "CommandFailed"),
        ({"program": "sleep", "arguments": ["30"], "timeout": 0.5}, 124, "CommandTimedOut"),
        ({"program": "id", "argument": []}, 125, "InvalidEvent"),
        ({"program": "/etc/hostname"}, 126, "PermissionDenied"),
        ({"program": "no-such-program-here"}, 127, "CommandNotFound"),
        ({"program": "python3", "arguments": ["--version"]}, 127, "CommandNotFound"),
        ({"program": "sh", "arguments": ["-c", "kill -TERM $$"]}, 143, "CommandKilled"),
        ({"program": "sh", "arguments": ["-c", "kill -KILL $$"]}, 137, "CommandKilled"),
    ],
    ids=[
        "failed",
        "timed-out",
        "invalid",
        "not-executable",
        "not-found",
        "no-python",
        "sigterm",
        "sigkill",
    ],
)
def test_each_outcome_has_the_exit_status_of_the_outcome_table(
    engine: Engine,
    image: str,
    *,
    sandbox: tuple[str, ...],
    event: dict[str, object],
    status: int,
    error_type: str,
) -> None:
    """3, 124, 125, 126, 127 and 128+N come out of `docker run` with the documented error body."""
    # "no-python": the image has none, the standalone build needs none.
    returned, _, body = run_with_result(engine, image, event, sandbox)
    assert (returned, body["errorType"]) == (status, error_type), body


@SANDBOXES
def test_a_success_has_the_result_body(
    engine: Engine, image: str, sandbox: tuple[str, ...]
) -> None:
    """Exit status 0, the command's output on stdout and in the result body."""
    event = {"program": "echo", "arguments": ["from", "the image"]}
    status, output, body = run_with_result(engine, image, event, sandbox)
    assert (status, output) == (0, "from the image\n")
    assert (body["exitCode"], body["reason"], body["output"]) == (0, "exited", output)


def test_the_lambda_like_run_is_an_unprivileged_user_on_a_read_only_root(
    engine: Engine, image: str
) -> None:
    """uid 993 gid 990 with no passwd entry; the root is read-only, /tmp is writable."""
    script = "id; touch /opt/probe 2>/dev/null && echo root-writable; touch /tmp/probe && echo tmp"
    event = {"program": "sh", "arguments": ["-c", script]}
    completed = docker_run(engine, image, event, *LAMBDA_LIKE)
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "uid=993 gid=990 groups=990\ntmp\n"


def test_a_command_can_write_to_home_in_the_lambda_like_run(engine: Engine, image: str) -> None:
    """The command gets a HOME it can write to (/tmp), as on Lambda, where Docker sets HOME=/."""
    # Docker's HOME=/ (the user has no passwd entry) is on the read-only root: tools that keep
    # files in HOME (dotnet, git, ssh, the AWS CLI) would fail here and not on Lambda.
    script = 'echo kept > "$HOME/.probe" && cat "$HOME/.probe" && echo "$HOME"'
    event = {"program": "sh", "arguments": ["-c", script]}
    completed = docker_run(engine, image, event, *LAMBDA_LIKE)
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode() == "kept\n/tmp\n"
