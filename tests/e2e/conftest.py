"""Fixtures for the end-to-end tests of `--serve`: the emulator as a real process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy_boto3_lambda import LambdaClient

from tests.lambda_clients import DUMMY_CREDENTIALS, boto3_lambda


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    endpoint: str
    stdout: Path
    stderr: Path
    client: LambdaClient
    """A boto3 Lambda client for `endpoint`, closed after the test."""

    def stop(self, number: int = signal.SIGTERM) -> int:
        self.process.send_signal(number)
        return self.process.wait(60)


Serve = Callable[..., Served]


@pytest.fixture
def serve(console_script: str, tmp_path: Path) -> Iterator[Serve]:
    """Start `run-command-on-aws-lambda --serve 127.0.0.1:0 [arguments]`; wait until it listens."""
    started: list[Served] = []

    def start(*arguments: str, env: dict[str, str] | None = None) -> Served:
        stdout, stderr = tmp_path / f"stdout{len(started)}", tmp_path / f"stderr{len(started)}"
        environment = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [console_script, "--serve", "127.0.0.1:0", *arguments],
                stdout=out,
                stderr=err,
                env={**environment, **DUMMY_CREDENTIALS, **(env or {})},
            )
        endpoint = wait_for_endpoint(process, stderr)
        served = Served(process, endpoint, stdout, stderr, boto3_lambda(endpoint))
        started.append(served)
        return served

    yield start
    for served in started:
        served.client.close()
        if served.process.poll() is None:
            served.stop()


def wait_for_endpoint(process: subprocess.Popen[bytes], stderr: Path) -> str:
    """The endpoint `--serve` announces on stderr once it listens."""
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up and process.poll() is None:
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", stderr.read_text())
        if found:
            return found[1]
        time.sleep(0.05)
    raise AssertionError(f"the emulator did not start: {stderr.read_text()}")
