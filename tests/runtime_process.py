"""The installed console script started as a Lambda custom runtime, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from tests.fake_runtime_api import FakeRuntimeApi


class RuntimeProcess:
    """`run-command-on-aws-lambda [command]` with AWS_LAMBDA_RUNTIME_API set to `api`.

    Its stdout and stderr go to files under `directory` (a pipe nobody reads could stall it).
    Leaving the `with` block kills the process if it is still running.
    """

    def __init__(
        self,
        script: str,
        api: FakeRuntimeApi | str,
        directory: Path,
        *command: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        address = api if isinstance(api, str) else api.address
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_LAMBDA_")}
        environment.update({"AWS_LAMBDA_RUNTIME_API": address, **(env or {})})
        self._stdout_path = directory / "runtime.stdout"
        self._stderr_path = directory / "runtime.stderr"
        with self._stdout_path.open("wb") as stdout, self._stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [script, *command],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=environment,
                cwd=cwd,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stdout(self) -> str:
        return self._stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self._stderr_path.read_text(errors="replace")

    def wait(self, timeout: float = 30) -> int:
        return self.process.wait(timeout)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def children(self) -> set[int]:
        """The runtime's live child processes (it is their subreaper, so orphans count too)."""
        found: set[int] = set()
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            found.update(int(pid) for pid in (task / "children").read_text().split())
        return found

    def open_fds(self) -> set[str]:
        return set(os.listdir(f"/proc/{self.pid}/fd"))

    def __enter__(self) -> RuntimeProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
