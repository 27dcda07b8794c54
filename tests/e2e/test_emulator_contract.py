"""End to end: `--serve` speaks the newer Lambda contract: tenants (boto3's TenantId and
`--invoke --tenant-id`), invocation ids, SnapStart's restore call, and a short function
timeout that holds for a frozen runtime."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

from tests.e2e.conftest import Serve
from tests.e2e.test_invoke import invoke, run_client
from tests.lambda_clients import invoke_with_boto3

SHOW = {"program": "sh", "arguments": ["-c", 'echo "${RUN_COMMAND_TENANT_ID-none} $PPID"']}


def test_invoke_with_a_tenant_id_prints_it(serve: Serve, console_script: str) -> None:
    """The issue's example: `--invoke function --tenant-id acme -- sh -c 'echo
    $RUN_COMMAND_TENANT_ID'` prints acme, streamed or not."""
    served = serve()
    command = ("--", "sh", "-c", "echo $RUN_COMMAND_TENANT_ID")
    streamed = invoke(console_script, served.endpoint, "--tenant-id", "acme", *command)
    buffered = invoke(
        console_script, served.endpoint, "--no-stream", "--tenant-id", "globex", *command
    )
    assert (streamed.returncode, streamed.stdout) == (0, b"acme\n"), streamed.stderr
    assert (buffered.returncode, buffered.stdout) == (0, b"globex\n"), buffered.stderr


def test_map_invokes_every_item_as_the_tenant(
    serve: Serve, console_script: str, tmp_path: Path
) -> None:
    """`--map FILE --tenant-id acme`: each item's command sees acme."""
    served = serve()
    items = tmp_path / "items.jsonl"
    items.write_text('{"environment": {"N": "1"}}\n{"environment": {"N": "2"}}\n')
    completed = invoke(
        console_script,
        served.endpoint,
        *("--map", str(items), "--tenant-id", "acme", "--tag"),
        *("--", "sh", "-c", 'echo "$N $RUN_COMMAND_TENANT_ID"'),
    )
    assert completed.returncode == 0, completed.stderr
    lines = sorted(completed.stdout.decode().splitlines())
    assert lines == ["line 1\t1 acme", "line 2\t2 acme"]


def test_an_empty_tenant_id_is_refused_before_anything_is_sent(console_script: str) -> None:
    """`--tenant-id ''`: a usage error that says what to give."""
    completed = run_client(
        console_script,
        *("--invoke", "function", "--endpoint-url", "http://127.0.0.1:9", "--tenant-id", ""),
        "true",
        env={},
    )
    assert completed.returncode != 0
    assert b"--tenant-id needs the tenant's id" in completed.stderr


def test_no_sandbox_serves_two_tenants(serve: Serve) -> None:
    """boto3's TenantId reaches the command; a tenant keeps its warm sandbox, and another
    tenant (or none) never gets it: each gets a runtime of its own."""
    client = serve().client
    payload = json.dumps(SHOW).encode()

    def run(tenant: str | None = None) -> tuple[str, str]:
        """(the tenant the command saw, the pid of the runtime that ran it)."""
        if tenant is None:
            answer = client.invoke(FunctionName="function", Payload=payload)
        else:
            answer = client.invoke(FunctionName="function", Payload=payload, TenantId=tenant)
        seen, runtime = json.loads(answer["Payload"].read())["output"].split()
        return seen, runtime

    acme, acme_again = run("acme"), run("acme")
    globex, untenanted, acme_last = run("globex"), run(), run("acme")
    assert [acme[0], globex[0], untenanted[0], acme_last[0]] == ["acme", "globex", "none", "acme"]
    assert acme_again[1] == acme[1]
    assert len({acme[1], globex[1], untenanted[1], acme_last[1]}) == 4


def test_invocations_answer_with_their_invocation_ids(serve: Serve) -> None:
    """Every answer the runtime gives carries the id --serve handed out: all are taken."""
    client = serve().client
    outputs = [
        invoke_with_boto3(client, {"program": "echo", "arguments": [str(n)]}).body["output"]
        for n in range(3)
    ]
    failed = invoke_with_boto3(client, {"program": "false"})
    assert outputs == ["0\n", "1\n", "2\n"]
    assert failed.body["errorType"] == "CommandFailed"
    assert "410" not in failed.log


def test_a_snap_start_runtime_is_restored_and_serves(serve: Serve) -> None:
    """With AWS_LAMBDA_INITIALIZATION_TYPE=snap-start the runtime asks for the restore (which
    --serve answers) and then serves as usual."""
    served = serve(env={"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"})
    invoked = invoke_with_boto3(served.client, {"program": "echo", "arguments": ["restored"]})
    assert invoked.body["output"] == "restored\n"
    assert "Restored from the snapshot." in invoked.log


def test_a_frozen_runtime_times_out_after_the_function_timeout(serve: Serve) -> None:
    """`--function-timeout 1`, the warm runtime frozen with SIGSTOP and thawed 3 s later (well
    within the 10 s start-up allowance): its late answer is not taken, the invocation ends
    `Sandbox.Timedout` after 1 s, and the next one gets a fresh runtime."""
    client = serve("--function-timeout", "1").client
    first = invoke_with_boto3(client, {"program": "sh", "arguments": ["-c", "echo $PPID"]})
    runtime = int(first.body["output"])
    os.kill(runtime, signal.SIGSTOP)
    thaw = threading.Timer(
        3.0, lambda: subprocess.run(["kill", "-CONT", str(runtime)], check=False)
    )
    thaw.start()
    try:
        invoked = invoke_with_boto3(client, {"program": "echo", "arguments": ["late"]})
    finally:
        thaw.join()
    assert invoked.body["errorType"] == "Sandbox.Timedout"
    assert invoked.body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    again = invoke_with_boto3(client, {"program": "sh", "arguments": ["-c", "echo $PPID"]})
    assert int(again.body["output"]) != runtime
