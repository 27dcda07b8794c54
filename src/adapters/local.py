"""Adapter: the local transport. One event from standard input (or `--event`), one outcome."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import BinaryIO

from ..domain.invocation import Invocation
from ..domain.policy import Verdict
from .wire import encode_verdict


class LocalTransport:
    """Delivers exactly one invocation read by `read_event`, and keeps its verdict.

    This is the transport behind `docker run -i image < event.json`. When `result_sink` is
    given, the result or error body is written to it as one line of JSON.
    """

    def __init__(
        self, read_event: Callable[[], bytes], result_sink: BinaryIO | None = None
    ) -> None:
        self._read_event = read_event
        self._result_sink = result_sink
        self._delivered = False
        self.verdict: Verdict | None = None

    def next_invocation(self) -> Invocation | None:
        if self._delivered:
            return None
        self._delivered = True
        return Invocation(request_id=str(uuid.uuid4()), payload=self._read_event())

    def open_stream(self, invocation: Invocation) -> None:
        """None: locally the output goes to stdout as it comes already; `stream` changes nothing."""

    def report(self, invocation: Invocation, verdict: Verdict) -> None:
        self.verdict = verdict
        if self._result_sink is not None:
            self._result_sink.write(encode_verdict(verdict) + b"\n")
            self._result_sink.flush()
