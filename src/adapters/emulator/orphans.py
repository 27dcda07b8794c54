"""Adapter: what dead runtimes left running, adopted by the emulator as their child subreaper.

A runtime runs each command in a session of its own and stops it itself; but a runtime that
dies first (killed, crashed, or SIGKILLed by the emulator while it was still stopping its
command) leaves the command running, re-parented away from the tree `RuntimeProcess.kill`
walks. On Lambda the whole sandbox goes; here, `--serve` is a child subreaper, so what a dead
runtime leaves becomes its child and is stopped with the sandbox. The emulator starts no other
children than its runtimes, so each child of its own that is not a runtime was adopted: one
that a dead runtime left behind (a live runtime is a subreaper too and keeps its own orphans).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

from ..executor.process_group import children_of

REAP_PATIENCE = 1.0  # seconds to wait for SIGKILLed orphans to die (uninterruptible I/O)
REAP_POLL = 0.01


class Orphans:
    """The runtimes this process started, to tell them apart from the orphans it adopted."""

    def __init__(self) -> None:
        self._runtimes: set[int] = set()
        # Held while a runtime starts: it is a child before its pid is known, and must never
        # be taken for an orphan by a sandbox being destroyed in another thread meanwhile.
        self._lock = threading.Lock()

    def start(self, popen: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        """Start a runtime with `popen`, known as one from the start."""
        with self._lock:
            process = popen()
            self._runtimes.add(process.pid)
            return process

    def reaped(self, pid: int) -> None:
        """The runtime `pid` is reaped: a process with that pid later is not it."""
        with self._lock:
            self._runtimes.discard(pid)

    def kill(self, freeze: Callable[[list[int]], list[int]]) -> None:
        """SIGKILL the adopted orphans and what they started (`freeze` stops a tree first),
        and reap them: the emulator is their parent now, and nobody else would.

        Their children are adopted in turn as they die: the rounds go on until none is left,
        or for REAP_PATIENCE seconds (a process stuck in uninterruptible I/O).
        """
        give_up_at = time.monotonic() + REAP_PATIENCE
        while True:
            with self._lock:
                adopted = self._adopted()
                for pid in freeze(adopted) if adopted else []:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            for pid in adopted:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
            if not adopted or time.monotonic() >= give_up_at:
                return
            time.sleep(REAP_POLL)

    def _adopted(self) -> list[int]:
        return [pid for pid in children_of(os.getpid()) if pid not in self._runtimes]
