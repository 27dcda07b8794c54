"""App: one invocation waiting for an emulator's worker, and its result (streamed or whole)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from ...adapters.emulator.invoke_api import InvokeRequest, InvokeResult


class Job:
    """One invocation waiting for its turn; `result()` blocks until it has run.

    (Not concurrent.futures: the standalone build leaves that package out.)
    """

    def __init__(self, request: InvokeRequest, *, streaming: bool = False) -> None:
        self.request = request
        self._result: InvokeResult | None = None
        self._done = threading.Event()
        self._pieces: queue.SimpleQueue[bytes | None] | None = (
            queue.SimpleQueue() if streaming else None
        )

    @property
    def sink(self) -> Callable[[bytes], None] | None:
        """Where a streamed response goes (it never blocks); None for a buffered invocation."""
        return self._pieces.put if self._pieces is not None else None

    def pieces(self) -> Iterator[bytes]:
        """The streamed response's pieces as they come, until the invocation is over."""
        if self._pieces is not None:
            while (piece := self._pieces.get()) is not None:
                yield piece

    def finish(self, result: InvokeResult) -> None:
        self._result = result
        if self._pieces is not None:
            self._pieces.put(None)
        self._done.set()

    def result(self) -> InvokeResult:
        self._done.wait()
        assert self._result is not None
        return self._result
