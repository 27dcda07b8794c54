"""End to end: Terraform-shaped events (lifecycle_scope = "CRUD") in local mode, Lambda mode,
and `--invoke` against `--serve`, with the console script as a real process."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_script, run_shell_example
from tests.e2e.conftest import Serve
from tests.e2e.test_invoke import event_option, invoke
from tests.fake_runtime_api import FakeRuntimeApi
from tests.lambda_clients import invoke_with_boto3
from tests.runtime_process import RuntimeProcess

DONE_WHEN = (
    """echo '{"arguments": ["-c", "echo up"], "onDelete": {"arguments": ["-c", "echo down """
    """$RUN_COMMAND_TERRAFORM_ACTION"]}, "tf": {"action": "delete", "prev_input": {}}}' """
    "| run-command-on-aws-lambda sh"
)
DOCS = Path(__file__).parents[2] / "docs"
TERRAFORM_DOC = DOCS / "terraform.md"
SCRIPT = 'echo "$0 $RUN_COMMAND_TERRAFORM_ACTION"'
INPUT: dict[str, Any] = {
    "arguments": ["-c", SCRIPT, "up"],
    "onDelete": {"arguments": ["-c", SCRIPT, "down"]},
}
NOTHING_RUN = 'Terraform action "delete": the event has no "onDelete", so nothing was run.'


def crud(action: str, input_: dict[str, Any] = INPUT, key: str = "tf") -> dict[str, Any]:
    """The event aws_lambda_invocation sends for `action` with lifecycle_scope = "CRUD"."""
    previous = {"create": None, "update": {**input_, "arguments": ["-c", "echo old"]}}
    return {**input_, key: {"action": action, "prev_input": previous.get(action, input_)}}


def without_on_delete(event: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name != "onDelete"}


def test_the_issues_done_when_command_prints_down_delete(
    console_script: str, tmp_path: Path
) -> None:
    """The shell line of "Done when", as written (and as docs/terraform.md shows it)."""
    assert DONE_WHEN in TERRAFORM_DOC.read_text()
    completed = run_shell_example(DONE_WHEN, console_script, tmp_path)
    assert (completed.returncode, completed.stdout) == (0, b"down delete\n"), completed.stderr


def test_the_librarys_plan_example_runs_on_delete(console_python: str, tmp_path: Path) -> None:
    """docs/library.md's plan_from_event example, as written: onDelete's output, then Success."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "library.md").read_text(), re.DOTALL)
    (example,) = [block for block in blocks if "plan_from_event" in block]
    completed = subprocess.run(
        [console_python, "-c", example], capture_output=True, cwd=tmp_path, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == b"down delete\ndelete Success\n"


@pytest.mark.parametrize(
    ("action", "output"),
    [("create", b"up create\n"), ("update", b"up update\n"), ("delete", b"down delete\n")],
)
def test_local_mode_runs_what_each_action_says(
    console_script: str, action: str, output: bytes
) -> None:
    """create and update run the event's command, delete its onDelete; each exits 0."""
    completed = run_script(console_script, "sh", stdin=json.dumps(crud(action)).encode())
    assert (completed.returncode, completed.stdout) == (0, output), completed.stderr


def test_local_mode_runs_nothing_for_a_delete_without_on_delete(console_script: str) -> None:
    """Exit 0; the log says why, and --result - prints the nothing-to-run body."""
    event = json.dumps(without_on_delete(crud("delete"))).encode()
    completed = run_script(console_script, "--result", "-", "sh", stdin=event)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.decode().splitlines() == [NOTHING_RUN]
    body = json.loads(completed.stdout)
    assert (body["reason"], body["program"], body["message"]) == (
        "nothing-to-run",
        None,
        NOTHING_RUN,
    )


