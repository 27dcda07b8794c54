"""Adapter: the Runtime API's `ResponseStream`: output queued in a bounded buffer by the
forwarding thread, and posted as it comes by a thread of its own (`streamed_post.py`).

The forwarding thread never waits for the stream: what does not fit in the buffer (the
connection is slower than the command) or past the limit is dropped from the stream, counted,
and reported by the note that ends it (`domain.streaming`). The log always gets everything.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ...domain.errors import TransportError
from ...domain.streaming import StreamBudget
from .streamed_post import Answer, StreamCutError, StreamedPost, StreamUnreachedError

BUFFER_BYTES = 4 * 1024 * 1024  # two seconds of Lambda's throttled 2 MB/s
LARGEST_CHUNK = 1024 * 1024  # what is queued is sent in chunks of at most this many bytes

log = logging.getLogger("run_command_on_aws_lambda")


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """How a streamed post ended: the API's answer, or the failure that stopped it."""

    answer: Answer | None = None
    failure: TransportError | None = None


class StreamedResponse:
    """One invocation's streamed response. Implements the `ResponseStream` port.

    `open_post` begins the post (in the stream's own thread, once `begin` is called); `end`
    finishes it and says how it went.
    """

    def __init__(
        self,
        open_post: Callable[[], StreamedPost],
        *,
        limit: int,
        buffer_bytes: int = BUFFER_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_post = open_post
        self._budget = StreamBudget(limit)
        self._buffer_bytes = buffer_bytes
        self._clock = clock
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued = 0  # bytes queued or being sent: what the buffer holds
        self._changed = threading.Condition()
        self._accepting = True  # until the post failed or was answered
        self._trailers: Mapping[str, str] | None = None
        self._ending = False
        self._drain_until = 0.0
        self._thread: threading.Thread | None = None
        self._end = StreamEnd(failure=StreamUnreachedError("the streamed post never began"))
        self._after_newline = True

    @property
    def begun(self) -> bool:
        return self._thread is not None

    def begin(self) -> None:
        thread = threading.Thread(target=self._run, name="stream-response", daemon=True)
        try:
            thread.start()
        except RuntimeError as error:  # out of threads: the outcome is posted as usual
            log.error("Cannot stream the response: %s", error)
            return
        self._thread = thread

    def write(self, data: bytes | memoryview) -> None:
        with self._changed:
            if not self._accepting:
                return
            taken = self._budget.admit(len(data), self._buffer_bytes - self._queued)
            if taken:
                self._queue.append(bytes(data[:taken]))
                self._queued += taken
                self._changed.notify()

    def end(self, trailers: Mapping[str, str] | None, *, drain: float) -> StreamEnd:
        """Send what is queued (for at most `drain` seconds more), the note, then the end with
        `trailers`; wait for the answer. Only for a begun stream."""
        assert self._thread is not None, "end() of a stream that was never begun"
        with self._changed:
            self._trailers = trailers
            self._drain_until = self._clock() + drain
            self._ending = True
            self._changed.notify()
        self._thread.join()
        return self._end

    def _run(self) -> None:
        try:
            post = self._open_post()
        except StreamUnreachedError as failure:
            self._stop(StreamEnd(failure=failure))
            return
        try:
            self._stop(self._send(post))
        except TransportError as failure:
            self._stop(StreamEnd(failure=failure))
        except Exception as error:  # a bug: the stream is broken, but the invocation is answered
            log.exception("The streamed response failed.")
            self._stop(
                StreamEnd(failure=StreamCutError(f"the streamed response failed: {error!r}"))
            )
        finally:
            post.close()

    def _stop(self, end: StreamEnd) -> None:
        with self._changed:
            self._accepting = False
            self._end = end

    def _send(self, post: StreamedPost) -> StreamEnd:
        while (batch := self._next_batch()) is not None:
            answer = post.send(batch)
            if answer is not None:
                return StreamEnd(answer=answer)
            self._after_newline = batch.endswith(b"\n")
            with self._changed:
                self._queued -= len(batch)
        with self._changed:
            note = self._budget.note(after_newline=self._after_newline)
            trailers = self._trailers
        if note and (answer := post.send(note)) is not None:
            return StreamEnd(answer=answer)
        return StreamEnd(answer=post.end(trailers))

    def _next_batch(self) -> bytes | None:
        """The next chunk to send; `None` once the stream is ending and nothing is left."""
        with self._changed:
            while not self._queue and not self._ending:
                self._changed.wait()
            if self._ending and self._queue and self._clock() >= self._drain_until:
                self._budget.unsent(self._queued)  # out of time: what is left is not sent
                self._queue.clear()
                self._queued = 0
            if not self._queue:
                return None
            batch = [self._queue.popleft()]
            size = len(batch[0])
            while self._queue and size + len(self._queue[0]) <= LARGEST_CHUNK:
                size += len(self._queue[0])
                batch.append(self._queue.popleft())
        return b"".join(batch)
