"""`ports`: the first port on 127.0.0.1 that accepts a connection ends the command successfully."""

from __future__ import annotations

import sys

from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import Failure, Success, judge
from run_command_on_aws_lambda.domain.result import Ending
from tests.integration.conftest import Supervised
from tests.processes import free_port, listener_script


def listener(port: int, *, delay: float, ports: tuple[int, ...], **options: float) -> CommandSpec:
    return CommandSpec(
        program=sys.executable,
        arguments=("-c", listener_script(port, delay)),
        ports=ports,
        timeout=options.get("timeout"),
    )


def test_a_port_opened_after_a_delay_is_noticed_and_the_child_stopped(
    supervised: Supervised,
) -> None:
    """A real listener opening later: success with reason port-ready and that port."""
    port = free_port()
    result = supervised.run(listener(port, delay=0.3, ports=(port,)))
    assert result.ending is Ending.PORT_READY
    assert result.port == port
    assert result.returncode == -15, "stopped by the runtime's SIGTERM"
    assert result.output == b"listening\n"
    assert isinstance(judge(result), Success)
    assert supervised.left_behind() == []


def test_the_first_listed_port_that_accepts_wins(supervised: Supervised) -> None:
    """Only the port that actually opened is reported."""
    closed, opened = free_port(), free_port()
    result = supervised.run(listener(opened, delay=0.1, ports=(closed, opened)))
    assert result.ending is Ending.PORT_READY
    assert result.port == opened


def test_a_child_exiting_before_its_port_opens_decides_by_its_status(
    supervised: Supervised,
) -> None:
    """No port ever opened: the exit status is the outcome, failure or success."""
    port = free_port()
    failed = supervised.run(
        CommandSpec(program="sh", arguments=("-c", "sleep 0.1; exit 3"), ports=(port,))
    )
    assert failed.ending is Ending.EXITED
    assert failed.returncode == 3
    assert failed.port is None
    succeeded = supervised.run(CommandSpec(program="true", ports=(port,)))
    assert isinstance(judge(succeeded), Success)
    assert succeeded.port is None


def test_a_port_that_never_opens_before_the_timeout_is_a_timeout(supervised: Supervised) -> None:
    """The command is stopped and the verdict is CommandTimedOut."""
    port = free_port()
    result = supervised.run(listener(port, delay=1000, ports=(port,), timeout=0.3))
    assert result.ending is Ending.TIMED_OUT
    verdict = judge(result)
    assert isinstance(verdict, Failure)
    assert verdict.error_type is ErrorType.COMMAND_TIMED_OUT
