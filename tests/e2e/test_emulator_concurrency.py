"""End to end: `--serve --concurrency N` runs N sandboxes at once and throttles the rest."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import run_script
from tests.e2e.conftest import Serve
from tests.lambda_clients import invoke_with_boto3, stream_with_boto3

HOLD = 'echo "$NAME started"; while [ ! -e "$GO" ]; do sleep 0.05; done; echo "$NAME ended"'
"""Prints that it started, then waits until the file $GO exists: a sandbox held busy."""


def held(name: str, go: Path) -> dict[str, object]:
    return {
        "program": "sh",
        "arguments": ["-c", HOLD],
        "environment": {"NAME": name, "GO": str(go)},
    }


def started(log: Path) -> int:
    """How many held commands have started (their own lines, not the runtime's echo of them)."""
    return len(re.findall(r"^\w+ started$", log.read_text(), re.MULTILINE))


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(call()))
    thread.start()
    return thread, results


def wait_for(condition: Callable[[], bool], what: str) -> None:
    give_up = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("streamed", [False, True], ids=["Invoke", "InvokeWithResponseStream"])
def test_an_invoke_finding_every_sandbox_busy_gets_lambdas_throttle(
    serve: Serve, tmp_path: Path, streamed: bool
) -> None:
    """With 2 sandboxes busy, a third invoke gets 429 TooManyRequestsException at once."""
    served = serve("--concurrency", "2")
    go = tmp_path / "go"
    busy = [
        in_background(partial(invoke_with_boto3, served.client, held(f"s{n}", go)))
        for n in range(2)
    ]
    wait_for(lambda: started(served.stdout) == 2, "two sandboxes busy")
    call = stream_with_boto3 if streamed else invoke_with_boto3
    with pytest.raises(ClientError) as refused:
        call(served.client, {"program": "true"})
    answer: Any = refused.value.response
    assert answer["Error"]["Code"] == "TooManyRequestsException"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert answer["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert answer["Error"]["Message"] == "Rate Exceeded."
    go.touch()
    for thread, results in busy:
        thread.join(60)
        assert results[0].function_error is None
    # The throttled invocation never ran: no third START in the log.
    assert served.stdout.read_text().count("START RequestId") == 2


def test_both_sandboxes_run_at_once_and_each_log_tail_is_its_own(
    serve: Serve, tmp_path: Path
) -> None:
    """Two invocations overlap in two sandboxes; each tail holds its own output only."""
    served = serve("--concurrency", "2")
    go = tmp_path / "go"
    busy = [
        in_background(partial(invoke_with_boto3, served.client, held(f"s{n}", go)))
        for n in range(2)
    ]
    wait_for(lambda: started(served.stdout) == 2, "both running at once")
    go.touch()
    tails = []
    for thread, results in busy:
        thread.join(60)
        tails.append(results[0].log)
    assert re.findall(r"^s\d started$", tails[0], re.MULTILINE) == ["s0 started"]
    assert re.findall(r"^s\d started$", tails[1], re.MULTILINE) == ["s1 started"]
    lines = served.stdout.read_text().splitlines()
    for name in ("s0", "s1"):  # whole lines, never two sandboxes' output mixed in one
        assert f"{name} started" in lines
        assert f"{name} ended" in lines


def test_an_idle_sandbox_is_reused_rather_than_a_new_one_started(serve: Serve) -> None:
    """One invocation after another runs in the same runtime process, warm."""
    served = serve("--concurrency", "3")
    parents = {
        invoke_with_boto3(served.client, {"program": "sh", "arguments": ["-c", "echo $PPID"]}).body[
            "output"
        ]
        for _ in range(3)
    }
    assert len(parents) == 1
    assert served.stdout.read_text().count("Init Duration") == 1  # one cold start


def test_without_concurrency_invocations_queue_for_the_one_sandbox(
    serve: Serve, tmp_path: Path
) -> None:
    """Without --concurrency, a second invoke waits for the first instead of being throttled."""
    served = serve()
    go = tmp_path / "go"
    first = in_background(lambda: invoke_with_boto3(served.client, held("first", go)))
    wait_for(lambda: "first started" in served.stdout.read_text(), "the first to run")
    second = in_background(lambda: invoke_with_boto3(served.client, held("second", go)))
    time.sleep(0.5)  # give the second the chance to start, which it must not take
    assert "second started" not in served.stdout.read_text()
    go.touch()
    for thread, results in (first, second):
        thread.join(60)
        assert results[0].function_error is None
    log = served.stdout.read_text()
    assert log.index("first ended") < log.index("second started")


def test_concurrency_must_be_a_count(console_script: str) -> None:
    """--concurrency 0 or a word is refused with a clear error, before anything starts."""
    completed = run_script(console_script, "--serve", "127.0.0.1:0", "--concurrency", "0")
    assert completed.returncode == 125
    assert b"--concurrency: '0' is not a count" in completed.stderr
    completed = run_script(console_script, "--concurrency", "2", "--event", "{}")
    assert completed.returncode == 125
    assert b"--concurrency is an option of --serve and of --map" in completed.stderr
