"""Fixtures for running real commands through the ProcessExecutor."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.executor import ProcessExecutor
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.result import ExecutionResult
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
