"""End to end: `--serve --per-environment M` emulates Lambda Managed Instances."""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import partial
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Serve
from tests.e2e.test_emulator_concurrency import held, in_background, wait_for
from tests.lambda_clients import invoke_with_boto3


def started(log: Path) -> int:
    """How many held commands have started: their JSON records saying so."""
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    return sum(json.loads(line)["message"].endswith(" started") for line in lines)


def meeting(directory: Path, then: str) -> dict[str, object]:
    """Marks itself present, waits until four are, then runs `then`."""
    script = (
        f'touch {directory}/"$RUN_COMMAND_REQUEST_ID"; '
        f"while [ $(ls {directory} | wc -l) -lt 4 ]; do sleep 0.05; done; {then}"
    )
    return {"program": "sh", "arguments": ["-c", script]}


def test_four_commands_at_once_in_one_environment_each_with_its_own_logs_and_tmpdir(
    serve: Serve, tmp_path: Path
) -> None:
    """The issue's goal: four `sleep 2` at once in one environment; a 1 s timeout ends one alone.

    Three commands wait until all four run, sleep two seconds and succeed; the fourth, given
    `timeout: 1`, is stopped as CommandTimedOut. Each output line is a JSON record naming its
    own invocation, each command had a TMPDIR of its own, gone once it ended.
    """
    served = serve("--per-environment", "4")
    present = tmp_path / "present"
    present.mkdir()
    say = 'echo "id=$RUN_COMMAND_REQUEST_ID"; echo "tmp=$TMPDIR"; touch "$TMPDIR/file"; sleep 2'
    events = [meeting(present, say) for _ in range(3)]
    events.append(
        {"program": "sh", "arguments": ["-c", f"touch {present}/late; sleep 2"], "timeout": 1}
    )
    calls = [in_background(partial(invoke_with_boto3, served.client, event)) for event in events]
    invoked = []
    for thread, results in calls:
        thread.join(60)
        invoked.append(results[0])
    *succeeded, timed_out = invoked
    assert [result.function_error for result in succeeded] == [None, None, None]
    assert timed_out.function_error == "Unhandled"
    assert timed_out.body["errorType"] == "CommandTimedOut"
    outputs = [
        dict(line.split("=", 1) for line in r.body["output"].splitlines()) for r in succeeded
    ]
    directories = [output["tmp"] for output in outputs]
    assert len(set(directories)) == 3
    assert all(os.path.dirname(directory) == "/tmp" for directory in directories)
    assert not any(os.path.exists(directory) for directory in directories)
    lines = served.stdout.read_text().splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    records = [record for record in logged if record["message"].startswith("id=")]
    assert sorted(record["message"] for record in records) == sorted(
        f"id={output['id']}" for output in outputs
    )
    assert all(record["message"] == f"id={record['requestId']}" for record in records)
    assert served.stdout.read_text().count("START RequestId") == 4


def test_beyond_n_times_m_invocations_are_throttled(serve: Serve, tmp_path: Path) -> None:
    """Two environments of two: four invocations run at once, a fifth gets Lambda's 429."""
    served = serve("--concurrency", "2", "--per-environment", "2")
    go = tmp_path / "go"
    busy = [
        in_background(partial(invoke_with_boto3, served.client, held(f"s{n}", go)))
        for n in range(4)
    ]
    wait_for(lambda: started(served.stdout) == 4, "four invocations running")
    with pytest.raises(ClientError) as refused:
        invoke_with_boto3(served.client, {"program": "true"})
    assert refused.value.response["Error"]["Code"] == "TooManyRequestsException"
    go.touch()
    for thread, results in busy:
        thread.join(60)
        assert results[0].function_error is None
    assert served.stdout.read_text().count("START RequestId") == 4


def test_one_environment_queues_what_its_slots_cannot_take(serve: Serve, tmp_path: Path) -> None:
    """Without --concurrency, a third invocation for two slots waits, then runs."""
    served = serve("--per-environment", "2")
    go = tmp_path / "go"
    busy = [
        in_background(partial(invoke_with_boto3, served.client, held(f"s{n}", go)))
        for n in range(2)
    ]
    wait_for(lambda: started(served.stdout) == 2, "both slots busy")
    third = in_background(partial(invoke_with_boto3, served.client, held("s2", go)))
    go.touch()
    for thread, results in [*busy, third]:
        thread.join(60)
        assert results[0].function_error is None


def test_the_managed_instances_page_s_example_works_as_written(
    serve: Serve, tmp_path: Path
) -> None:
    """Four curls at once against `--serve --per-environment 4`: four TMPDIRs, all different."""
    page = (Path(__file__).parents[2] / "docs" / "managed-instances.md").read_text()
    [block] = re.findall(r"```sh\n(.*?)```", page, re.DOTALL)
    first_line, client = block.split("\n", 1)
    assert first_line.split("#")[0].split() == [
        "run-command-on-aws-lambda", "--serve", "--per-environment", "4",
    ]  # fmt: skip
    served = serve("--per-environment", "4")
    completed = subprocess.run(
        [
            "bash",
            "-euo",
            "pipefail",
            "-c",
            client.replace("http://127.0.0.1:9000", served.endpoint),
        ],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    text, answers, decoder = completed.stdout.decode(), [], json.JSONDecoder()
    while text:  # four bodies one after the other, as curl printed them
        answer, end = decoder.raw_decode(text)
        answers.append(answer)
        text = text[end:]
    directories = {str(answer["output"]).strip() for answer in answers}
    assert len(answers) == 4
    assert len(directories) == 4
    assert all(directory.startswith("/tmp/run-command-") for directory in directories)


def test_each_invocation_s_log_tail_is_its_own_in_a_shared_environment(
    serve: Serve, tmp_path: Path
) -> None:
    """Two commands at once in one environment: each `LogType=Tail` holds its own START to
    REPORT and its own output, never the other invocation's."""
    served = serve("--per-environment", "2")
    go = tmp_path / "go"
    busy = [
        in_background(partial(invoke_with_boto3, served.client, held(name, go)))
        for name in ("first", "second")
    ]
    wait_for(lambda: started(served.stdout) == 2, "both invocations running")
    go.touch()
    tails = []
    for thread, results in busy:
        thread.join(60)
        tails.append(results[0].log)
    for tail, mine, other in zip(tails, ("first", "second"), ("second", "first"), strict=True):
        lines = tail.splitlines()
        assert lines[0].startswith("START RequestId: ")
        request_id = lines[0].split()[2]
        assert lines[-1].startswith(f"REPORT RequestId: {request_id}\t")
        assert sum(line.startswith("START RequestId: ") for line in lines) == 1
        assert sum(line.startswith("REPORT RequestId: ") for line in lines) == 1
        messages = [json.loads(line)["message"] for line in lines if line.startswith("{")]
        assert f"{mine} started" in messages
        assert not any(message.startswith(other) for message in messages)
