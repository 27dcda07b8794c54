"""Adapter: the runtime as a child process, its output pumped into the sandbox log.

The runtime runs in its own session with stdout and stderr on one pipe (Lambda merges them
too). Stopping it stops everything it started, also commands in sessions of their own, and
(with `orphans`) what it left running when it died first.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence

from ..executor.process_group import process_table
from .orphans import Orphans
from .sandbox_log import SandboxLog


class RuntimeProcess:
    """A started runtime; `on_exit(returncode)` is called from a watcher thread when it ends."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        environment: Mapping[str, str],
        log: SandboxLog,
        on_exit: Callable[[int], None],
        orphans: Orphans | None = None,
    ) -> None:
        self._log = log
        self._on_exit = on_exit
        self._orphans = orphans

        def popen() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                list(argv),
                env=dict(environment),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        self._process = popen() if orphans is None else orphans.start(popen)
        assert self._process.stdout is not None
        self._fd = self._process.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._reading = threading.Lock()
        self._eof = False
        self._pump = threading.Thread(target=self._pump_output, name="runtime-output", daemon=True)
        self._pump.start()
        self._watcher = threading.Thread(target=self._watch, name="runtime-watcher", daemon=True)
        self._watcher.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def drain(self) -> None:
        """Read all the output written so far (before an answer was posted, say) into the log."""
        with self._reading:
            self._read_available()

    def stop(self, grace: float) -> None:
        """SIGTERM the runtime, as Lambda does at shutdown; after `grace` seconds, `kill`."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(grace)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the runtime and all its descendants, and wait until its output has ended.

        A runtime already reaped is not signalled (its pid may be another process's now);
        what it left running was adopted, and goes with `orphans`.
        """
        stopped = _freeze_tree([self.pid] if self._process.returncode is None else [])
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self._watcher.join()
        if self._orphans is not None:  # the runtime is dead: all it left is adopted by now
            self._orphans.kill(_freeze_tree)
        # Its output ends with it, unless something that escaped the tree still holds the pipe.
        self._pump.join(timeout=5)

    def _watch(self) -> None:
        returncode = self._process.wait()
        if self._orphans is not None:
            self._orphans.reaped(self.pid)
        self.drain()
        self._on_exit(returncode)

    def _pump_output(self) -> None:
        while not self._eof:
            with contextlib.suppress(InterruptedError):
                select.select([self._fd], [], [])
            with self._reading:
                self._read_available()
        assert self._process.stdout is not None
        self._process.stdout.close()

    def _read_available(self) -> None:
        while not self._eof:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                self._eof = True
                return
            self._log.write(chunk)


def _freeze_tree(roots: list[int]) -> list[int]:
    """SIGSTOP `roots` and their descendants until no new one appears (stopped ones cannot
    fork); returns them all."""
    stopped: list[int] = []
    found = list(roots)
    while found:
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        stopped += found
        known = set(stopped)
        found = [e.pid for e in process_table() if e.parent in known and e.pid not in known]
    return stopped
