"""Adapter: forward a child's output as it comes, keeping only its last bytes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select

from ..domain.result import OUTPUT_TAIL_BYTES

# One read moves up to this much; the pipes are enlarged to match, so that a chatty child
# costs one wakeup per MiB instead of one per 64 KiB (the default pipe size).
READ_CHUNK = 1024 * 1024


class OutputPump:
    """Copies bytes from pipes to sinks unchanged and remembers the last `limit` bytes.

    Memory is one reused read buffer plus the tail, whatever the child prints. A sink that
    fails (a closed stdout) is dropped for good, and the child's output is still drained so
    that it never blocks on a full pipe.
    """

    def __init__(self, limit: int = OUTPUT_TAIL_BYTES, chunk: int = READ_CHUNK) -> None:
        self._limit = limit
        self._buffer = bytearray(chunk)
        self._view = memoryview(self._buffer)
        self._tail = bytearray()
        self._total = 0
        self._broken: set[int] = set()

    @property
    def tail(self) -> bytes:
        return bytes(self._tail)

    @property
    def truncated(self) -> bool:
        return self._total > self._limit

    def forward(self, source: int, sink: int) -> bool:
        """Copy what `source` has now to `sink`; False once `source` is at its end."""
        try:
            count = os.readv(source, [self._buffer])
        except BlockingIOError:
            return True
        if not count:
            return False
        data = self._view[:count]
        self._write(sink, data)
        self._keep(data)
        return True

    def _keep(self, data: memoryview) -> None:
        self._total += len(data)
        if len(data) >= self._limit:
            self._tail[:] = data[-self._limit :]
        else:
            self._tail += data
            excess = len(self._tail) - self._limit
            if excess > 0:
                del self._tail[:excess]

    def _write(self, sink: int, data: memoryview) -> None:
        if sink in self._broken:
            return
        while data:
            try:
                data = data[os.write(sink, data) :]
            except BlockingIOError:  # a sink inherited in non-blocking mode
                select.select([], [sink], [])
            except OSError:
                self._broken.add(sink)
                return


def enlarge_pipe(fd: int, size: int = READ_CHUNK) -> None:
    """Ask for a pipe buffer of `size` bytes; the default stays when the system refuses."""
    with contextlib.suppress(OSError):  # EPERM above /proc/sys/fs/pipe-max-size or user quota
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
