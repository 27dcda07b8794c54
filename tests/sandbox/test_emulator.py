"""The standalone build serving `--serve`: its runtime is the frozen executable itself."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.e2e.conftest import wait_for_endpoint
from tests.lambda_clients import boto3_lambda, invoke_with_boto3

from .conftest import BASE_ENVIRONMENT
from .standalone import NAME


def test_the_standalone_build_serves_and_restarts_its_frozen_runtime(
    standalone: Path, tmp_path: Path
) -> None:
    """No Python needed: a result, a runtime killed and replaced, a clean stop."""
    stderr = tmp_path / "stderr"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(standalone / NAME), "--serve", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(BASE_ENVIRONMENT),
        )
    client = boto3_lambda(wait_for_endpoint(process, stderr))
    try:
        first = invoke_with_boto3(client, {"program": "echo", "arguments": ["frozen"]})
        assert (first.function_error, first.body["output"]) == (None, "frozen\n")
        killed = invoke_with_boto3(client, {"program": "sh", "arguments": ["-c", "kill -9 $PPID"]})
        assert killed.body["errorType"] == "Runtime.ExitError"
        again = invoke_with_boto3(client, {"program": "echo", "arguments": ["again"]})
        assert (again.function_error, again.body["output"]) == (None, "again\n")
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
