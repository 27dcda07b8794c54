"""The standalone build in a Lambda-like tree with no Python: local mode, one event on stdin."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

from .conftest import Sandbox
from .rootfs import SANDBOX_GID, SANDBOX_UID, SANDBOX_USER, python_names
from .standalone import REPOSITORY

LAMBDA_ID = f"uid={SANDBOX_UID}({SANDBOX_USER}) gid={SANDBOX_GID} groups={SANDBOX_GID}"


def run_event(sandbox: Sandbox, event: dict[str, Any], **env: str) -> tuple[int, str, Any]:
    """Run one event with `--result -`: the exit status, the child's output, the result body."""
    completed = sandbox.runtime("--result", "-", stdin=json.dumps(event).encode(), env=env)
    *output, result = completed.stdout.decode().splitlines(keepends=True)
    return completed.returncode, "".join(output), json.loads(result)


def test_the_tree_has_no_python_outside_the_build(sandbox: Sandbox) -> None:
    """Nothing in the tree is named python, bar the build's embedded interpreter library."""
    assert python_names(sandbox.root) == []
    assert (sandbox.root / "bin" / "sh").is_symlink()  # the tree is there, with busybox in it


def test_no_python_can_be_run_inside(sandbox: Sandbox) -> None:
    """Asked for python3, the runtime in the sandbox reports CommandNotFound with status 127."""
    status, _, body = run_event(sandbox, {"program": "python3", "arguments": ["--version"]})
    assert status == 127
    assert body["errorType"] == "CommandNotFound"


def test_id_runs_as_lambdas_unprivileged_sandbox_user(sandbox: Sandbox) -> None:
    """The seed's README example: `id` prints the sandbox user and the result body says so."""
    completed = sandbox.runtime("--result", "-", stdin=b'{"program": "id"}')
    assert completed.returncode == 0
    output, result = completed.stdout.decode().splitlines()
    assert output == LAMBDA_ID
    body = json.loads(result)
    assert body["exitCode"] == 0
    assert body["reason"] == "exited"
    assert body["output"] == LAMBDA_ID + "\n"
    assert completed.stderr.decode().splitlines() == ["Running id [].", "id exited with status 0."]


def test_df_shows_tmp_as_the_writable_tmpfs(sandbox: Sandbox) -> None:
    """The seed's README example: `df -h /tmp` runs and reports the tmpfs mounted on /tmp."""
    status, output, body = run_event(sandbox, {"program": "df", "arguments": ["-h", "/tmp"]})
    assert status == 0
    assert re.search(r"^tmpfs\s.*\s/tmp$", output, re.MULTILINE), output
    assert body["output"] == output


def test_only_tmp_is_writable_and_home_defaults_to_it(sandbox: Sandbox) -> None:
    """As on Lambda: no HOME (the child gets /tmp), /tmp writable, the rest read-only."""
    script = 'echo "HOME=$HOME"; touch "$HOME/written" && echo written; touch /opt/x 2>&1'
    status, output, body = run_event(sandbox, {"program": "sh", "arguments": ["-c", script]})
    assert output.splitlines() == [
        "HOME=/tmp",
        "written",
        "touch: /opt/x: Read-only file system",
    ]
    assert status == 1
    assert body["errorType"] == "CommandFailed"
    assert body["stackTrace"][-1] == "touch: /opt/x: Read-only file system"


def test_a_home_the_sandbox_user_cannot_write_is_replaced_by_tmp(sandbox: Sandbox) -> None:
    """HOME=/ (Docker's for a uid with no passwd entry) or read-only: the child gets /tmp.

    Unless the event sets HOME itself: then it is the event's to keep.
    """
    script = 'echo "HOME=$HOME"; touch "$HOME/written" 2>&1 && echo written'
    command = {"program": "sh", "arguments": ["-c", script]}
    for home in ("/", "/opt", "/no/such/home"):
        status, output, _ = run_event(sandbox, command, HOME=home)
        assert (status, output.splitlines()) == (0, ["HOME=/tmp", "written"]), home
    status, output, _ = run_event(sandbox, {**command, "environment": {"HOME": "/opt"}}, HOME="/")
    assert status == 1
    assert output.splitlines() == ["HOME=/opt", "touch: /opt/written: Read-only file system"]


def test_a_failing_command_exits_with_its_status_and_reports_the_error(sandbox: Sandbox) -> None:
    """A non-zero exit becomes the runtime's status and a CommandFailed error body."""
    event = {"program": "sh", "arguments": ["-c", "echo migration failed >&2; exit 3"]}
    status, _, body = run_event(sandbox, event)
    assert status == 3
    assert body["errorType"] == "CommandFailed"
    assert body["errorMessage"] == "sh exited with status 3."
    assert body["stackTrace"] == ["migration failed"]


def test_commands_get_the_environment_the_runtime_was_given(sandbox: Sandbox) -> None:
    """The build's own library path and PyInstaller's variables never reach the command."""
    _, output, _ = run_event(sandbox, {"program": "env"}, LD_LIBRARY_PATH="/opt/vendor/lib")
    variables = dict(line.split("=", 1) for line in output.splitlines())
    assert variables["LD_LIBRARY_PATH"] == "/opt/vendor/lib"
    assert not [name for name in variables if name.startswith("_PYI")]
    _, output, _ = run_event(sandbox, {"program": "env"})
    assert "LD_LIBRARY_PATH" not in dict(line.split("=", 1) for line in output.splitlines())


def test_the_build_holds_every_module_of_the_package_and_urllib3(standalone: Path) -> None:
    """Modules imported lazily (the public names, the Runtime API's urllib3) are in the build."""
    bundled = standalone / "_internal"
    sources = REPOSITORY / "src"
    modules = [
        Path("run_command_on_aws_lambda", path.relative_to(sources)).with_suffix(".pyc")
        for path in sources.rglob("*.py")
    ]
    modules += [Path("urllib3", "__init__.pyc"), Path("urllib3", "poolmanager.pyc")]
    assert [str(module) for module in modules if not (bundled / module).is_file()] == []


def test_version_prints_the_packages_version(sandbox: Sandbox) -> None:
    """The build carries the distribution's metadata: --version as from pip, exit 0."""
    completed = sandbox.runtime("--version")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.decode() == (
        f"run-command-on-aws-lambda {importlib.metadata.version('run-command-on-aws-lambda')}\n"
    )
