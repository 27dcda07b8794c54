"""Adapter: a command's output as log records of its invocation, when commands run at once.

With several commands forwarding to one stdout, raw bytes would interleave mid-line and no
line could be told apart. Each line becomes one record instead, written whole: in Lambda's
JSON log format an object with `timestamp`, `level`, `message` and `requestId` (bytes that
are not UTF-8 escaped, not dropped); in the text format the line prefixed with its request id.
A very long line is split into several records; a partial line is written after FLUSH_AFTER.
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable

LINE_LIMIT = 64 * 1024  # bytes of output in one record at most (CloudWatch takes 256 KB)
FLUSH_AFTER = 0.2  # seconds a partial line waits for the rest of it


class LineRecords:
    """Frames one stream of one command's output into records written to `sink`."""

    def __init__(
        self,
        sink: int,
        request_id: str,
        *,
        json_format: bool,
        clock: Callable[[], float],
        wall_clock: Callable[[], float] = time.time,
        tenant_id: str | None = None,
    ) -> None:
        self._sink = sink
        self._request_id = request_id
        self._tenant_id = tenant_id
        self._json = json_format
        self._prefix = f"{request_id} ".encode()
        self._clock = clock
        self._wall_clock = wall_clock
        self._partial = bytearray()
        self.flush_at: float | None = None
        """When the partial line held is due to be written; None when none is held."""
        self._broken = False

    def feed(self, data: bytes | memoryview) -> None:
        """Write every whole line `data` completes; hold the rest."""
        partial = self._partial
        partial += data
        start = 0
        while (end := partial.find(b"\n", start)) >= 0:
            while end - start > LINE_LIMIT:  # a long line whose end came in the same read
                self._record(partial[start : start + LINE_LIMIT])
                start += LINE_LIMIT
            self._record(partial[start:end])
            start = end + 1
        while len(partial) - start >= LINE_LIMIT:
            self._record(partial[start : start + LINE_LIMIT])
            start += LINE_LIMIT
        del partial[:start]
        if not partial:
            self.flush_at = None
        elif self.flush_at is None:
            self.flush_at = self._clock() + FLUSH_AFTER

    def flush(self) -> None:
        """Write the partial line held, if any (its time is up, or the stream ended)."""
        if self._partial:
            self._record(self._partial)
            self._partial.clear()
        self.flush_at = None

    def _record(self, line: bytes | bytearray) -> None:
        if self._json:
            created = self._wall_clock()
            document = {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
                + f".{int(created * 1000) % 1000:03d}Z",
                "level": "INFO",
                "message": bytes(line).decode("utf-8", "backslashreplace"),
                "requestId": self._request_id,  # the order of the runtime's own lines
            }
            if self._tenant_id is not None:
                document["tenantId"] = self._tenant_id
            self._write(json.dumps(document, ensure_ascii=False).encode() + b"\n")
        else:
            self._write(self._prefix + line + b"\n")

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._broken:
            try:
                view = view[os.write(self._sink, view) :]
            except BlockingIOError:  # a sink inherited in non-blocking mode
                select.select([], [self._sink], [])
            except OSError:  # a closed stdout: the command's output is still read
                self._broken = True


def records_of(
    request_id: str,
    *,
    json_format: bool,
    clock: Callable[[], float],
    tenant_id: str | None = None,
) -> Callable[[int], LineRecords]:
    """Makes the records of `request_id`'s streams (and its tenant's, if any), given the fd
    each one goes to."""

    def records(sink: int) -> LineRecords:
        return LineRecords(
            sink, request_id, json_format=json_format, clock=clock, tenant_id=tenant_id
        )

    return records
