"""App: how `--serve` waits for SIGINT or SIGTERM, in the main thread, without a race."""

from __future__ import annotations

import os
import signal
from types import FrameType


def catch_stop_signals() -> int:
    """Make SIGINT and SIGTERM write their number to a pipe; returns the pipe's read end.

    The byte is written by Python's C-level handler (`signal.set_wakeup_fd`), not by a Python
    handler: those run only in the main thread, between bytecodes, so a signal that landed
    just before the main thread blocked in `os.read` was never seen (a hang under load).
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _caught)
    return read_end


def _caught(number: int, frame: FrameType | None) -> None:
    """Nothing to do: the wakeup pipe has the signal's number already."""


def wait_for_stop_signal(read_end: int) -> None:
    """Block until SIGINT or SIGTERM (`catch_stop_signals` set that up)."""
    while os.read(read_end, 1)[0] not in (signal.SIGINT, signal.SIGTERM):
        pass
