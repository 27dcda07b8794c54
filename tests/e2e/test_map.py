"""End to end: `--invoke --map` as a real process against `--serve --concurrency N`."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Serve
from tests.e2e.test_invoke import CLIENT_ENVIRONMENT, client_base_environment, invoke

RECORDED = (
    'echo "start $(date +%s.%N)" >> "$RECORDS/$N"; sleep "$SLEEP"; '
    'echo "end $(date +%s.%N)" >> "$RECORDS/$N"; echo "item $N done"; exit "$CODE"'
)
"""An item's command: records its start and end in $RECORDS/$N, sleeps, exits $CODE."""


def write_jobs(path: Path, records: Path, codes: Sequence[int], sleep: float) -> None:
    """One line per item, each setting the environment of the RECORDED command."""
    records.mkdir(exist_ok=True)
    lines = [
        json.dumps(
            {
                "environment": {
                    "N": str(number),
                    "CODE": str(code),
                    "SLEEP": str(sleep),
                    "RECORDS": str(records),
                }
            }
        )
        for number, code in enumerate(codes, start=1)
    ]
    path.write_text("\n".join(lines) + "\n")


def map_command(jobs: Path, *options: str) -> list[str]:
    """`--map JOBS OPTIONS -- sh -c RECORDED`: streamed, unless OPTIONS say --no-stream."""
    return [
        *("--map", str(jobs), *options),
        *("--", "sh", "-c", RECORDED),
    ]


def runs(records: Path) -> dict[int, list[tuple[float, float]]]:
    """Each item's runs as (start, end) pairs, read from its record file."""
    found: dict[int, list[tuple[float, float]]] = {}
    for record in records.iterdir():
        times = [float(line.split()[1]) for line in record.read_text().splitlines()]
        found[int(record.name)] = list(zip(times[::2], times[1::2], strict=True))
    return found


def most_at_once(intervals: Sequence[tuple[float, float]]) -> int:
    """The most intervals that overlap at one moment (at some interval's start)."""
    return max(sum(s <= start < e for s, e in intervals) for start, _ in intervals)


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_items_run_in_parallel_failures_count_and_a_rerun_runs_only_the_failed(
    console_script: str, serve: Serve, tmp_path: Path
) -> None:
    """12 items on 4 sandboxes: 3+ at once; 3 fail (exit 3); the rerun runs only those 3."""
    served = serve("--concurrency", "4")
    jobs, records, log = tmp_path / "jobs.jsonl", tmp_path / "records", tmp_path / "results"
    codes = [5 if number in (3, 7, 11) else 0 for number in range(1, 13)]
    write_jobs(jobs, records, codes, sleep=1)
    options = ("--concurrency", "4", "--results", str(log))
    completed = invoke(console_script, served.endpoint, *map_command(jobs, *options))
    assert completed.returncode == 3, completed.stderr.decode()
    first = runs(records)
    assert sorted(first) == list(range(1, 13))
    assert all(len(item_runs) == 1 for item_runs in first.values())
    assert most_at_once([item_runs[0] for item_runs in first.values()]) >= 3
    recorded = results(log)
    assert sorted(record["line"] for record in recorded) == list(range(1, 13))
    failed = {record["line"]: record for record in recorded if record["status"] != 0}
    assert sorted(failed) == [3, 7, 11]
    assert all(record["status"] == 5 for record in failed.values())
    assert all(record["errorType"] == "CommandFailed" for record in failed.values())
    assert all(record["requestId"] for record in recorded)
    assert "item 3 done" in str(failed[3]["output"])
    stderr = completed.stderr.decode()
    assert "12 items ended: 9 succeeded, 3 failed." in stderr
    assert "line 7: sh exited with status 5." in stderr

    again = invoke(console_script, served.endpoint, *map_command(jobs, *options))
    assert again.returncode == 3
    assert "Skipping 9 of 12 items" in again.stderr.decode()
    second = runs(records)
    assert {number: len(item_runs) for number, item_runs in second.items()} == {
        number: 2 if number in (3, 7, 11) else 1 for number in range(1, 13)
    }
    assert len(results(log)) == 15  # appended: 12, then the 3 failed ones again


