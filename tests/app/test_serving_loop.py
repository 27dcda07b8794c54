"""App: the serving loop with the fake transport and real child processes, field by field."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict
from run_command_on_aws_lambda.domain.result import Ending
from tests.app.conftest import Loop


def only_success(verdicts: list[Verdict]) -> Success:
    assert len(verdicts) == 1
    assert isinstance(verdicts[0], Success), verdicts[0]
    return verdicts[0]


def only_failure(verdicts: list[Verdict]) -> Failure:
    assert len(verdicts) == 1
    assert isinstance(verdicts[0], Failure), verdicts[0]
    return verdicts[0]


def test_program_and_arguments_reach_the_child_and_its_output_is_kept(loop: Loop) -> None:
    """`program` is looked up on PATH; `arguments` arrive verbatim, spaces and all."""
    verdict = only_success(loop.serve({"program": "printf", "arguments": ["%s|", "a b", "--x"]}))
    assert verdict.result.output == b"a b|--x|"
    assert loop.stdout == b"a b|--x|"


def test_environment_is_set_for_the_child_over_the_runtime_environment(loop: Loop) -> None:
    """The event's variables reach the child; the runtime's PATH is still there."""
    event = {
        "program": "sh",
        "arguments": ["-c", 'echo "$GREETING:$PATH"'],
        "environment": {"GREETING": "hi"},
    }
    verdict = only_success(loop.serve(event))
    assert verdict.result.output.decode() == f"hi:{os.environ['PATH']}\n"


def test_home_is_tmp_when_nobody_sets_it(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like on Lambda, where HOME is unset."""
    monkeypatch.delenv("HOME", raising=False)
    verdict = only_success(loop.serve({"program": "sh", "arguments": ["-c", "echo $HOME"]}))
    assert verdict.result.output == b"/tmp\n"


def test_a_path_the_event_sets_is_not_used_to_find_the_program(loop: Loop, tmp_path: Path) -> None:
    """The program is looked up on the runtime's PATH; the child still gets the event's PATH."""
    impostor = tmp_path / "id"
    impostor.write_text("#!/bin/sh\necho impostor\n")
    impostor.chmod(0o755)
    verdict = only_success(loop.serve({"program": "id", "environment": {"PATH": str(tmp_path)}}))
    assert b"uid=" in verdict.result.output


def test_directory_is_the_working_directory_of_the_child(loop: Loop, tmp_path: Path) -> None:
    """`directory` is where the command runs."""
    verdict = only_success(loop.serve({"program": "pwd", "directory": str(tmp_path)}))
    assert verdict.result.output.decode().strip() == str(tmp_path)


def test_a_directory_that_does_not_exist_is_an_invalid_event(loop: Loop, tmp_path: Path) -> None:
    """Nothing is started; the error names the directory."""
    failure = only_failure(loop.serve({"program": "pwd", "directory": str(tmp_path / "nope")}))
    assert failure.error_type is ErrorType.INVALID_EVENT
    assert "does not exist" in failure.message


def test_input_is_written_to_stdin_which_is_then_closed(loop: Loop) -> None:
    """`cat` ends because its stdin closes after the input."""
    verdict = only_success(loop.serve({"program": "cat", "input": "line one\nline two"}))
    assert verdict.result.output == b"line one\nline two"


def test_without_input_stdin_is_empty_not_inherited(loop: Loop) -> None:
    """A command reading stdin sees end-of-file at once."""
    verdict = only_success(loop.serve({"program": "wc", "arguments": ["-c"]}))
    assert verdict.result.output.strip() == b"0"


def test_a_timeout_stops_the_command_and_reports_command_timed_out(loop: Loop) -> None:
    """`timeout` bounds the run: the command is stopped, the error says so."""
    failure = only_failure(loop.serve({"program": "sleep", "arguments": ["30"], "timeout": 0.3}))
    assert failure.error_type is ErrorType.COMMAND_TIMED_OUT
    assert failure.result is not None
    assert failure.result.duration_ms < 5000


