"""Adapter: write a command's `input` to its stdin without ever blocking the supervision loop."""

from __future__ import annotations

import contextlib
import os
from typing import IO

STDIN_CHUNK = 64 * 1024


class InputFeeder:
    """Feeds `data` to a non-blocking stdin pipe a chunk at a time, then closes it.

    Input the child does not read (it exited or closed its stdin) is dropped.
    """

    def __init__(self, stdin: IO[bytes], data: bytes) -> None:
        self.stdin = stdin
        self._data = memoryview(data)
        os.set_blocking(stdin.fileno(), False)

    def feed(self) -> bool:
        """Write what the pipe takes now; True once everything was written or dropped."""
        try:
            written = os.write(self.stdin.fileno(), self._data[:STDIN_CHUNK])
        except BlockingIOError:
            return False
        except OSError:  # EPIPE: nobody reads the pipe any more
            written = len(self._data)
        self._data = self._data[written:]
        return not self._data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stdin.close()
