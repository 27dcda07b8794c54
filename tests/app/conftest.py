"""Fixtures for the serving loop: a real executor whose output lands in files we can read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.fake import FakeTransport
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.serving import serve
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.policy import Verdict


@dataclass
class Loop:
    """Runs events through `serve` with a FakeTransport; the child's streams go to files."""

    stdout_path: Path
    stderr_path: Path
    stdout_fd: int
    stderr_fd: int

    transport: FakeTransport | None = None

    def serve(
        self, *events: object, settings: Settings | None = None, streaming: bool = False
    ) -> list[Verdict]:
        """Serve `events`; with `streaming`, the transport offers streamed responses."""
        settings = settings or Settings(grace=0.5, search_path=os.environ["PATH"])
        executor = ProcessExecutor(
            stdout=self.stdout_fd, stderr=self.stderr_fd, search_path=settings.search_path
        )
        runner = CommandRunner(executor=executor, settings=settings, environ=os.environ)
        transport = FakeTransport(events, streaming=streaming)
        serve(transport, runner)
        self.transport = transport
        return transport.verdicts

    @property
    def stdout(self) -> bytes:
        return self.stdout_path.read_bytes()

    @property
    def stderr(self) -> bytes:
        return self.stderr_path.read_bytes()


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[Loop]:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    stdout_fd = os.open(out, os.O_WRONLY | os.O_CREAT)
    stderr_fd = os.open(err, os.O_WRONLY | os.O_CREAT)
    yield Loop(out, err, stdout_fd, stderr_fd)
    os.close(stdout_fd)
    os.close(stderr_fd)
