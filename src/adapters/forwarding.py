"""Adapter: forward a child's stdout and stderr in a thread of its own, in arrival order.

The thread reads a stream again and again while it has bytes, and waits (epoll) only once
every stream is empty: a chatty child costs neither a wakeup of the supervision loop nor a
wait per read, and the thread runs in parallel with that loop (the GIL is released in every
system call). When it wakes up, it serves the streams in the order epoll reports them ready
(first come, first served), so that the kept output reads in the order it was printed (for
that, the pipes are watched before the child starts); while one stream floods, epoll is
asked about the others every BURST reads.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Callable

from ..domain.masking import Masker
from .output import Moved, OutputStream, Tail, enlarge_pipe

BURST = 16  # reads of one stream in a row, at most, before epoll is asked about the others


class StopSwitch:
    """Tells the forwarding thread to end once the pipes are empty, or at `until` at the latest.

    A pipe, so that the thread wakes up from its wait; `until` bounds the last reads (a process
    outside the command's group may hold a pipe open and keep writing).
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.until: float | None = None

    def fileno(self) -> int:
        return self._read

    def pull(self, until: float) -> None:
        if self.until is None:
            self.until = until
            with contextlib.suppress(BlockingIOError):
                os.write(self._write, b"\0")

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


class Forwarding:
    """The output of one command: a pipe per sink, forwarded by one thread, and the `tail`.

    `child_ends` are the pipes' write ends, for the child (in the order of `sinks`); the
    parent lets go of them with `release_child_ends` once the child has them. Each of the
    `mask` values is replaced with `***`, in each stream on its own.
    """

    def __init__(
        self, sinks: list[int], *, mask: tuple[bytes, ...], clock: Callable[[], float]
    ) -> None:
        self.tail = Tail()
        self._clock = clock
        self._stop = StopSwitch()
        self._epoll = select.epoll()
        self._epoll.register(self._stop.fileno(), select.EPOLLIN)
        self._streams: dict[int, OutputStream] = {}
        self._reading: list[int] = []
        self.child_ends: list[int] = []
        try:
            for sink in sinks:
                self._add_pipe(sink, Masker(mask))
        except BaseException:
            self.release_child_ends()
            self._release()
            raise
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="forward-output", daemon=True)

    def _add_pipe(self, sink: int, masker: Masker) -> None:
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        self._reading.append(read_end)
        self.child_ends.append(write_end)
        enlarge_pipe(read_end)
        self._streams[read_end] = OutputStream(read_end, sink, tail=self.tail, masker=masker)
        self._epoll.register(read_end, select.EPOLLIN)

    def release_child_ends(self) -> None:
        for fd in self.child_ends:
            os.close(fd)
        self.child_ends = []

    def start(self) -> None:
        self._thread.start()

    def finish(self, drain: float) -> None:
        """Forward what the pipes still hold, for at most `drain` seconds, and end the thread.

        Usually it ended already: the command's group is gone, so its pipes are at their end.
        Raises what the thread failed with, if anything (a fault of the runtime itself).
        """
        self._stop.pull(until=self._clock() + drain)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """End the thread at once if `finish` was not reached, then release what it used."""
        if self._thread.is_alive():
            self._stop.pull(until=self._clock())
            self._thread.join()
        self.release_child_ends()
        self._release()

    def _release(self) -> None:
        self._epoll.close()
        self._stop.close()
        for fd in self._reading:
            os.close(fd)
        self._reading = []

    def _run(self) -> None:
        try:
            self._forward()
            for stream in self._streams.values():  # cut short: forward what masking held back
                stream.close()
        except BaseException as error:  # handed over to the supervisor by finish()
            self._error = error

    def _forward(self) -> None:
        """Until the pipes end, or are empty after a stop (the hot loop: kept flat)."""
        busy: list[OutputStream] = []  # the streams that may have bytes, in arrival order
        stop, epoll, streams = self._stop, self._epoll, self._streams
        while streams:
            if stop.until is not None and self._clock() >= stop.until:
                return
            # Wait only when no stream is busy and no stop was asked for; the order epoll
            # reports the pipes ready in is the order their bytes arrived in.
            for fd, _ in epoll.poll(0 if busy or stop.until is not None else -1):
                stream = streams.get(fd)
                if stream is not None and stream not in busy:
                    busy.append(stream)
            if not busy and stop.until is not None:
                return
            for stream in tuple(busy):
                moved = stream.move(BURST)
                if moved is not Moved.BYTES:
                    busy.remove(stream)
                if moved is Moved.END:
                    epoll.unregister(stream.source)
                    del streams[stream.source]
