"""The image serving itself as a Lambda: its own `--serve` in the container, invoked with boto3."""

from __future__ import annotations

import signal
import subprocess
import uuid
from pathlib import Path

from tests.e2e.conftest import wait_for_endpoint
from tests.lambda_clients import boto3_lambda, invoke_with_boto3

from .conftest import LAMBDA_LIKE
from .engine import Engine


def test_the_image_serves_invocations_from_boto3_and_stops_on_sigterm(
    engine: Engine, image: str, tmp_path: Path
) -> None:
    """Results and errors as Lambda gives them, a killed runtime replaced, exit 0 on SIGTERM."""
    # The container shares the host's network (port 0: the emulator picks a free loopback port
    # and says which), so it stays on 127.0.0.1; with `--init`, in the Lambda-like sandbox.
    name = f"serve-{uuid.uuid4().hex[:12]}"
    stderr = tmp_path / "stderr"
    arguments = ["run", "--rm", "--init", "--network", "host", "--name", name, *LAMBDA_LIKE]
    arguments += [image, "--serve", "127.0.0.1:0", "echo", "default"]
    with stderr.open("wb") as err:
        process = engine.start(arguments, stdin=subprocess.DEVNULL, output=err)
    try:
        client = boto3_lambda(wait_for_endpoint(process, stderr))
        try:
            default = invoke_with_boto3(client, {})
            assert (default.function_error, default.body["output"]) == (None, "default\n")
            assert "START RequestId:" in default.log
            assert "Init Duration" in default.log  # the first invocation is a cold start
            failed = invoke_with_boto3(client, {"program": "sh", "arguments": ["-c", "exit 4"]})
            assert failed.function_error == "Unhandled"
            assert (failed.body["errorType"], failed.body["exitCode"]) == ("CommandFailed", 4)
            kill = {"program": "sh", "arguments": ["-c", "kill -9 $PPID"]}
            killed = invoke_with_boto3(client, kill)
            assert killed.body["errorType"] == "Runtime.ExitError"
            again = invoke_with_boto3(client, {"program": "id"})
            assert again.function_error is None
            assert again.body["output"] == "uid=993 gid=990 groups=990\n"  # the sandbox user
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)  # docker run passes it on to the container
        assert process.wait(60) == 0, stderr.read_text()
    finally:
        if process.poll() is None:
            engine.docker("rm", "--force", name)
            process.wait(60)
