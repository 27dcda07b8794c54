"""Adapter: the sandbox's log. Everything is forwarded; the current invocation's tail is kept."""

from __future__ import annotations

import contextlib
import threading
from typing import BinaryIO

TAIL_BYTES = 4096
"""How much of an invocation's log `LogType=Tail` returns: the last 4 KB, as on Lambda."""

HELD_BYTES = 64 * 1024
"""Bytes of an unfinished line held at most (with `whole_lines`) before it is written anyway."""


class SandboxLog:
    """Forwards the runtime's output (and the platform's lines) to `out`, keeping a tail.

    With `whole_lines` (sandboxes sharing `out`), only whole lines are written: a line is held
    until it ends, so that lines of two sandboxes never mix (each is one log event on Lambda).
    """

    def __init__(
        self, out: BinaryIO | None, keep: int = TAIL_BYTES, *, whole_lines: bool = False
    ) -> None:
        self._out = out
        self._keep = keep
        self._whole_lines = whole_lines
        self._held = b""
        self._tail = bytearray()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            self._forward(data)
            self._tail += data
            del self._tail[: -self._keep]

    def line(self, text: str) -> None:
        """A platform line; a line the runtime left unfinished is ended first."""
        with self._lock:
            if self._held:
                self._forward(b"\n")
        self.write(text.encode() + b"\n")

    def _forward(self, data: bytes) -> None:
        if self._whole_lines:
            pending = self._held + data
            end = pending.rfind(b"\n") + 1
            if end == 0 and len(pending) > HELD_BYTES:  # no end in sight: let it out
                end = len(pending)
            data, self._held = pending[:end], pending[end:]
        if self._out is not None and data:
            # A closed or full terminal must not stop the sandbox: the log is best effort.
            with contextlib.suppress(OSError, ValueError):
                self._out.write(data)
                self._out.flush()

    def begin(self) -> None:
        """A new invocation starts: its tail starts empty."""
        with self._lock:
            self._tail.clear()

    def tail(self) -> bytes:
        with self._lock:
            return bytes(self._tail)
