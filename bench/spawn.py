"""Bench: what starting and waiting for `true` costs, by the way it is started (bench.spawn).

`python -m bench.spawn`, in this process, interleaved in rounds: `os.posix_spawn` + read to
the end + `waitpid` (the floor's way, one pipe); `subprocess.Popen` with our executor's
arguments, read and waited for the same way (the difference is the way of starting);
the same Popen with two pipes and `communicate()`; our `ProcessExecutor.execute` (that Popen
plus the supervision loop). Medians in microseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.executor.shutdown_signal import ShutdownSignal
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan

TRUE = "/bin/true"
ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"}


def posix_spawn() -> None:
    read_end, write_end = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, write_end, 1), (os.POSIX_SPAWN_DUP2, write_end, 2)]
    pid = os.posix_spawn(TRUE, ["true"], ENVIRONMENT, file_actions=actions, setsid=True)
    os.close(write_end)
    while os.read(read_end, 65536):
        pass
    os.close(read_end)
    os.waitpid(pid, 0)


def popen_one_pipe() -> None:
    process = subprocess.Popen(
        ["true"],
        executable=TRUE,
        env=dict(ENVIRONMENT),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        bufsize=0,
    )
    assert process.stdout is not None
    while process.stdout.read(65536):
        pass
    process.stdout.close()
    process.wait()


def popen() -> None:
    process = subprocess.Popen(
        ["true"],
        executable=TRUE,
        env=dict(ENVIRONMENT),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    process.communicate()


def our_executor() -> Callable[[], object]:
    sink = os.open(os.devnull, os.O_WRONLY)
    executor = ProcessExecutor(
        stdout=sink, stderr=sink, search_path=ENVIRONMENT["PATH"], shutdown=ShutdownSignal()
    )
    spec = CommandSpec(program="true")
    return lambda: executor.execute(
        spec, environment=ENVIRONMENT, stop=StopPlan.plan(now=time.monotonic(), grace=3.0)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spawn", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, metavar="N")
    parser.add_argument("--per-round", type=int, default=50, metavar="N")
    options = parser.parse_args(argv)
    ways: dict[str, Callable[[], object]] = {
        "os.posix_spawn + waitpid (the floor)": posix_spawn,
        "subprocess.Popen, one pipe read to the end, wait": popen_one_pipe,
        "subprocess.Popen as our executor calls it, communicate()": popen,
        "our ProcessExecutor.execute (Popen + supervision)": our_executor(),
    }
    timings: dict[str, list[int]] = {name: [] for name in ways}
    for _ in range(options.rounds):
        for name, way in ways.items():
            for _ in range(options.per_round):
                began = time.perf_counter_ns()
                way()
                timings[name].append(time.perf_counter_ns() - began)
    print("| start and wait for `true` | median (us) |\n|---|---:|")
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values) / 1000:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