def test_a_port_that_opens_makes_the_command_successful(loop: Loop) -> None:
    """The first listed port that accepts a connection wins; the command is then stopped."""
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        port = finder.getsockname()[1]
    server = (
        "import socket, time; s = socket.socket(); "
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
        f"s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)"
    )
    event = {"program": "python3", "arguments": ["-c", server], "ports": [port], "timeout": 30}
    verdict = only_success(loop.serve(event))
    assert verdict.result.ending is Ending.PORT_READY
    assert verdict.result.port == port
    assert verdict.result.duration_ms < 20_000


def test_a_non_zero_exit_is_command_failed_with_the_output_as_stack_trace(loop: Loop) -> None:
    """The last lines of output explain the failure."""
    failure = only_failure(
        loop.serve({"program": "sh", "arguments": ["-c", "echo one; echo two >&2; exit 4"]})
    )
    assert failure.error_type is ErrorType.COMMAND_FAILED
    assert failure.message == "sh exited with status 4."
    assert failure.stack_trace == ("one", "two")
    assert loop.stdout == b"one\n"
    assert loop.stderr == b"two\n"


def test_a_command_killed_by_a_signal_is_command_killed(loop: Loop) -> None:
    """A child that dies of SIGKILL is reported with the signal."""
    failure = only_failure(loop.serve({"program": "sh", "arguments": ["-c", "kill -9 $$"]}))
    assert failure.error_type is ErrorType.COMMAND_KILLED
    assert failure.result is not None
    assert failure.result.signal == 9


def test_a_missing_program_is_command_not_found(loop: Loop) -> None:
    """Nothing to run: CommandNotFound, naming where it was looked for."""
    failure = only_failure(loop.serve({"program": "no-such-program-here"}))
    assert failure.error_type is ErrorType.COMMAND_NOT_FOUND
    assert "not on PATH" in failure.message


def test_a_file_that_is_not_executable_is_permission_denied(loop: Loop, tmp_path: Path) -> None:
    """It exists, but cannot be executed."""
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    failure = only_failure(loop.serve({"program": str(script)}))
    assert failure.error_type is ErrorType.PERMISSION_DENIED


def test_the_loop_answers_every_invocation_in_order_even_after_bad_ones(loop: Loop) -> None:
    """Invalid events are answered too, and the next event is still served."""
    verdicts = loop.serve(
        b"not json",
        {"program": "true"},
        {"program": "true", "argument": []},
        [],
        {"program": "false"},
        {"program": "true"},
    )
    kinds = [v.error_type if isinstance(v, Failure) else "ok" for v in verdicts]
    assert kinds == [
        ErrorType.INVALID_EVENT,
        "ok",
        ErrorType.INVALID_EVENT,
        ErrorType.INVALID_EVENT,
        ErrorType.COMMAND_FAILED,
        "ok",
    ]


def test_the_default_command_runs_for_an_empty_event_and_takes_new_arguments(loop: Loop) -> None:
    """Like an image's CMD: {} runs it, `arguments` replaces its arguments."""
    settings = Settings(
        default_command=CommandSpec(program="echo", arguments=("default",)),
        grace=0.5,
        search_path=os.environ["PATH"],
    )
    first, second = loop.serve({}, {"arguments": ["given"]}, settings=settings)
    assert isinstance(first, Success)
    assert isinstance(second, Success)
    assert first.result.output == b"default\n"
    assert second.result.output == b"given\n"


def test_the_request_id_reaches_the_child(loop: Loop) -> None:
    """RUN_COMMAND_REQUEST_ID names the invocation the child runs for."""
    verdict = only_success(
        loop.serve({"program": "sh", "arguments": ["-c", "echo $RUN_COMMAND_REQUEST_ID"]})
    )
    assert verdict.result.output == b"fake-1\n"


def test_output_is_bounded_to_the_last_4096_bytes(loop: Loop) -> None:
    """The result keeps the tail; the logs get everything."""
    script = "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done"
    verdict = only_success(loop.serve({"program": "sh", "arguments": ["-c", script]}))
    assert verdict.result.output_truncated
    assert len(verdict.result.output) == 4096
    assert verdict.result.output.endswith(b"line1999\n")
    assert loop.stdout.startswith(b"line0\nline1\n")
