"""Adapter: the output of one command: its two pipes, forwarded by the executor's thread.

`Forwarder` belongs to an executor and keeps the forwarding thread (`forwarding_thread.Loop`)
for as long as the executor lives; `Forwarding` is what one command adds to it and waits for.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable

from ...domain.masking import Masker
from .forwarding_thread import Loop
from .log_records import LineRecords
from .output_stream import OutputStream, Tail, enlarge_pipe

RecordsFactory = Callable[[int], LineRecords]
"""Makes the log records of one stream, given the fd it goes to (`log_records`)."""


class Forwarder:
    """Hands each command's pipes to one long-lived thread, started at the first command.

    The thread ends with `close`, or when this object is garbage collected (its executor is).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._loop: Loop | None = None
        self._shut: weakref.finalize[[], Forwarder] | None = None
        self._starting = threading.Lock()  # commands may start from several threads at once

    def forwarding(
        self,
        sinks: list[int],
        *,
        mask: tuple[bytes, ...],
        tee: Callable[[bytes | memoryview], None] | None = None,
        records: RecordsFactory | None = None,
    ) -> Forwarding:
        """Pipes for a child's streams, to start it with, forwarded to `sinks` from now on
        (and to `tee`, if any: see `OutputStream`; as log records made by `records`, if any)."""
        with self._starting:
            if self._loop is not None and self._loop.pid != os.getpid():
                self._abandon()  # a forked child: the thread is the parent's, and the epoll
            if self._loop is None or not self._loop.alive:  # first use, or the thread failed
                self.close()
                self._loop = Loop(self._clock)
                self._shut = weakref.finalize(self, self._loop.shut)
                self._shut.atexit = False  # a daemon thread: nothing to end at the exit
            loop = self._loop
        return Forwarding(loop, sinks, mask=mask, clock=self._clock, tee=tee, records=records)

    def close(self) -> None:
        """End the thread (if any) and release what it used; a later command starts another."""
        if self._shut is not None:
            self._shut()
        self._loop = self._shut = None

    def _abandon(self) -> None:
        if self._shut is not None and self._loop is not None:
            self._shut.detach()
            self._loop.abandon()
        self._loop = self._shut = None


class Forwarding:
    """The output of one command: a pipe per sink, forwarded by `loop`, and the `tail`.

    `child_ends` are the pipes' write ends, for the child (in the order of `sinks`); the
    parent lets go of them with `release_child_ends` once the child has them. Each of the
    `mask` values is replaced with `***`, in each stream on its own.
    """

    def __init__(
        self,
        loop: Loop,
        sinks: list[int],
        *,
        mask: tuple[bytes, ...],
        clock: Callable[[], float],
        tee: Callable[[bytes | memoryview], None] | None = None,
        records: RecordsFactory | None = None,
    ) -> None:
        self.tail = Tail()
        self.streams: list[OutputStream] = []
        self.child_ends: list[int] = []
        self.until: float | None = None
        self._loop = loop
        self._clock = clock
        self._ended = threading.Lock()  # held until the loop is done with the streams
        self._ended.acquire()
        self._finished = False
        self._error: BaseException | None = None
        try:
            for sink in sinks:
                self._add_pipe(sink, Masker(mask), tee, None if records is None else records(sink))
            loop.add(self)
        except BaseException:
            self.release_child_ends()
            self._release()
            raise

    def _add_pipe(
        self,
        sink: int,
        masker: Masker,
        tee: Callable[[bytes | memoryview], None] | None,
        records: LineRecords | None,
    ) -> None:
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        self.streams.append(
            OutputStream(read_end, sink, tail=self.tail, masker=masker, tee=tee, records=records)
        )
        self.child_ends.append(write_end)
        enlarge_pipe(read_end)

    def release_child_ends(self) -> None:
        for fd in self.child_ends:
            os.close(fd)
        self.child_ends = []

    def done(self, error: BaseException | None) -> None:
        """Called by the loop: the streams ended (or were cut short), `error` if it failed."""
        self._error = error
        self._finished = True
        self._ended.release()

    def finish(self, drain: float) -> None:
        """Forward what the pipes still hold, for at most `drain` seconds, and let go of them.

        Usually they ended already: the command's group is gone, so its pipes are at their end.
        Raises what forwarding failed with, if anything (a fault of the runtime itself).
        """
        self._wait(self._clock() + drain)
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop forwarding at once if `finish` was not reached, then release the pipes."""
        self._wait(self._clock())
        self.release_child_ends()
        self._release()

    def _wait(self, until: float) -> None:
        if self._ended.locked() and not self._finished:
            self._loop.stop(self, until)
            self._ended.acquire()

    def _release(self) -> None:
        for stream in self.streams:
            os.close(stream.source)
        self.streams = []
