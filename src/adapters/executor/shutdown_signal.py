"""Adapter: turn SIGTERM and SIGINT into a file descriptor the executor can wait on."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class ShutdownRequested(BaseException):
    """Raised out of an idle wait (for the next event) when the runtime must stop.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` in a library we
    call (urllib3) can swallow it.
    """

    def __init__(self, signal_number: int) -> None:
        super().__init__(f"received {signal.Signals(signal_number).name}")
        self.signal_number = signal_number


class ShutdownSignal:
    """Records a shutdown request; readable via `fileno()` once one arrived.

    While `busy()` (a command runs, its outcome is posted) a signal only sets `requested`, so
    the work is finished and reported. While idle, the signal raises `ShutdownRequested`.
    With concurrent workers, each one's `busy()` counts: the runtime is idle when none is.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.requested: int | None = None
        self._busy = 0
        self._counting = threading.Lock()  # never taken by the handler: no deadlock

    def fileno(self) -> int:
        return self._read

    def install(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
        """Install the handlers; only possible from the main thread.

        SIGTERM's last: Python catches SIGINT from its start, so a handler for SIGTERM is what
        shows from outside (/proc's SigCgt) that both of ours are in place.
        """
        for number in signals:
            signal.signal(number, self._handle)

    def request(self, signal_number: int) -> None:
        """Ask for a shutdown as if `signal_number` had arrived."""
        self.requested = signal_number
        with contextlib.suppress(BlockingIOError):
            os.write(self._write, b"\0")

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        with self._counting:
            self._busy += 1
        try:
            yield
        finally:
            with self._counting:
                self._busy -= 1

    def _handle(self, signal_number: int, frame: FrameType | None) -> None:
        self.request(signal_number)
        if not self._busy:
            raise ShutdownRequested(signal_number)
