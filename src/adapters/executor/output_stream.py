"""Adapter: move one stream of a child's output to its destination, keeping the last bytes."""

from __future__ import annotations

import array
import contextlib
import enum
import errno
import fcntl
import os
import select
import stat
import termios
from collections.abc import Callable

from ...domain.masking import Masker
from ...domain.result import OUTPUT_TAIL_BYTES
from .log_records import LineRecords

# One read moves up to this much; the pipes are enlarged to match, so that a child that
# floods its output while the runtime is busy elsewhere is not blocked after 64 KiB.
READ_CHUNK = 1024 * 1024
# The read buffers start at this size and grow to READ_CHUNK once a read fills one: zeroing
# four 1 MiB buffers for every command, most of which print little, costs ~80 us each time.
FIRST_CHUNK = 64 * 1024


class Tail:
    """The last `limit` bytes of a command's output, its streams in the order they were read.

    A chunk of at least `limit` bytes replaces the whole tail, so it is only referred to (no
    copy): its owner must leave it unchanged until it keeps the next chunk.
    """

    def __init__(self, limit: int = OUTPUT_TAIL_BYTES) -> None:
        self.limit = limit
        self._bytes = bytearray()
        self._large: bytes | memoryview = b""  # the last chunk, when it filled the tail alone
        self._total = 0

    @property
    def data(self) -> bytes:
        self._settle()
        return bytes(self._bytes)

    @property
    def truncated(self) -> bool:
        return self._total > self.limit

    def keep(self, data: bytes | memoryview) -> None:
        self._total += len(data)
        if len(data) >= self.limit:
            self._large = data
        else:
            self._settle()
            self._bytes += data
            del self._bytes[: max(0, len(self._bytes) - self.limit)]

    def skip(self, count: int) -> None:
        """Count `count` bytes that were forwarded without passing through here."""
        self._total += count

    def _settle(self) -> None:
        if self._large:
            self._bytes[:] = self._large[-self.limit :]
            self._large = b""


class Moved(enum.Enum):
    """What `OutputStream.move` found in the pipe."""

    BYTES = "bytes"  # and maybe more
    NOTHING = "nothing"  # the pipe is empty for now
    END = "end"  # every writer closed it


