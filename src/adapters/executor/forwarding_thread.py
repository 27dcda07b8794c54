"""Adapter: one thread that forwards the output of every command an executor runs.

The thread, its epoll and its wakeup pipe live as long as the executor (started at its first
command, ended when it is closed or garbage collected); each command only adds its two pipes
(`command_output.Forwarding`) and waits for them to end. The thread reads a stream again and
again while it has bytes, and waits (epoll) only once every stream is empty: a chatty child
costs neither a wakeup of the supervision loop nor a wait per read. When it wakes up, it
serves the streams in the order epoll reports them ready (first come, first served), so that
the kept output reads in the order it was printed (for that, a command's pipes are watched
before it starts); while one stream floods, epoll is asked about the others every BURST reads.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Callable
from typing import Protocol

from .output_stream import Moved, OutputStream

BURST = 16  # reads of one stream in a row, at most, before epoll is asked about the others


class Job(Protocol):
    """One command's streams, as the loop sees them (`command_output.Forwarding`)."""

    streams: list[OutputStream]
    until: float | None  # set once the command's group is gone: forward no longer than this

    def done(self, error: BaseException | None) -> None:
        """Called once, by the loop, when the job's streams ended or were cut short."""


class Loop:
    """The forwarding thread and what it watches. `add` and `stop` are called from others."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._epoll = select.epoll()
        self._epoll.register(self._wake_read, select.EPOLLIN)
        self._owners: dict[int, Job] = {}  # source fd -> its job
        self._streams: dict[int, OutputStream] = {}
        self._stopping: list[Job] = []
        self._framing = False  # whether output is framed as log records (partial lines wait)
        self.pid = os.getpid()  # the thread exists in this process only
        self._lock = threading.Lock()  # for `alive`, `_closed` and the registrations of jobs
        self.alive = True
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="forward-output", daemon=True)
        self._thread.start()

    def add(self, job: Job) -> None:
        """Watch `job`'s streams from now on (before its child starts, for the order)."""
        with self._lock:
            if not self.alive:
                raise RuntimeError("the output forwarding thread has ended")
            try:
                for stream in job.streams:
                    self._owners[stream.source] = job
                    self._streams[stream.source] = stream
                    self._epoll.register(stream.source, select.EPOLLIN)
                    self._framing = self._framing or stream.framed
            except BaseException:
                for stream in job.streams:
                    self._owners.pop(stream.source, None)
                    if self._streams.pop(stream.source, None) is not None:
                        with contextlib.suppress(OSError):
                            self._epoll.unregister(stream.source)
                raise

    def stop(self, job: Job, until: float) -> None:
        """Let `job` end once its pipes are empty, or at `until` at the latest."""
        job.until = until
        self._stopping.append(job)
        self._wake()

    def shut(self) -> None:
        """End the thread (jobs still watched are ended too), and wait for it unless it is us."""
        with self._lock:
            self.alive = False
        self._wake()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def abandon(self) -> None:
        """In a forked child: close this process's copies of the loop's fds, nothing more."""
        self.alive, self._closed = False, True
        self._epoll.close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _wake(self) -> None:
        with self._lock, contextlib.suppress(BlockingIOError):  # full: a wakeup is pending
            if not self._closed:
                os.write(self._wake_write, b"\0")

    def _run(self) -> None:
        error: BaseException | None = None
        try:
            self._forward()
        except BaseException as failure:  # handed to every job still watched
            error = failure
        with self._lock:
            self.alive = False
            jobs = set(self._owners.values())
        for job in jobs:
            self._end(job, error)
        with self._lock:
            self._closed = True
            self._epoll.close()
            os.close(self._wake_read)
            os.close(self._wake_write)

    def _forward(self) -> None:
        """Until shut (the hot loop: kept flat)."""
        busy: list[OutputStream] = []  # the streams that may have bytes, in arrival order
        epoll, streams, stopping, wake = self._epoll, self._streams, self._stopping, self._wake_read
        while self.alive:
            # The jobs asked to stop before this poll: what their pipes hold shows in it. (One
            # asked later may have bytes this poll did not see: it waits for the next poll.)
            stopped = tuple(stopping)
            # Wait only when no stream is busy and no job is stopping; the order epoll reports
            # the pipes ready in is the order their bytes arrived in.
            wait = 0 if busy or stopped else self._until_flush() if self._framing else -1
            for fd, _ in epoll.poll(wait):
                stream = streams.get(fd)
                if stream is not None:
                    if stream not in busy:
                        busy.append(stream)
                elif fd == wake:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake, 4096)
            if self._framing:
                self._flush_due(busy)
            for stream in tuple(busy):
                try:
                    moved = stream.move(BURST)
                except Exception as error:  # a fault of that command's output
                    self._end(self._owners[stream.source], error, busy)
                    continue
                if moved is not Moved.BYTES:
                    busy.remove(stream)
                if moved is Moved.END:
                    self._drop(stream)
                    job = self._owners.pop(stream.source)
                    if not self._watched(job):
                        self._end(job, None)
            if stopped:  # after the reads: a stopping job's bytes are forwarded, not dropped
                self._end_stopped(stopped, busy)

    def _until_flush(self) -> float:
        """Seconds until a partial line is due (-1: wait for bytes alone)."""
        # A copy taken in one step (workers add streams meanwhile, under the lock): iterating
        # the live view runs bytecode between items, where another thread may add one.
        streams = tuple(self._streams.values())
        due = [at for stream in streams if (at := stream.flush_at) is not None]
        return -1 if not due else max(0.0, min(due) - self._clock())

    def _flush_due(self, busy: list[OutputStream]) -> None:
        now = self._clock()
        for stream in tuple(self._streams.values()):  # a copy, as in `_until_flush`
            at = stream.flush_at
            if at is not None and at <= now:
                try:
                    stream.flush_partial()
                except Exception as error:  # a fault of that command's output
                    self._end(self._owners[stream.source], error, busy)

    def _end_stopped(self, stopped: tuple[Job, ...], busy: list[OutputStream]) -> None:
        """End the `stopped` jobs whose pipes are empty now (or whose time is up)."""
        now = self._clock()
        for job in stopped:
            watched = self._watched(job)
            if not watched:  # ended by itself in the meantime
                with contextlib.suppress(ValueError):  # and taken off the list then
                    self._stopping.remove(job)
            elif now >= (job.until or 0.0) or not any(stream in busy for stream in watched):
                self._end(job, None, busy)

    def _watched(self, job: Job) -> list[OutputStream]:
        """The streams of `job` still watched. By identity: once a job has ended, its fds may
        be closed and reused by the pipes of another job (which a late `stop` must not end)."""
        streams = self._streams
        return [stream for stream in job.streams if streams.get(stream.source) is stream]

    def _end(
        self, job: Job, error: BaseException | None, busy: list[OutputStream] | None = None
    ) -> None:
        """Stop watching `job`'s streams, forward what masking held back, and tell it."""
        for stream in self._watched(job):
            self._drop(stream)
            self._owners.pop(stream.source, None)
            if busy is not None and stream in busy:
                busy.remove(stream)
            if error is None:
                try:
                    stream.close()
                except Exception as failure:  # a fault of that command's output
                    error = failure
        if job in self._stopping:
            self._stopping.remove(job)
        job.done(error)

    def _drop(self, stream: OutputStream) -> None:
        del self._streams[stream.source]
        with contextlib.suppress(OSError, ValueError):  # the epoll is closed once the loop ended
            self._epoll.unregister(stream.source)
