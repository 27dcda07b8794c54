"""Adapter: the sandbox's log. Everything is forwarded; the current invocation's tail is kept."""

from __future__ import annotations

import contextlib
import threading
from typing import BinaryIO

TAIL_BYTES = 4096
"""How much of an invocation's log `LogType=Tail` returns: the last 4 KB, as on Lambda."""


class SandboxLog:
    """Forwards the runtime's output (and the platform's lines) to `out`, keeping a tail."""

    def __init__(self, out: BinaryIO | None, keep: int = TAIL_BYTES) -> None:
        self._out = out
        self._keep = keep
        self._tail = bytearray()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._out is not None:
                # A closed or full terminal must not stop the sandbox: the log is best effort.
                with contextlib.suppress(OSError, ValueError):
                    self._out.write(data)
                    self._out.flush()
            self._tail += data
            del self._tail[: -self._keep]

    def line(self, text: str) -> None:
        self.write(text.encode() + b"\n")

    def begin(self) -> None:
        """A new invocation starts: its tail starts empty."""
        with self._lock:
            self._tail.clear()

    def tail(self) -> bytes:
        with self._lock:
            return bytes(self._tail)
