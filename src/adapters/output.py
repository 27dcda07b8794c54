"""Adapter: forward a child's output as it comes, keeping only its last bytes."""

from __future__ import annotations

import array
import contextlib
import errno
import fcntl
import os
import select
import termios

from ..domain.result import OUTPUT_TAIL_BYTES

# One read moves up to this much; the pipes are enlarged to match, so that a chatty child
# costs one wakeup per MiB instead of one per 64 KiB (the default pipe size).
READ_CHUNK = 1024 * 1024
# The buffer starts at this size and grows to READ_CHUNK once a read fills it: zeroing 1 MiB
# for every command, most of which print little, cost ~20 us per invocation.
FIRST_CHUNK = 64 * 1024


class OutputPump:
    """Copies bytes from pipes to sinks unchanged and remembers the last `limit` bytes.

    Memory is one reused read buffer (grown to `chunk` for a chatty child) plus the tail,
    whatever the child prints. Bytes older than the tail are moved with `splice` (no copy
    through this process) when the sink allows it. A sink that fails (a closed stdout) is
    dropped for good, and the child's output is still drained so that it never blocks on a
    full pipe.
    """

    def __init__(self, limit: int = OUTPUT_TAIL_BYTES, chunk: int = READ_CHUNK) -> None:
        self._limit = limit
        self._chunk = chunk
        self._buffer = bytearray(min(chunk, FIRST_CHUNK))
        self._view = memoryview(self._buffer)
        self._tail = bytearray()
        self._total = 0
        self._broken: set[int] = set()
        self._no_splice: set[int] = set()
        self._pending = array.array("i", [0])

    @property
    def tail(self) -> bytes:
        return bytes(self._tail)

    @property
    def truncated(self) -> bool:
        return self._total > self._limit

    def forward(self, source: int, sink: int) -> bool:
        """Copy what `source` (a pipe) has now to `sink`; False once `source` is at its end."""
        self._splice_all_but_tail(source, sink)
        try:
            count = os.readv(source, [self._buffer])
        except BlockingIOError:
            return True
        if not count:
            return False
        data = self._view[:count]
        self._write(sink, data)
        self._keep(data)
        if count == len(self._buffer) < self._chunk:  # a chatty child: read more at a time
            self._buffer = bytearray(self._chunk)
            self._view = memoryview(self._buffer)
        return True

    def _splice_all_but_tail(self, source: int, sink: int) -> None:
        """Move what cannot end up in the tail straight to `sink`; the read that follows
        gets at least `limit` bytes, which replace the tail entirely."""
        if sink in self._no_splice or sink in self._broken:
            return
        fcntl.ioctl(source, termios.FIONREAD, self._pending)
        excess = self._pending[0] - self._limit
        if excess <= 0:
            return
        try:
            while excess > 0:
                moved = self._splice(source, sink, excess)
                excess -= moved
                self._total += moved
        except OSError as error:
            # EINVAL: a sink splice cannot write to (O_APPEND file); the copy loop serves it.
            if error.errno == errno.EINVAL:
                self._no_splice.add(sink)
            else:
                self._broken.add(sink)

    @staticmethod
    def _splice(source: int, sink: int, count: int) -> int:
        while True:
            try:
                return os.splice(source, sink, count)
            except BlockingIOError:  # a sink inherited in non-blocking mode
                select.select([], [sink], [])

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
