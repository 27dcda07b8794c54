"""App: Terraform-shaped events through the serving loop, the guard and the handler."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from run_command_on_aws_lambda import handler, judge, plan_from_event, run
from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.idempotency.memory import MemoryStore
from run_command_on_aws_lambda.adapters.wire import encode_verdict
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict
from run_command_on_aws_lambda.domain.result import Ending
from tests.app.conftest import Loop
from tests.app.test_handler import Context
from tests.app.test_idempotency_loop import GuardedLoop

SCRIPT = 'echo "$1 $RUN_COMMAND_TERRAFORM_ACTION"'
INPUT: dict[str, Any] = {
    "program": "sh",
    "arguments": ["-c", SCRIPT, "sh", "up"],
    "onDelete": {"arguments": ["-c", SCRIPT, "sh", "down"]},
}


def crud(action: str, input_: dict[str, Any] = INPUT, key: str = "tf") -> dict[str, Any]:
    """The event aws_lambda_invocation sends for `action` with lifecycle_scope = "CRUD"."""
    previous = {"create": None, "update": {**input_, "arguments": ["-c", "exit 9"]}}
    return {**input_, key: {"action": action, "prev_input": previous.get(action, input_)}}


def output(verdict: Verdict) -> bytes:
    assert isinstance(verdict, Success), verdict
    return verdict.result.output


def test_each_action_runs_its_command_with_the_action_in_its_environment(loop: Loop) -> None:
    """create and update run the event's command, delete its onDelete; each sees the action."""
    verdicts = loop.serve(crud("create"), crud("update"), crud("delete"))
    assert [output(verdict) for verdict in verdicts] == [
        b"up create\n",
        b"up update\n",
        b"down delete\n",
    ]


def test_a_delete_without_on_delete_runs_nothing_and_succeeds(
    loop: Loop, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing starts; the verdict is a success whose reason and log line say why."""
    caplog.set_level(logging.INFO)
    event = crud("delete", {"program": "sh", "arguments": ["-c", "echo ran"]})
    (verdict,) = loop.serve(event)
    assert isinstance(verdict, Success)
    assert verdict.result.ending is Ending.NOTHING_TO_RUN
    assert loop.stdout == b""
    said = 'Terraform action "delete": the event has no "onDelete", so nothing was run.'
    assert caplog.messages == [said]
    assert b'"reason": "nothing-to-run"' in encode_verdict(verdict)


def test_a_streamed_delete_without_on_delete_ends_its_stream_empty(loop: Loop) -> None:
    """The caller of a stream reads the output: there is none, and the stream ends as a success."""
    event = crud("delete", {"program": "true", "stream": True})
    (verdict,) = loop.serve(event, streaming=True)
    assert isinstance(verdict, Success)
    assert loop.transport is not None
    (report,) = loop.transport.reports
    assert report.stream is not None
    assert report.stream.begun
    assert report.stream.data == b""


def test_on_delete_without_the_terraform_key_is_ignored_with_one_log_line(
    loop: Loop, caplog: pytest.LogCaptureFixture
) -> None:
    """CREATE_ONLY scope: the event's command runs, without the action variable."""
    caplog.set_level(logging.INFO)
    (verdict,) = loop.serve(INPUT)
    assert output(verdict) == b"up \n"
    ignored = [message for message in caplog.messages if "onDelete" in message]
    assert ignored == [
        'The event has "onDelete" but no Terraform key "tf": "onDelete" is ignored '
        '(it runs on a Terraform delete, with lifecycle_scope = "CRUD").'
    ]


def test_a_renamed_terraform_key_is_read_from_the_settings(loop: Loop) -> None:
    """RUN_COMMAND_TERRAFORM_KEY=lifecycle: that key holds the action, and tf is unknown."""
    settings = Settings(grace=0.5, search_path=os.environ["PATH"], terraform_key="lifecycle")
    renamed, default = loop.serve(
        crud("delete", key="lifecycle"), crud("delete"), settings=settings
    )
    assert output(renamed) == b"down delete\n"
    assert isinstance(default, Failure)
    assert default.error_type is ErrorType.INVALID_EVENT
    assert "Unknown field 'tf' in the event." in default.message


def test_an_invalid_terraform_key_is_an_invalid_event_and_nothing_runs(loop: Loop) -> None:
    """The message names the field; the loop goes on to the next event."""
    bad = {**INPUT, "tf": {"action": "destroy", "prev_input": None}}
    refused, ran = loop.serve(bad, crud("create"))
    assert isinstance(refused, Failure)
    assert refused.error_type is ErrorType.INVALID_EVENT
    assert '"tf.action"' in refused.message
    assert loop.stdout == b"up create\n"
    assert output(ran) == b"up create\n"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[GuardedLoop]:
    devnull = os.open(os.devnull, os.O_WRONLY)
    yield GuardedLoop(MemoryStore(), tmp_path / "runs", ProcessExecutor(stdout=devnull))
    os.close(devnull)


def guarded_crud(loop: GuardedLoop, action: str, *, on_delete: bool = True) -> dict[str, Any]:
    """A keyed CRUD event whose every run appends its action to `runs`."""
    script = f'echo "$RUN_COMMAND_TERRAFORM_ACTION" >> "{loop.runs}"'
    input_: dict[str, Any] = {"program": "sh", "arguments": ["-c", script]}
    if on_delete:
        input_["onDelete"] = {"environment": {"DOWN": "1"}}
    return {**crud(action, input_), "idempotencyKey": "migrate-4.2"}


def test_a_delete_with_the_creates_key_runs_and_is_never_the_creates_replay(
    guarded: GuardedLoop,
) -> None:
    """Each action is its own intent under one key; a retried delete replays the delete."""
    create, delete, retry = guarded.serve(
        guarded_crud(guarded, "create"),
        guarded_crud(guarded, "delete"),
        guarded_crud(guarded, "delete"),
    )
    assert guarded.runs.read_text() == "create\ndelete\n"
    assert all(isinstance(verdict, Success) for verdict in (create, delete, retry))
    assert encode_verdict(retry) == encode_verdict(delete)
    assert set(guarded.store.records) == {"migrate-4.2#create", "migrate-4.2#delete"}


def test_a_guarded_delete_without_on_delete_claims_nothing(guarded: GuardedLoop) -> None:
    """Nothing runs, so there is nothing to run once: the store is not touched."""
    guarded.store.unavailable = True
    (verdict,) = guarded.serve(guarded_crud(guarded, "delete", on_delete=False))
    assert isinstance(verdict, Success)
    assert verdict.result.ending is Ending.NOTHING_TO_RUN
    assert guarded.store.records == {}


def test_the_managed_runtimes_handler_runs_each_action_too() -> None:
    """handler(event, context): onDelete on a delete, and the nothing-to-run body without it."""
    body = handler(crud("delete"), Context())
    assert body["output"] == "down delete\n"
    nothing = handler(crud("delete", {"arguments": ["x"]}), Context())
    assert (nothing["reason"], nothing["program"]) == ("nothing-to-run", None)


def test_the_library_runs_what_a_plan_says(tmp_path: Path) -> None:
    """plan_from_event, then run: the library's own path to each action's command."""
    out = tmp_path / "out"
    default = CommandSpec(program="sh")
    with out.open("wb") as sink:
        plan = plan_from_event(crud("delete", {"onDelete": INPUT["onDelete"]}), default)
        assert plan.command is not None
        result = run(plan.command, stdout=sink.fileno())
    assert isinstance(judge(result), Success)
    assert out.read_bytes() == b"down delete\n"
