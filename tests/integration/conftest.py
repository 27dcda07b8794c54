"""Fixtures for the emulator: a real Invoke API server whose runtime is the stand-in script."""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.emulator.invoke_api import InvokeApiServer
from run_command_on_aws_lambda.app.emulator import Emulator
from run_command_on_aws_lambda.app.emulator_sandbox import SandboxConfig

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


StartEmulator = Callable[..., RunningEmulator]


@pytest.fixture
def start_emulator() -> Iterator[StartEmulator]:
    """Start an emulator running the stand-in runtime: `start_emulator(*arguments, timeout=...)`."""
    started: list[tuple[InvokeApiServer, Emulator]] = []

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
        started.append((server, emulator))
        return RunningEmulator(f"http://{server.url_address}", output)

    yield start
    for server, emulator in started:
        server.stop()
        emulator.close()
