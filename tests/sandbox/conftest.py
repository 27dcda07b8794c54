"""Fixtures of the sandbox tests: the standalone build, and a Lambda-like tree holding it."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest

from .rootfs import INSTALL_DIRECTORY, assemble, ensure_host_tools, run_inside, start_inside
from .standalone import NAME, standalone_build

RUNTIME = f"{INSTALL_DIRECTORY}/{NAME}"
# What Lambda gives a runtime, less what each test adds: a PATH and no HOME.
BASE_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A Lambda-like root filesystem with the standalone runtime in it."""

    root: Path
    build: Path
    environment: Mapping[str, str] = field(default_factory=lambda: dict(BASE_ENVIRONMENT))

    def run(
        self,
        *argv: str,
        stdin: bytes = b"",
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `argv` inside the sandbox, with the base environment plus `env`."""
        environment = {**self.environment, **(env or {})}
        return run_inside(self.root, argv, environment=environment, stdin=stdin, timeout=timeout)

    def runtime(
        self,
        *arguments: str,
        stdin: bytes = b"",
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run the standalone runtime inside the sandbox."""
        return self.run(RUNTIME, *arguments, stdin=stdin, env=env, timeout=timeout)

    def start_runtime(
        self, *arguments: str, env: Mapping[str, str], log: BinaryIO
    ) -> subprocess.Popen[bytes]:
        """Start the standalone runtime inside the sandbox; killing it ends the sandbox."""
        environment = {**self.environment, **env}
        return start_inside(self.root, [RUNTIME, *arguments], environment=environment, log=log)


@pytest.fixture(scope="session")
def standalone() -> Path:
    """The standalone build (built once, then cached by a hash of its sources)."""
    ensure_host_tools()
    return standalone_build()


@pytest.fixture(scope="session")
def sandbox(standalone: Path, tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The Lambda-like tree, assembled once per session."""
    root = tmp_path_factory.mktemp("lambda-root")
    assemble(root, standalone)
    return Sandbox(root=root, build=standalone)
