"""End to end: `--map --idempotency-key` against `--serve` with the idempotency guard on."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.e2e.conftest import Serve
from tests.e2e.test_invoke import invoke
from tests.local_dynamodb import LocalTable


def test_a_rerun_without_results_file_runs_no_item_twice(
    console_script: str,
    serve: Serve,
    guarded_table: LocalTable,
    tmp_path: Path,
) -> None:
    """Each item keyed PREFIX + hash of its line: the rerun replays every outcome, runs nothing."""
    served = serve("--concurrency", "2")
    runs = tmp_path / "runs"
    lines = [json.dumps({"environment": {"N": str(n)}}) for n in range(1, 5)]
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join(lines) + "\n")
    script = f'echo "$N" >> "{runs}"; echo "item $N"; [ "$N" -ne 3 ]'
    command = ("--map", str(jobs), "--idempotency-key", "thumbs-", "--", "sh", "-c", script)
    first = invoke(console_script, served.endpoint, *command)
    second = invoke(console_script, served.endpoint, *command)
    assert (first.returncode, second.returncode) == (1, 1), second.stderr.decode()
    assert sorted(runs.read_text().split()) == ["1", "2", "3", "4"]  # each ran once, in all
    assert sorted(first.stdout.splitlines()) == sorted(second.stdout.splitlines())
    assert "replaying its outcome" in served.stdout.read_text()
    for line in lines:
        item = guarded_table.item("thumbs-" + hashlib.sha256(line.encode()).hexdigest())
        assert item is not None
        assert item["status"] == {"S": "COMPLETED"}
