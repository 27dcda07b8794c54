"""What the ProcessExecutor says when a command cannot start."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ErrorType, InvalidEvent
from run_command_on_aws_lambda.domain.policy import Failure, judge
from run_command_on_aws_lambda.domain.result import Ending, ExecutionResult
from tests.integration.conftest import Supervised


def error_type(result: ExecutionResult) -> ErrorType:
    verdict = judge(result)
    assert isinstance(verdict, Failure)
    return verdict.error_type


def test_a_directory_that_does_not_exist_is_an_invalid_event(
    supervised: Supervised, tmp_path: Path
) -> None:
    """The message names the field and the directory."""
    missing = tmp_path / "nowhere"
    with pytest.raises(InvalidEvent, match=r'"directory" .*nowhere.* does not exist'):
        supervised.run(CommandSpec(program="true", directory=str(missing)))


def test_a_file_given_as_directory_is_an_invalid_event(
    supervised: Supervised, tmp_path: Path
) -> None:
    """A file is not a working directory."""
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(InvalidEvent, match="is not a directory"):
        supervised.run(CommandSpec(program="true", directory=str(file)))


def test_the_command_runs_in_the_given_directory(supervised: Supervised, tmp_path: Path) -> None:
    """`directory` is the child's working directory."""
    result = supervised.run(CommandSpec(program="pwd", directory=str(tmp_path)))
    assert result.output == f"{tmp_path}\n".encode()


def test_a_program_that_is_not_executable_is_permission_denied(
    supervised: Supervised, tmp_path: Path
) -> None:
    """The file exists but has no execute bit."""
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    result = supervised.run(CommandSpec(program=str(script)))
    assert result.ending is Ending.NOT_EXECUTABLE
    assert error_type(result) is ErrorType.PERMISSION_DENIED
    assert "permission denied" in result.detail


def test_a_missing_program_is_command_not_found(supervised: Supervised) -> None:
    """Neither a name on PATH nor a path that does not exist runs."""
    by_name = supervised.run(CommandSpec(program="no-such-program-anywhere"))
    by_path = supervised.run(CommandSpec(program="/no/such/program"))
    assert error_type(by_name) is ErrorType.COMMAND_NOT_FOUND
    assert error_type(by_path) is ErrorType.COMMAND_NOT_FOUND


def test_a_script_whose_interpreter_is_missing_is_command_not_found(
    supervised: Supervised, tmp_path: Path
) -> None:
    """The detail says that the interpreter, not the script, is missing."""
    script = tmp_path / "script"
    script.write_text("#!/no/such/interpreter\n")
    script.chmod(0o755)
    result = supervised.run(CommandSpec(program=str(script)))
    assert error_type(result) is ErrorType.COMMAND_NOT_FOUND
    assert "interpreter" in result.detail


def test_a_hundred_thousand_arguments_all_reach_the_child(supervised: Supervised) -> None:
    """100,000 short arguments fit under ARG_MAX and arrive one by one."""
    arguments = ("-c", 'echo "$# $1 $100000"', "sh", *(f"a{n}" for n in range(1, 100_001)))
    result = supervised.run(CommandSpec(program="sh", arguments=arguments))
    assert result.output == b"100000 a1 a100000\n"


def test_arguments_beyond_arg_max_are_an_invalid_event_not_a_failed_start(
    supervised: Supervised,
) -> None:
    """exec's E2BIG is the event's fault: a clear message, nothing started."""
    arguments = ("x" * 100,) * 40_000  # 4 MB, twice Linux's usual ARG_MAX
    with pytest.raises(InvalidEvent, match=r"40000 arguments .* limit of about \d+ bytes in all"):
        supervised.run(CommandSpec(program="true", arguments=arguments))


def test_one_argument_over_128_kib_is_an_invalid_event_naming_the_limit(
    supervised: Supervised,
) -> None:
    """Linux refuses any single argument (or variable) over 128 KiB, whatever the total."""
    spec = CommandSpec(program="true", arguments=("x" * 200_000,))
    with pytest.raises(InvalidEvent, match=r"one of them is 200000 bytes, over .* 131072 for each"):
        supervised.run(spec)


def test_the_child_gets_sigpipe_and_sigxfsz_back_at_their_defaults(
    supervised: Supervised,
) -> None:
    """Python ignores SIGPIPE; a command (`yes | head`) must not inherit that."""
    result = supervised.shell("grep SigIgn /proc/self/status")
    ignored = int(result.output.split()[-1], 16)
    assert ignored & (1 << (signal.SIGPIPE - 1)) == 0
    assert ignored & (1 << (signal.SIGXFSZ - 1)) == 0