class OutputStream:
    """Copies one non-blocking pipe to a sink fd unchanged, except the secrets `masker` replaces.

    What is forwarded also goes to `tail`. When the sink is a pipe or a socket and no masking
    is active, bytes older than the tail are moved with `splice` (no copy through this
    process); to a file or /dev/null a plain copy is faster. A sink that fails (a closed
    stdout) is dropped for good, and the pipe is still read so that the child never blocks on
    it. Memory is two reused read buffers (taking turns, so that the tail can refer to the
    last read without copying it), whatever the child prints.
    """

    def __init__(
        self,
        source: int,
        sink: int,
        *,
        tail: Tail,
        masker: Masker,
        tee: Callable[[bytes | memoryview], None] | None = None,
        records: LineRecords | None = None,
    ) -> None:
        self.source = source
        self._records = records  # each line a log record, instead of the bytes as they are
        self._sink = sink
        self._tail = tail
        # What is forwarded is kept: in the tail, and given to the tee too when there is one
        # (one call either way, so that the path without a tee stays as it was).
        self._keep = tail.keep if tee is None else _both(tee, tail.keep)
        self._masker = masker
        self._masking = masker.active
        self._buffers = (bytearray(FIRST_CHUNK), bytearray(FIRST_CHUNK))
        self._views = tuple(memoryview(buffer) for buffer in self._buffers)
        self._turn = 0
        self._splicing = (
            not self._masking and tee is None and records is None and _takes_splice(sink)
        )
        self._broken = False
        self._pending = array.array("i", [0])
        os.set_blocking(source, False)

    def move(self, reads: int = 1) -> Moved:
        """Forward what the pipe holds, in up to `reads` reads (the hot loop: kept flat)."""
        source, buffers, views, keep = self.source, self._buffers, self._views, self._keep
        for _ in range(reads):
            if self._splicing:
                self._splice_all_but_tail()
            turn = self._turn
            try:
                count = os.readv(source, [buffers[turn]])
            except BlockingIOError:
                return Moved.NOTHING
            if not count:
                self.close()
                return Moved.END
            self._turn = 1 - turn
            data = views[turn][:count]
            if count == len(buffers[turn]) < READ_CHUNK:  # a chatty child: read more at a time
                buffers, views = self._grow()
            if self._masking:
                self._emit(self._masker.feed(data))
                continue
            if self._records is not None:
                self._records.feed(data)
                keep(data)
                continue
            try:
                written = 0 if self._broken else os.write(self._sink, data)
            except OSError:
                written = 0
            if written < count:
                self._write(data[written:])
            keep(data)
        return Moved.BYTES

    def _grow(self) -> tuple[tuple[bytearray, bytearray], tuple[memoryview, ...]]:
        """New, larger buffers; the tail may still refer to the old ones, which stay intact."""
        self._buffers = (bytearray(READ_CHUNK), bytearray(READ_CHUNK))
        self._views = tuple(memoryview(buffer) for buffer in self._buffers)
        return self._buffers, self._views

    def close(self) -> None:
        """Forward what the masker still holds back (the stream ends here for the runtime)."""
        self._emit(self._masker.flush())
        if self._records is not None:
            self._records.flush()

    @property
    def framed(self) -> bool:
        return self._records is not None

    @property
    def flush_at(self) -> float | None:
        """When a partial line held as a record is due to be written (`log_records`)."""
        return None if self._records is None else self._records.flush_at

    def flush_partial(self) -> None:
        """Write the partial line held, whose time is up."""
        if self._records is not None:
            self._records.flush()

    def _emit(self, data: bytes | memoryview) -> None:
        if data:
            self._write(data)
            self._keep(data)

    def _splice_all_but_tail(self) -> None:
        """Move what cannot end up in the tail straight to the sink; the read that follows
        gets at least a tail's worth of bytes, which replace the tail entirely."""
        if self._broken:
            return
        fcntl.ioctl(self.source, termios.FIONREAD, self._pending)
        excess = self._pending[0] - self._tail.limit
        try:
            while excess > 0:
                moved = _splice(self.source, self._sink, excess)
                excess -= moved
                self._tail.skip(moved)
        except OSError as error:
            # EINVAL: a sink splice cannot write to (O_APPEND); the copy serves it.
            self._splicing = False
            self._broken = error.errno != errno.EINVAL

    def _write(self, data: bytes | memoryview) -> None:
        if self._records is not None:
            self._records.feed(data)
            return
        while data and not self._broken:
            try:
                data = data[os.write(self._sink, data) :]
            except BlockingIOError:  # a sink inherited in non-blocking mode
                select.select([], [self._sink], [])
            except OSError:
                self._broken = True


def _both(
    tee: Callable[[bytes | memoryview], None], keep: Callable[[bytes | memoryview], None]
) -> Callable[[bytes | memoryview], None]:
    def keep_and_tee(data: bytes | memoryview) -> None:
        tee(data)
        keep(data)

    return keep_and_tee


def _takes_splice(sink: int) -> bool:
    """Whether splicing to `sink` beats copying: measured, for pipes (bench/supervision.py)."""
    try:
        mode = os.fstat(sink).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _splice(source: int, sink: int, count: int) -> int:
    while True:
        try:
            return os.splice(source, sink, count)
        except BlockingIOError:  # a sink inherited in non-blocking mode
            select.select([], [sink], [])


def enlarge_pipe(fd: int, size: int = READ_CHUNK) -> None:
    """Ask for a pipe buffer of `size` bytes; the default stays when the system refuses."""
    with contextlib.suppress(OSError):  # EPERM above /proc/sys/fs/pipe-max-size or user quota
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
