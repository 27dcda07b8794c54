"""Adapter: forward a child's output as it comes, keeping only its last bytes."""

from __future__ import annotations

import os
import select

from ..domain.result import OUTPUT_TAIL_BYTES

READ_CHUNK = 1024 * 1024


class OutputPump:
    """Copies bytes from pipes to sinks unchanged and remembers the last `OUTPUT_TAIL_BYTES`.

    A sink that fails (a closed stdout) is dropped for good, and the child's output is still
    drained so that it never blocks on a full pipe.
    """

    def __init__(self, limit: int = OUTPUT_TAIL_BYTES) -> None:
        self._limit = limit
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
            data = os.read(source, READ_CHUNK)
        except BlockingIOError:
            return True
        if not data:
            return False
        self._write(sink, data)
        self._keep(data)
        return True

    def _keep(self, data: bytes) -> None:
        self._total += len(data)
        if len(data) >= self._limit:
            self._tail[:] = data[-self._limit :]
        else:
            self._tail += data
            excess = len(self._tail) - self._limit
            if excess > 0:
                del self._tail[:excess]

    def _write(self, sink: int, data: bytes) -> None:
        if sink in self._broken:
            return
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(sink, view) :]
            except BlockingIOError:  # a sink inherited in non-blocking mode
                select.select([], [sink], [])
            except OSError:
                self._broken.add(sink)
                return