def test_local_mode_reads_a_renamed_key(console_script: str) -> None:
    """RUN_COMMAND_TERRAFORM_KEY names the field that aws_lambda_invocation's terraform_key set."""
    event = json.dumps(crud("delete", key="lifecycle")).encode()
    env = {"RUN_COMMAND_TERRAFORM_KEY": "lifecycle"}
    completed = run_script(console_script, "sh", stdin=event, env=env)
    assert (completed.returncode, completed.stdout) == (0, b"down delete\n"), completed.stderr


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"tf": {"action": "destroy", "prev_input": None}}, '"tf.action" must be one of'),
        ({"tf": "delete"}, '"tf" must be an object'),
        ({"onDelete": {"argument": []}}, "Unknown field 'argument' in \"onDelete\"."),
    ],
)
def test_local_mode_refuses_an_invalid_shape_with_125_and_the_field(
    console_script: str, event: dict[str, Any], message: str
) -> None:
    """An InvalidEvent: nothing runs, exit 125, the message names the field."""
    completed = run_script(console_script, "sh", "-c", "echo ran", stdin=json.dumps(event).encode())
    assert (completed.returncode, completed.stdout) == (125, b"")
    assert message in completed.stderr.decode()
    assert b"Traceback" not in completed.stderr


def test_an_invalid_key_setting_is_a_configuration_error(console_script: str) -> None:
    """RUN_COMMAND_TERRAFORM_KEY may not name one of the event's own fields: 125 at start."""
    completed = run_script(console_script, "true", env={"RUN_COMMAND_TERRAFORM_KEY": "arguments"})
    assert completed.returncode == 125
    assert "RUN_COMMAND_TERRAFORM_KEY='arguments' is not valid" in completed.stderr.decode()


def test_lambda_mode_answers_each_action_and_the_shapes_it_refuses(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """One runtime, five invocations: three runs, one run of nothing, one InvalidEvent."""
    events = [
        crud("create"),
        crud("update"),
        crud("delete"),
        without_on_delete(crud("delete")),
        {**INPUT, "tf": {"action": "delete", "prev_input": []}},
    ]
    ids = [runtime_api.enqueue(event) for event in events]
    with RuntimeProcess(console_script, runtime_api, tmp_path, "sh") as runtime:
        posts = [runtime_api.outcome(request_id) for request_id in ids]
    assert [post.kind for post in posts] == ["response"] * 4 + ["error"]
    outputs = [post.document["output"] for post in posts[:3]]
    assert outputs == ["up create\n", "up update\n", "down delete\n"]
    assert posts[3].document["reason"] == "nothing-to-run"
    assert posts[3].document["message"] == NOTHING_RUN
    assert posts[4].error_type_header == "Function.InvalidEvent"
    assert '"tf.prev_input" must be an object' in str(posts[4].document["errorMessage"])
    assert NOTHING_RUN in runtime.stderr


@pytest.mark.parametrize("mode", [(), ("--no-stream",)], ids=["streamed", "buffered"])
def test_invoke_sends_a_terraform_event_to_serve_and_exits_as_locally(
    console_script: str, serve: Serve, mode: tuple[str, ...]
) -> None:
    """--event gives tf and onDelete, the command line the command: onDelete's output, 0."""
    served = serve()
    fields = {key: value for key, value in crud("delete").items() if key != "arguments"}
    completed = invoke(
        console_script, served.endpoint, *mode, *event_option(fields), "--", "sh", "-c", "echo up"
    )
    assert (completed.returncode, completed.stdout) == (0, b"down delete\n"), completed.stderr


@pytest.mark.parametrize("mode", [(), ("--no-stream",)], ids=["streamed", "buffered"])
def test_invoke_of_a_delete_without_on_delete_prints_nothing_and_exits_0(
    console_script: str, serve: Serve, mode: tuple[str, ...]
) -> None:
    """Nothing ran, so there is no output; the invocation succeeded."""
    served = serve()
    fields = {"tf": {"action": "delete", "prev_input": {}}}
    completed = invoke(
        console_script, served.endpoint, *mode, *event_option(fields), "--", "sh", "-c", "echo up"
    )
    assert (completed.returncode, completed.stdout) == (0, b""), completed.stderr
    assert b"Traceback" not in completed.stderr


def test_serve_answers_a_plain_invoke_of_nothing_with_the_body_that_says_so(serve: Serve) -> None:
    """boto3's Invoke gets the nothing-to-run body and no function error."""
    served = serve("sh")
    invoked = invoke_with_boto3(served.client, without_on_delete(crud("delete")))
    assert invoked.function_error is None
    assert invoked.body["reason"] == "nothing-to-run"
    assert NOTHING_RUN in invoked.log
