"""Adapter: the sandbox's log. Everything is forwarded; each running invocation's tail is kept."""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from typing import BinaryIO

TAIL_BYTES = 4096
"""How much of an invocation's log `LogType=Tail` returns: the last 4 KB, as on Lambda."""

HELD_BYTES = 64 * 1024
"""Bytes of an unfinished line held at most (with `whole_lines`) before it is written anyway."""


@dataclass(eq=False, slots=True, kw_only=True)
class InvocationTail:
    """One running invocation's part of the log, from `begin` to `end`."""

    request_id: str
    kept: bytearray = field(default_factory=bytearray)


class SandboxLog:
    """Forwards the runtime's output (and the platform's lines) to `out`, keeping a tail for
    each running invocation.

    With `whole_lines` (sandboxes sharing `out`), only whole lines are written: a line is held
    until it ends, so that lines of two sandboxes never mix (each is one log event on Lambda).
    With one invocation running, all the runtime's output is its own, byte for byte. With
    several (Managed Instances), each line goes to the invocation whose `requestId` its JSON
    record carries, and a line naming none (the runtime's start-up) to every running one.
    """

    def __init__(
        self, out: BinaryIO | None, keep: int = TAIL_BYTES, *, whole_lines: bool = False
    ) -> None:
        self._out = out
        self._keep = keep
        self._whole_lines = whole_lines
        self._held = b""
        self._running: list[InvocationTail] = []
        self._unattributed = b""  # the runtime's unfinished line, while several invocations run
        self._lock = threading.Lock()

    def begin(self, request_id: str, start: str) -> InvocationTail:
        """An invocation starts: its tail starts with the platform line `start` (no output of
        the runtime can come before it)."""
        tail = InvocationTail(request_id=request_id)
        with self._lock:
            self._running.append(tail)
            self._platform_line(start, [tail])
        return tail

    def end(self, tail: InvocationTail) -> bytes:
        """The invocation is over: its tail, which keeps nothing more."""
        with self._lock:
            if tail in self._running:
                self._running.remove(tail)
            return bytes(tail.kept)

    def write(self, data: bytes) -> None:
        """The runtime's output."""
        with self._lock:
            self._forward(data)
            if len(self._running) <= 1 and not self._unattributed:
                self._keep_in(self._running, data)
                return
            pending = self._unattributed + data
            end = pending.rfind(b"\n") + 1
            if end == 0 and len(pending) > HELD_BYTES:  # no end in sight: attribute it now
                end = len(pending)
            for line in pending[:end].splitlines(keepends=True):
                self._attribute(line)
            self._unattributed = pending[end:]

    def line(self, text: str, tail: InvocationTail | None = None) -> None:
        """A platform line of `tail`'s invocation (of every running one without); a line the
        runtime left unfinished is ended first."""
        with self._lock:
            self._platform_line(text, self._running if tail is None else [tail])

    def _platform_line(self, text: str, tails: list[InvocationTail]) -> None:
        if self._held:
            self._forward(b"\n")
        if self._unattributed:
            self._attribute(self._unattributed + b"\n")
            self._unattributed = b""
        data = text.encode() + b"\n"
        self._forward(data)
        self._keep_in(tails, data, whole=True)

    def _attribute(self, line: bytes) -> None:
        owner = _request_id(line)
        owners = [tail for tail in self._running if tail.request_id == owner]
        self._keep_in(owners or self._running, line)

    def _keep_in(self, tails: list[InvocationTail], data: bytes, *, whole: bool = False) -> None:
        for tail in tails:
            if whole and tail.kept and not tail.kept.endswith(b"\n"):
                tail.kept += b"\n"  # a platform line starts a line of its own
            tail.kept += data
            del tail.kept[: -self._keep]

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


def _request_id(line: bytes) -> str | None:
    """The `requestId` of a line that is a JSON log record carrying one; else None."""
    if b'"requestId"' not in line:
        return None
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    value = record.get("requestId") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None
