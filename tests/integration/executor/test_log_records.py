"""With commands running at once, each line of a command's output is a log record of its own."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from run_command_on_aws_lambda.adapters.executor.log_records import LINE_LIMIT, LineRecords
from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.result import ExecutionResult


def run_at_once(
    tmp_path: Path, scripts: dict[str, str], records: str
) -> tuple[list[bytes], list[ExecutionResult]]:
    """Run one `sh -c` script per request id at the same time; the lines written to stdout."""
    out = tmp_path / "stdout"
    with out.open("wb") as sink:
        executor = ProcessExecutor(
            stdout=sink.fileno(), stderr=sink.fileno(), concurrent=True, output_records=records
        )
        results: list[ExecutionResult] = []

        def run(request_id: str, script: str) -> None:
            spec = CommandSpec(program="sh", arguments=("-c", script))
            environment = {**os.environ, "RUN_COMMAND_REQUEST_ID": request_id}
            stop = StopPlan.plan(now=time.monotonic(), grace=5, timeout=60)
            results.append(
                executor.execute(spec, environment=environment, stop=stop, request_id=request_id)
            )

        threads = [threading.Thread(target=run, args=item) for item in scripts.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return out.read_bytes().splitlines(), results


def test_json_records_carry_each_line_with_its_own_request_id(tmp_path: Path) -> None:
    """Three chatty commands at once: every line whole, in one JSON record of its request id."""
    script = "for i in $(seq 1 300); do echo {name}-$i; echo {name}-err-$i >&2; done"
    scripts = {f"id-{name}": script.format(name=name) for name in "abc"}
    lines, results = run_at_once(tmp_path, scripts, "json")
    records = [json.loads(line) for line in lines]
    assert len(records) == 3 * 600
    assert {tuple(sorted(record)) for record in records} == {
        ("level", "message", "requestId", "timestamp")
    }
    for record in records:
        assert record["message"].startswith(record["requestId"].removeprefix("id-") + "-")
    for name in "abc":
        mine = [
            r["message"]
            for r in records
            if r["requestId"] == f"id-{name}" and "err" not in r["message"]
        ]
        assert mine == [f"{name}-{i}" for i in range(1, 301)]
    assert all(result.output for result in results)  # the result's tail keeps the raw output


def test_text_records_are_the_lines_prefixed_with_their_request_id(tmp_path: Path) -> None:
    """In the text format a line is its request id, a space, and the line as it was."""
    lines, _ = run_at_once(tmp_path, {"req-1": "echo one; echo two", "req-2": "echo three"}, "text")
    assert sorted(lines) == [b"req-1 one", b"req-1 two", b"req-2 three"]


def test_bytes_that_are_not_utf8_are_escaped_not_dropped(tmp_path: Path) -> None:
    """A byte 0xff in a line comes out as the text \\xff in its record's message."""
    lines, _ = run_at_once(tmp_path, {"r": r"printf 'caf\351 \377\n'"}, "json")
    assert [json.loads(line)["message"] for line in lines] == ["caf\\xe9 \\xff"]


def test_a_very_long_line_is_split_into_several_records(tmp_path: Path) -> None:
    """A line of 2.5 times the limit makes three records that join into the line."""
    length = LINE_LIMIT * 5 // 2
    lines, _ = run_at_once(
        tmp_path, {"r": f"head -c {length} /dev/zero | tr '\\0' x; echo"}, "json"
    )
    messages = [json.loads(line)["message"] for line in lines]
    assert [len(message) for message in messages] == [
        LINE_LIMIT,
        LINE_LIMIT,
        length - 2 * LINE_LIMIT,
    ]
    assert "".join(messages) == "x" * length


def test_a_partial_line_is_written_while_the_command_still_runs(tmp_path: Path) -> None:
    """A prompt without a newline becomes a record before the command goes on and ends."""
    seen = tmp_path / "stdout"
    script = f"printf 'waiting'; while ! grep -q waiting {seen}; do sleep 0.05; done; echo ' done'"
    lines, results = run_at_once(tmp_path, {"r": script}, "text")
    assert lines == [b"r waiting", b"r  done"]
    assert results[0].returncode == 0


def test_a_long_line_read_whole_is_split_too(tmp_path: Path) -> None:
    """A long line and its newline arriving in one read still make records of the limit."""
    sink = tmp_path / "sink"
    with sink.open("wb") as out:
        records = LineRecords(out.fileno(), "r", json_format=False, clock=time.monotonic)
        records.feed(b"y" * (LINE_LIMIT + 10) + b"\nshort\n")
    assert sink.read_bytes().splitlines() == [
        b"r " + b"y" * LINE_LIMIT,
        b"r " + b"y" * 10,
        b"r short",
    ]
