"""Bench: the contenders, each a real runtime process with its own Runtime API server.

A `Contender` says how to start a runtime; `Running` is one started process: it is spawned
with `AWS_LAMBDA_RUNTIME_API` pointing at a fresh `RuntimeApiServer`, fed events in rounds,
measured through /proc (resident memory and open fds of its whole process tree), and stopped
with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .runtime_api_server import BenchError, Round, RuntimeApiServer

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
STANDALONE = REPO_DIR / "dist" / "run-command-on-aws-lambda" / "run-command-on-aws-lambda"
_STOP_GRACE = 3.0
# Lambda's own PATH: each contender looks `true` and `cat` up on it, as it would there.
LAMBDA_PATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"


@dataclass(frozen=True, slots=True)
class Contender:
    """How to start one runtime. `key` is short (`floor`, `peer`, `ours`, `standalone`)."""

    key: str
    label: str
    argv: tuple[str, ...]


def all_contenders(python: str = sys.executable, baseline: str | None = None) -> list[Contender]:
    """The floor, the peer and ours; the standalone build too when it has been built.

    `baseline` is another Python with another build of ours installed, to compare with.
    """
    contenders = [
        Contender(
            "floor", "floor (http.client + posix_spawn)", (python, str(BENCH_DIR / "floor.py"))
        ),
        Contender(
            "peer",
            "peer (awslambdaric + subprocess.run)",
            (python, "-m", "awslambdaric", "peer_handler.handler"),
        ),
        Contender("ours", "ours (python -m)", (python, "-m", "run_command_on_aws_lambda")),
    ]
    if baseline is not None:
        argv = (baseline, "-m", "run_command_on_aws_lambda")
        contenders.append(Contender("baseline", f"baseline ({baseline})", argv))
    if os.access(STANDALONE, os.X_OK):
        contenders.append(Contender("standalone", "ours (standalone build)", (str(STANDALONE),)))
    return contenders


def lambda_environment(address: str, *, memory_mb: int, **extra: str) -> dict[str, str]:
    """What Lambda gives a runtime (as far as the bench needs), serving from `address`."""
    return {
        "PATH": LAMBDA_PATH,
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_RUNTIME_API": address,
        "LAMBDA_TASK_ROOT": str(BENCH_DIR),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_REGION": "us-east-1",
        **extra,
    }


class Running:
    """One started runtime process, waiting for its first event once `start` returns."""

    def __init__(
        self, contender: Contender, log: IO[bytes], extra: Mapping[str, str] | None = None
    ) -> None:
        self.contender = contender
        self.server = RuntimeApiServer()
        environment = lambda_environment(self.server.address, memory_mb=1024, **(extra or {}))
        self.started_ns = time.monotonic_ns()
        self.process = subprocess.Popen(
            contender.argv,
            env=environment,
            cwd=BENCH_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        self.pidfd = os.pidfd_open(self.process.pid)

    def serve(self, payload: bytes, count: int) -> Round:
        return self.server.serve(payload, count, process=self.pidfd)

    def wait_ready(self) -> int:
        """Wait for the first `next`; nanoseconds since the process was started."""
        return self.serve(b"", 0).ready_at - self.started_ns

    def rss_kib(self) -> int:
        return sum(_status_kib(pid, "VmRSS") for pid in _tree(self.process.pid))

    def open_fds(self) -> int:
        return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in _tree(self.process.pid))

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(_STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.pidfd)
        self.server.close()


def tree_rss_kib(root: int) -> int:
    """The resident memory of `root` and all its descendants."""
    return sum(_status_kib(pid, "VmRSS") for pid in _tree(root))


def _tree(root: int) -> list[int]:
    """`root` and its descendants (a bootloader's child counts as part of the runtime)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry.name}/stat").read_bytes()
                parents[int(entry.name)] = int(stat.rsplit(b")", 1)[1].split()[1])
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def _status_kib(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise BenchError(f"no {name} for process {pid}")
