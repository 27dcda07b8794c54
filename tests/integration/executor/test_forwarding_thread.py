"""One ProcessExecutor forwards every command's output with one thread, and leaks nothing."""

from __future__ import annotations

import os
import threading

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.app.api import run
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from tests.integration.conftest import Supervised


def usage() -> tuple[int, int]:
    """This process's threads and open fds."""
    return threading.active_count(), len(os.listdir("/proc/self/fd"))


def test_commands_on_one_executor_leave_no_thread_or_fd_behind(supervised: Supervised) -> None:
    """After the first command, more commands add no thread and no fd; once the executor is
    gone, its forwarding thread and what it used are gone too."""
    before = usage()
    executor = ProcessExecutor(stdout=supervised.stdout, stderr=supervised.stderr)
    spec = CommandSpec(program="sh", arguments=("-c", "echo out; echo err >&2; exit 3"))
    results = [executor.execute(spec, environment=supervised.environment, stop=StopPlan())]
    after_first = usage()
    for _ in range(20):
        results.append(executor.execute(spec, environment=supervised.environment, stop=StopPlan()))
    after_all = usage()
    del executor
    assert after_all == after_first
    assert usage() == before
    assert all(result.returncode == 3 for result in results)
    assert all(sorted(result.output.splitlines()) == [b"err", b"out"] for result in results)
    assert supervised.forwarded() == (b"out\n" * 21, b"err\n" * 21)


def test_the_library_run_leaves_no_thread_or_fd_behind(supervised: Supervised) -> None:
    """`run()` makes an executor of its own: nothing of it survives the call."""
    before = usage()
    spec = CommandSpec(program="sh", arguments=("-c", "echo hello"))
    result = run(spec, stdout=supervised.stdout, stderr=supervised.stderr)
    assert usage() == before
    assert result.output == b"hello\n"


def test_a_second_command_starts_while_the_first_still_prints(supervised: Supervised) -> None:
    """Two commands at once on one executor (two threads calling it): each gets its own
    output, whole, in its result and on the runtime's stdout."""
    executor = ProcessExecutor(stdout=supervised.stdout, stderr=supervised.stderr)
    flag = supervised.stdout_path.parent / "second-done"
    first = CommandSpec(
        program="sh",
        arguments=("-c", f"echo first; while [ ! -e {flag} ]; do sleep 0.01; done; echo again"),
    )
    second = CommandSpec(program="sh", arguments=("-c", f"echo second; touch {flag}"))
    outputs: list[bytes] = []
    runner = threading.Thread(
        target=lambda: outputs.append(
            executor.execute(first, environment=supervised.environment, stop=StopPlan()).output
        )
    )
    runner.start()
    try:
        result = executor.execute(second, environment=supervised.environment, stop=StopPlan())
    finally:
        flag.touch()
        runner.join()
    assert result.output == b"second\n"
    assert outputs == [b"first\nagain\n"]
    assert sorted(supervised.forwarded()[0].splitlines()) == [b"again", b"first", b"second"]


def test_a_forked_child_runs_commands_on_the_executor_it_inherited(
    supervised: Supervised,
) -> None:
    """After fork() the parent's forwarding thread is not in the child: the child's commands
    still get their output, and the parent's next command too."""
    executor = ProcessExecutor(stdout=supervised.stdout, stderr=supervised.stderr)
    spec = CommandSpec(program="sh", arguments=("-c", "echo $$"))
    environment = supervised.environment
    first = executor.execute(spec, environment=environment, stop=StopPlan())
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        try:
            result = executor.execute(spec, environment=environment, stop=StopPlan())
            os._exit(0 if result.output.strip().isdigit() else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    last = executor.execute(spec, environment=environment, stop=StopPlan())
    assert os.waitstatus_to_exitcode(status) == 0
    assert first.output.strip().isdigit()
    assert last.output.strip().isdigit()
