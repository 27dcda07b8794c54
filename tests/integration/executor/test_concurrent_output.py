"""Many short commands at once through one ProcessExecutor: each keeps its own output, whole."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.result import ExecutionResult

WORKERS = 8
ROUNDS = 40  # commands per worker, one after the other


def run_many(executor: ProcessExecutor) -> dict[str, ExecutionResult]:
    """WORKERS threads each run ROUNDS short commands, one after the other, all on `executor`;
    each command prints its own request id on stdout and on stderr, then ends at once."""
    results: dict[str, ExecutionResult] = {}
    script = 'echo "out $RUN_COMMAND_REQUEST_ID"; echo "err $RUN_COMMAND_REQUEST_ID" >&2'
    spec = CommandSpec(program="sh", arguments=("-c", script))

    def work(worker: int) -> None:
        for round_ in range(ROUNDS):
            request_id = f"id-{worker}-{round_}"
            environment = {**os.environ, "RUN_COMMAND_REQUEST_ID": request_id}
            stop = StopPlan.plan(now=time.monotonic(), grace=5, timeout=60)
            results[request_id] = executor.execute(
                spec, environment=environment, stop=stop, request_id=request_id
            )

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def expected(request_id: str) -> list[bytes]:
    return [f"err {request_id}".encode(), f"out {request_id}".encode()]


@pytest.mark.parametrize("records", [None, "json", "text"])
def test_every_command_of_many_at_once_keeps_its_own_output(
    tmp_path: Path, records: str | None
) -> None:
    """Hundreds of short commands from eight threads at once: every result holds exactly its
    own command's two lines, and the runtime's stdout has every line once."""
    out = tmp_path / "stdout"
    with out.open("wb") as sink:
        executor = ProcessExecutor(
            stdout=sink.fileno(), stderr=sink.fileno(), concurrent=True, output_records=records
        )
        results = run_many(executor)
    assert len(results) == WORKERS * ROUNDS
    wrong = {
        request_id: result.output
        for request_id, result in results.items()
        if sorted(result.output.splitlines()) != expected(request_id)
    }
    assert wrong == {}
    assert sorted(written_lines(out.read_bytes(), records)) == sorted(
        (request_id, line) for request_id in results for line in expected(request_id)
    )


def written_lines(written: bytes, records: str | None) -> list[tuple[str, bytes]]:
    """Each line the runtime wrote, with the request id it is attributed to."""
    lines = written.splitlines()
    if records == "json":
        documents = [json.loads(line) for line in lines]
        return [(document["requestId"], document["message"].encode()) for document in documents]
    if records == "text":
        return [(prefix.decode(), line) for prefix, line in (line.split(b" ", 1) for line in lines)]
    return [(line.split(b" ")[1].decode(), line) for line in lines]
