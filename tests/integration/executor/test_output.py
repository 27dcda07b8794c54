"""The ProcessExecutor forwards output live and byte for byte, with bounded memory."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.result import OUTPUT_TAIL_BYTES, Ending, ExecutionResult
from tests.integration.conftest import Supervised
from tests.processes import in_session


def test_a_partial_line_is_forwarded_before_the_child_exits(
    supervised: Supervised, tmp_path: Path
) -> None:
    """Bytes without a newline reach the runtime's stdout while the child still runs."""
    flag = tmp_path / "seen"
    script = f"printf 'no newline yet'; while [ ! -e {flag} ]; do sleep 0.01; done; printf ' done'"
    read_end, write_end = os.pipe()
    results: list[ExecutionResult] = []
    executor = ProcessExecutor(stdout=write_end, stderr=supervised.stderr)
    spec = CommandSpec(program="sh", arguments=("-c", script))
    runner = threading.Thread(
        target=lambda: results.append(
            executor.execute(spec, environment=supervised.environment, stop=StopPlan())
        )
    )
    runner.start()
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        first = os.read(read_end, 100) if ready else b""
    finally:
        flag.touch()
        runner.join()
    os.close(write_end)
    rest = os.read(read_end, 100)
    os.close(read_end)
    assert first == b"no newline yet"
    assert rest == b" done"
    assert results[0].returncode == 0


def test_each_stream_keeps_its_order_and_goes_to_its_own_sink(supervised: Supervised) -> None:
    """Interleaved writes to stdout and stderr arrive complete and in order on each."""
    script = "for i in $(seq 1 20000); do echo out$i; echo err$i >&2; done"
    result = supervised.shell(script)
    stdout, stderr = supervised.forwarded()
    numbers = range(1, 20001)
    assert stdout == b"".join(b"out%d\n" % i for i in numbers)
    assert stderr == b"".join(b"err%d\n" % i for i in numbers)
    assert result.output_truncated
    assert len(result.output) == OUTPUT_TAIL_BYTES
    kept = result.output.split(b"\n")[1:-1]  # the first line may be cut
    for stream in (b"out", b"err"):
        seen = [int(line[3:]) for line in kept if line.startswith(stream)]
        assert seen == list(range(20001 - len(seen), 20001)), "the tail is in arrival order"


def test_binary_and_invalid_utf8_pass_through_byte_for_byte(
    supervised: Supervised, tmp_path: Path
) -> None:
    """Every byte value, invalid UTF-8 and NULs reach stdout and the kept output unchanged."""
    data = bytes(range(256)) + b"\xff\xfe\xc3(\x00\xed\xa0\x80" + bytes(range(255, -1, -1))
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    result = supervised.run(CommandSpec(program="cat", arguments=(str(blob),)))
    assert supervised.forwarded()[0] == data
    assert result.output == data
    assert not result.output_truncated


FLOOD_RUN = """
import json, os, resource, sys, time
from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan

sink = os.open(os.devnull, os.O_WRONLY)
executor = ProcessExecutor(stdout=sink, stderr=sink)

def flood(size):
    script = f"head -c {size} /dev/zero; seq 1 2000"
    spec = CommandSpec(program="sh", arguments=("-c", script))
    result = executor.execute(spec, environment=dict(os.environ), stop=StopPlan())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, peak

_, small = flood(1_000_000)
result, large = flood(200_000_000)
print(json.dumps({"small_kib": small, "large_kib": large, "tail": result.output.decode(),
                  "truncated": result.output_truncated}))
"""


def test_a_200_mb_flood_keeps_memory_bounded_and_the_tail_exact() -> None:
    """Peak memory after 200 MB of output is within a few MiB of that after 1 MB."""
    completed = subprocess.run(
        [sys.executable, "-c", FLOOD_RUN], capture_output=True, timeout=120, check=True
    )
    report = json.loads(completed.stdout)
    expected = "".join(f"{i}\n" for i in range(1, 2001)).encode()[-OUTPUT_TAIL_BYTES:]
    assert report["tail"].encode() == expected
    assert report["truncated"]
    assert report["large_kib"] - report["small_kib"] < 8 * 1024


def test_a_child_that_closes_its_stdout_is_still_waited_for(supervised: Supervised) -> None:
    """The end of its output is not the end of the child: its exit status still decides."""
    result = supervised.shell("exec >&-; sleep 0.3; echo still running >&2; exit 7")
    assert result.returncode == 7
    assert result.output == b"still running\n"