def test_throttles_are_retried_and_every_item_runs_exactly_once(
    console_script: str, serve: Serve, tmp_path: Path
) -> None:
    """6 at once against 2 sandboxes: 429s answered and retried, each item ran once, all ok."""
    served = serve("--concurrency", "2")
    jobs, records, log = tmp_path / "jobs.jsonl", tmp_path / "records", tmp_path / "results"
    write_jobs(jobs, records, [0] * 8, sleep=0.3)
    options = ("--concurrency", "6", "--results", str(log), "--no-stream")
    completed = invoke(console_script, served.endpoint, *map_command(jobs, *options))
    assert completed.returncode == 0, completed.stderr.decode()
    assert {number: len(item_runs) for number, item_runs in runs(records).items()} == dict.fromkeys(
        range(1, 9), 1
    )
    recorded = results(log)
    assert len(recorded) == 8
    assert all(record["status"] == 0 for record in recorded)
    throttles = sum(record["throttles"] for record in recorded)
    assert throttles > 0
    assert f"Lambda throttled {throttles} attempts; they were retried" in completed.stderr.decode()
    assert served.stdout.read_text().count("START RequestId") == 8  # throttled ones never began


@pytest.mark.parametrize("mode", [(), ("--no-stream",)], ids=["streamed", "buffered"])
def test_output_comes_in_whole_blocks_per_item_or_tagged_lines(
    console_script: str, serve: Serve, tmp_path: Path, mode: tuple[str, ...]
) -> None:
    """Each item's lines stay together under its header; --tag prefixes each with its item."""
    served = serve("--concurrency", "4")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({"environment": {"N": str(n)}}) + "\n" for n in range(1, 9)))
    script = 'for i in 1 2 3; do echo "item $N says $i"; sleep 0.1; done'
    command = ("--map", str(jobs), *mode, "--concurrency", "4", "--", "sh", "-c", script)
    completed = invoke(console_script, served.endpoint, *command)
    assert completed.returncode == 0, completed.stderr.decode()
    blocks = re.split(r"^=== line (\d+): succeeded ===\n", completed.stdout.decode(), flags=re.M)
    assert blocks[0] == ""
    pairs = dict(zip(blocks[1::2], blocks[2::2], strict=True))
    assert sorted(map(int, pairs)) == list(range(1, 9))
    for line, block in pairs.items():
        assert block == "".join(f"item {line} says {i}\n" for i in (1, 2, 3))

    tagged = invoke(console_script, served.endpoint, *command[:2], "--tag", *command[2:])
    assert tagged.returncode == 0
    lines = tagged.stdout.decode().splitlines()
    assert len(lines) == 24
    for line in lines:
        tag, text = line.split("\t")
        assert re.fullmatch(rf"item {tag.removeprefix('line ')} says \d", text)


def test_an_unparsable_line_fails_the_map_before_anything_is_invoked(
    console_script: str, serve: Serve, tmp_path: Path
) -> None:
    """Line 3 is not JSON: exit 255 naming line 3, and no invocation reached the server."""
    served = serve()
    jobs, records = tmp_path / "jobs.jsonl", tmp_path / "records"
    write_jobs(jobs, records, [0, 0], sleep=0)
    with jobs.open("a") as file:
        file.write('{"environment": \n{"N": "9"}\n')
    completed = invoke(console_script, served.endpoint, *map_command(jobs))
    assert completed.returncode == 255
    assert "line 3 of the map file is not valid JSON" in completed.stderr.decode()
    assert "Traceback" not in completed.stderr.decode()
    assert list(records.iterdir()) == []
    assert "START RequestId" not in served.stdout.read_text()


def test_ctrl_c_waits_for_running_items_records_them_and_exits_130(
    console_script: str, serve: Serve, tmp_path: Path
) -> None:
    """Ctrl-C: no new item starts; the 2 running end and are recorded; exit 130."""
    served = serve("--concurrency", "2")
    jobs, records, log = tmp_path / "jobs.jsonl", tmp_path / "records", tmp_path / "results"
    write_jobs(jobs, records, [0] * 6, sleep=1.5)
    arguments = ("--invoke", "function", "--endpoint-url", served.endpoint)
    process = subprocess.Popen(
        [
            console_script,
            *arguments,
            *map_command(jobs, "--concurrency", "2", "--results", str(log)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**client_base_environment(), **CLIENT_ENVIRONMENT},
    )
    give_up = time.monotonic() + 60
    while len(list(records.iterdir())) < 2:
        assert time.monotonic() < give_up, "the first two items did not start"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    assert "Interrupted: no new item starts" in stderr.decode()
    assert "4 not started" in stderr.decode()
    assert len(results(log)) == 2
    assert all(record["status"] == 0 for record in results(log))
    assert stdout.decode().count("=== line") == 2
    time.sleep(0.5)
    assert sorted(runs(records)) == sorted(record["line"] for record in results(log))
