"""Fixtures: real commands through the ProcessExecutor; an emulator with a stand-in runtime."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy_boto3_lambda import LambdaClient

from run_command_on_aws_lambda.adapters.emulator.invoke_api import InvokeApiServer
from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.app.emulator.invoker import Emulator
from run_command_on_aws_lambda.app.emulator.sandbox import SandboxConfig
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.result import ExecutionResult
from tests.lambda_clients import boto3_lambda
from tests.processes import MARK, marked, zombie_children


@dataclass
class Supervised:
    """Runs commands through a ProcessExecutor whose stdout and stderr go to files."""

    mark: str
    stdout_path: Path
    stderr_path: Path
    stdout: int
    stderr: int

    @property
    def environment(self) -> dict[str, str]:
        """The child's environment: this process's, plus the test's mark."""
        return {**os.environ, MARK: self.mark}

    def run(
        self,
        spec: CommandSpec,
        *,
        grace: float = 5.0,
        stop: StopPlan | None = None,
        mask: tuple[bytes, ...] = (),
    ) -> ExecutionResult:
        executor = ProcessExecutor(
            stdout=self.stdout, stderr=self.stderr, search_path=os.environ.get("PATH")
        )
        if stop is None:
            stop = StopPlan.plan(now=time.monotonic(), grace=grace, timeout=spec.timeout)
        return executor.execute(spec, environment=self.environment, stop=stop, mask=mask)

    def shell(
        self,
        script: str,
        *,
        timeout: float | None = None,
        grace: float = 5.0,
        mask: tuple[bytes, ...] = (),
    ) -> ExecutionResult:
        """Run `sh -c script`."""
        spec = CommandSpec(program="sh", arguments=("-c", script), timeout=timeout)
        return self.run(spec, grace=grace, mask=mask)

    def forwarded(self) -> tuple[bytes, bytes]:
        """What reached the runtime's stdout and stderr so far."""
        return self.stdout_path.read_bytes(), self.stderr_path.read_bytes()

    def left_behind(self) -> list[int]:
        """Living processes that any command of this test started."""
        return marked(self.mark)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Supervised]:
    """A runner that checks, after the test, that nothing it started is left behind."""
    zombies_before = set(zombie_children())
    stdout_path, stderr_path = tmp_path / "stdout", tmp_path / "stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        runner = Supervised(
            uuid.uuid4().hex, stdout_path, stderr_path, stdout.fileno(), stderr.fileno()
        )
        yield runner
    assert runner.left_behind() == [], "living processes left behind"
    assert set(zombie_children()) <= zombies_before, "zombies left behind"


STAND_IN = Path(__file__).with_name("stand_in_runtime.py")


class Output(io.RawIOBase):
    """A thread-safe byte sink standing in for the emulator's stdout."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        assert isinstance(data, bytes | bytearray)
        with self._lock:
            self._data += data
        return len(data)

    def text(self) -> str:
        with self._lock:
            return self._data.decode(errors="replace")


@dataclass
class RunningEmulator:
    endpoint: str
    output: Output
    client: LambdaClient
    """A boto3 Lambda client for `endpoint`, closed after the test."""


StartEmulator = Callable[..., RunningEmulator]


@pytest.fixture
def start_emulator() -> Iterator[StartEmulator]:
    """Start an emulator running the stand-in runtime: `start_emulator(*arguments, timeout=...)`."""
    started: list[tuple[InvokeApiServer, Emulator, LambdaClient]] = []

    def start(
        *arguments: str, timeout: float = 30, init_timeout: float = 10, argv: Sequence[str] = ()
    ) -> RunningEmulator:
        config = SandboxConfig(
            runtime_argv=list(argv) or [sys.executable, str(STAND_IN), *arguments],
            environment=dict(os.environ),
            timeout=timeout,
            init_timeout=init_timeout,
        )
        output = Output()
        emulator = Emulator(config, output=output)  # type: ignore[arg-type]
        server = InvokeApiServer(emulator, ("127.0.0.1", 0))
        server.start("invoke-api")
        endpoint = f"http://{server.url_address}"
        running = RunningEmulator(endpoint, output, boto3_lambda(endpoint))
        started.append((server, emulator, running.client))
        return running

    yield start
    for server, emulator, client in started:
        client.close()
        server.stop()
        emulator.close()