def test_input_is_written_while_output_is_read(supervised: Supervised) -> None:
    """A child echoing 8 MB of input back gets all of it, with no deadlock on full pipes."""
    text = "".join(f"line {i}\n" for i in range(800_000))
    result = supervised.run(CommandSpec(program="cat", input=text))
    assert result.returncode == 0
    assert supervised.forwarded()[0] == text.encode()


def test_input_to_a_child_that_never_reads_it_does_not_block(supervised: Supervised) -> None:
    """Input far larger than the pipe buffer is dropped when the child exits without reading."""
    big = supervised.run(
        CommandSpec(program="sh", arguments=("-c", "sleep 0.2; exit 5"), input="x" * 10_000_000)
    )
    assert big.returncode == 5


@pytest.mark.parametrize("text", ["", "x"], ids=["empty", "one-byte"])
def test_input_to_a_child_that_exits_at_once_is_dropped_every_time(
    supervised: Supervised, text: str
) -> None:
    """Its exit and its writable stdin often come in one batch of events: no crash either way."""
    for _ in range(20):
        result = supervised.run(CommandSpec(program="true", input=text))
        assert (result.ending, result.returncode) == (Ending.EXITED, 0)


def test_input_to_a_child_that_closed_its_stdin_and_keeps_running(supervised: Supervised) -> None:
    """A child that closes stdin and runs on is waited for; the unread input is dropped."""
    spec = CommandSpec(
        program="sh", arguments=("-c", "exec <&-; sleep 0.2; echo done"), input="y" * 5_000_000
    )
    result = supervised.run(spec)
    assert result.returncode == 0
    assert result.output == b"done\n"


def test_large_output_reaches_a_pipe_and_an_append_only_file_exactly(
    supervised: Supervised, tmp_path: Path
) -> None:
    """Whatever the sink (a pipe as on Lambda, a file opened for appending), bytes arrive whole."""
    data = b"".join(b"%08d\n" % i for i in range(400_000))  # 3.6 MB
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    appended = tmp_path / "appended"
    appended.write_bytes(b"before\n")
    read_end, write_end = os.pipe()
    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(read_all(read_end)))
    reader.start()
    with appended.open("ab") as append_only:
        executor = ProcessExecutor(stdout=write_end, stderr=append_only.fileno())
        spec = CommandSpec(program="sh", arguments=("-c", f"cat {blob}; cat {blob} >&2"))
        result = executor.execute(spec, environment=supervised.environment, stop=StopPlan())
    os.close(write_end)
    reader.join()
    os.close(read_end)
    assert bytes(received) == data
    assert appended.read_bytes() == b"before\n" + data
    assert result.output == data[-OUTPUT_TAIL_BYTES:]


def read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


STRAY = (
    "setsid sh -c 'echo $$ > {pidfile}; {body}' & "
    "while [ ! -s {pidfile} ]; do sleep 0.01; done; echo done"
)


@pytest.mark.parametrize(
    "body",
    ["while :; do echo stray; sleep 0.02; done", "exec sleep 1000"],
    ids=["writing", "silent"],
)
def test_a_process_outside_the_group_holding_stdout_neither_hangs_nor_leaks(
    supervised: Supervised, tmp_path: Path, body: str
) -> None:
    """A daemon that left the group keeps the pipe: the run ends, no thread or fd remains."""
    pidfile = tmp_path / "stray.pid"
    threads, fds = threading.active_count(), len(os.listdir("/proc/self/fd"))
    results: list[ExecutionResult] = []
    runner = threading.Thread(
        target=lambda: results.append(supervised.shell(STRAY.format(pidfile=pidfile, body=body)))
    )
    runner.start()
    runner.join(timeout=60)
    try:
        assert not runner.is_alive(), "the runtime waits for a process it does not own"
        assert results[0].returncode == 0
        assert threading.active_count() == threads
        assert len(os.listdir("/proc/self/fd")) == fds
        assert b"done\n" in supervised.forwarded()[0]
    finally:
        stop_session(int(pidfile.read_text()))
        runner.join()


def stop_session(leader: int) -> None:
    """SIGKILL the session `leader` leads and wait until only zombies (its new parent's) remain."""
    os.killpg(leader, signal.SIGKILL)
    while any(not entry.endswith(":Z") for entry in in_session(leader)):
        time.sleep(0.01)
