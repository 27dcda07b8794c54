"""Benchmark: output throughput against `cat`, masking's cost, peak memory, port-ready latency.

Run from the project's root with the venv's Python: `.venv/bin/python -m bench.supervision`.
Prints one table of figures measured in this run (about 30 seconds). Figures, not assertions.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from run_command_on_aws_lambda.adapters.executor.port_probe import PortProbe
from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan

MIB = 1 << 20
GIB = 1 << 30
ROUNDS = 5
LATENCY_SAMPLES = 15
SCRIPT = "run-command-on-aws-lambda"


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_rss_kib: int = 0
    cpu_seconds: float = 0.0  # of this process (the forwarding), for the in-process executor


Writer = Callable[[int], list[str]]


def small_writes(size: int) -> list[str]:
    """A child writing `size` bytes in 4 KiB writes: one wakeup of the reader per write."""
    return ["head", "-c", str(size), "/dev/zero"]


def large_writes(size: int) -> list[str]:
    """A child writing `size` bytes in 64 KiB writes."""
    return ["dd", "if=/dev/zero", "bs=64K", f"count={size // (64 * 1024)}", "status=none"]


def log_lines(size: int) -> list[str]:
    """A child writing `size` bytes of log-like text lines, in 64 KiB writes."""
    return [sys.executable, "-c", LOG_WRITER, str(size)]


LOG_WRITER = """
import os, sys
line = b"2026-11-28T12:00:00Z INFO migrating table users: batch 1234 of 5678 done\\n"
block = (line * (65536 // len(line) + 1))[:65536]
for _ in range(int(sys.argv[1]) // len(block)):
    os.write(1, block)
"""
SECRET = b"pw-Xk29dLq0PzR7mN3vB8w"  # a value to mask that never occurs in the output
WRITERS = {"4 KiB writes (head -c)": small_writes, "64 KiB writes (dd bs=64K)": large_writes}
PATHS = ("cat", "executor", "script")


def through_cat(writer: Writer, size: int) -> Run:
    """The reference: the same bytes through a pipe and `cat` to /dev/null."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        source = subprocess.Popen(writer(size), stdout=subprocess.PIPE)
        subprocess.run(["cat"], stdin=source.stdout, stdout=sink, check=True)
        assert source.stdout is not None
        source.stdout.close()
        source.wait()
    return Run(time.perf_counter() - started)


def through_console_script(writer: Writer, size: int) -> Run:
    """The runtime as a user runs it (start-up included), stdout to /dev/null; peak RSS."""
    program, *arguments = writer(size)
    event = json.dumps({"program": program, "arguments": arguments})
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        runtime = subprocess.Popen(
            [console_script(), "--event", event], stdout=sink, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(runtime.pid, 0)
    runtime.returncode = os.waitstatus_to_exitcode(status)
    assert runtime.returncode == 0, f"the runtime failed with {runtime.returncode}"
    return Run(time.perf_counter() - started, usage.ru_maxrss)


def through_executor(writer: Writer, size: int, mask: tuple[bytes, ...] = ()) -> Run:
    """Only the forwarding path: a ProcessExecutor in this process, stdout to /dev/null."""
    program, *arguments = writer(size)
    spec = CommandSpec(program=program, arguments=tuple(arguments))
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        executor = ProcessExecutor(stdout=sink, stderr=sink)
        cpu, started = time.process_time(), time.perf_counter()
        executor.execute(spec, environment=dict(os.environ), stop=StopPlan(), mask=mask)
        return Run(time.perf_counter() - started, cpu_seconds=time.process_time() - cpu)
    finally:
        os.close(sink)


def console_script() -> str:
    beside = Path(sys.executable).parent / SCRIPT
    found = str(beside) if beside.exists() else shutil.which(SCRIPT)
    if found is None:
        sys.exit(f"{SCRIPT} is not installed: run `make test` first, then use .venv/bin/python")
    return found


MEASURES: dict[str, Callable[[Writer, int], Run]] = {
    "cat": through_cat,
    "executor": through_executor,
    "script": through_console_script,
}


def interleaved(writer: Writer, size: int) -> dict[str, list[Run]]:
    """ROUNDS runs of each path, interleaved so that they share the machine's noise."""
    runs: dict[str, list[Run]] = {path: [] for path in PATHS}
    for _ in range(ROUNDS):
        for path in PATHS:
            runs[path].append(MEASURES[path](writer, size))
    return runs


def masking_cost(size: int) -> tuple[list[Run], list[Run]]:
    """Log lines through the executor, unmasked and masked, ROUNDS times interleaved."""
    plain, masked = [], []
    for _ in range(ROUNDS):
        plain.append(through_executor(log_lines, size))
        masked.append(through_executor(log_lines, size, mask=(SECRET,)))
    return plain, masked


def print_masking_cost(size: int) -> None:
    print(f"Masking: {size // MIB} MiB of log lines, ProcessExecutor (median of {ROUNDS})")
    names = ("no value to mask", "one value to mask")
    for name, runs in zip(names, masking_cost(size), strict=True):
        seconds = median_seconds(runs)
        cpu_per_gib = statistics.median(run.cpu_seconds for run in runs) * GIB / size
        print(
            f"  {name:<18} {size / seconds / 1e9:.2f} GB/s, "
            f"CPU time of the forwarding {cpu_per_gib * 1000:.0f} ms per GiB"
        )


def median_seconds(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


LISTENER = """
import signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(float(sys.argv[2]))
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
opened = time.monotonic()
server.accept()
print(time.monotonic() - opened)
"""


def port_ready_latency(sample: int) -> float:
    """Seconds from the child's listen() to the runtime's probe connecting (shared clock)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delay = 0.1 + sample * 0.007  # a different phase against the poll schedule each time
    spec = CommandSpec(
        program=sys.executable, arguments=("-c", LISTENER, str(port), str(delay)), ports=(port,)
    )
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        result = ProcessExecutor(stdout=sink, stderr=2).execute(
            spec, environment=dict(os.environ), stop=StopPlan(grace=5)
        )
    finally:
        os.close(sink)
    assert result.port == port, result
    return float(result.output)


def throughput_row(name: str, runs: dict[str, list[Run]]) -> str:
    cat = median_seconds(runs["cat"])
    cells = [f"{GIB / cat / 1e9:.2f} GB/s"]
    for path in ("executor", "script"):
        seconds = median_seconds(runs[path])
        cells.append(f"{GIB / seconds / 1e9:.2f} GB/s = {cat / seconds:.2f}")
    return f"  {name:<26} {cells[0]:>10}   {cells[1]:>18}   {cells[2]:>18}"


def main() -> None:
    print(f"Output throughput, 1 GiB to /dev/null (median of {ROUNDS}; ratio to cat, goal >= 0.8)")
    print(f"  {'child':<26} {'cat':>10}   {'ProcessExecutor':>18}   {'console script':>18}")
    all_runs = {name: interleaved(writer, GIB) for name, writer in WRITERS.items()}
    for name, runs in all_runs.items():
        print(throughput_row(name, runs))
    cpu = [
        statistics.median(run.cpu_seconds for run in runs["executor"]) for runs in all_runs.values()
    ]
    print(
        f"  (CPU time of the forwarding itself, per GiB: {cpu[0] * 1000:.0f} ms with 4 KiB "
        f"writes, {cpu[1] * 1000:.0f} ms with 64 KiB writes)"
    )
    startup = statistics.median(through_console_script(large_writes, 0).seconds for _ in range(3))
    print(
        f"  (the console script's own start-up, running a command that prints nothing: "
        f"{startup * 1000:.0f} ms)"
    )
    print_masking_cost(256 * MIB)
    large = max(run.peak_rss_kib for runs in all_runs.values() for run in runs["script"])
    small = max(through_console_script(large_writes, 64 * MIB).peak_rss_kib for _ in range(3))
    print("Peak RSS of the console script (goal < 40 MB, independent of the output size)")
    print(f"  64 MiB of output: {small / 1024:.1f} MiB;  1 GiB of output: {large / 1024:.1f} MiB")
    latencies = sorted(port_ready_latency(sample) * 1000 for sample in range(LATENCY_SAMPLES))
    print(
        f"Port-ready detection, listen() to the runtime's connect (n={LATENCY_SAMPLES}, "
        f"polled every {PortProbe.INTERVAL * 1000:.0f} ms)"
    )
    print(f"  median {statistics.median(latencies):.1f} ms, max {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    main()
