"""Adapter: the Runtime API's state for a Managed Instances sandbox: many invocations at once.

As `Exchange`, but the invoker's `run` may be called from several threads at once: each event
waits until one of the runtime's workers is parked on `next` and takes it, and each is
answered (or times out) on its own, by its request id. Init, extensions, exit and close are
the sandbox's, shared by all, as in `Exchange`.
"""

from __future__ import annotations

import collections
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

from .exchange import DEFAULT_INIT_TIMEOUT, RESPONSE_LIMIT, Exchange
from .extensions import ContractError, SandboxClosedError
from .outcomes import (
    Answered,
    Delivery,
    Event,
    Exited,
    Outcome,
    ResponseStream,
    TimedOut,
    kept_error_type,
    streamed_error,
)


@dataclass(eq=False, slots=True, kw_only=True)
class _Invocation:
    """One event handed over by the invoker, from `run` until its outcome."""

    event: Event
    sink: Callable[[bytes], None] | None
    deadline: float | None = None  # monotonic, once a worker took it
    invocation_id: str | None = None  # given when a worker took it; its answers must match
    outcome: Outcome | None = None
    kept: bytearray = field(default_factory=bytearray)


class SharedExchange(Exchange):
    """Hands events to a runtime's concurrent workers and their answers back."""

    def __init__(self, *, timeout: float, init_timeout: float = DEFAULT_INIT_TIMEOUT) -> None:
        super().__init__(timeout=timeout, init_timeout=init_timeout)
        self._queued: collections.deque[_Invocation] = collections.deque()
        self._taken: dict[str, _Invocation] = {}
        self._handed_out = False  # an event was taken before: the runtime is warm

    def run(self, event: Event, sink: Callable[[bytes], None] | None = None) -> Outcome:
        with self._changed:
            invocation = _Invocation(event=event, sink=sink)
            self._queued.append(invocation)
            self._changed.notify_all()
            # Until a worker takes it: the init allowance while none ever took an event, else
            # the function's timeout (Lambda's clock runs from the dispatch).
            warm = self._handed_out
            take_deadline = self._clock() + (self._timeout if warm else self._init_timeout)
            try:
                outcome = self._wait_for(invocation, take_deadline, during_init=not warm)
                if isinstance(outcome, TimedOut) and invocation.deadline is not None:
                    self._timed_out.add(event.request_id)  # taken, then late: its answer is a 410
                return outcome
            finally:
                if invocation in self._queued:
                    self._queued.remove(invocation)
                if self._taken.get(event.request_id) is invocation:
                    del self._taken[event.request_id]

    def _wait_for(
        self, invocation: _Invocation, take_deadline: float, *, during_init: bool
    ) -> Outcome:
        while True:
            if invocation.outcome is not None:
                return invocation.outcome
            if self._init_failure is not None:
                return self._init_failure
            if self._exit_status is not None:
                return Exited(self._exit_status)
            taken = invocation.deadline is not None
            remaining = (invocation.deadline or take_deadline) - self._clock()
            if remaining <= 0:
                init = during_init and not taken
                return TimedOut(self._init_timeout if init else self._timeout, during_init=init)
            self._changed.wait(remaining)

    def next(self) -> Delivery:
        """Block until an event waits (and every extension is ready); this worker takes it."""
        with self._changed:
            if not self._next_called:
                self.init_seconds = self._clock() - self._created
            self._next_called = True
            self._changed.notify_all()
            while not self._closed and (not self._queued or not self._extensions_ready()):
                self._changed.wait()
            if self._closed:
                raise SandboxClosedError
            invocation = self._queued.popleft()
            invocation.deadline = self._clock() + self._timeout
            invocation.invocation_id = str(uuid.uuid4())
            self._taken[invocation.event.request_id] = invocation
            self._handed_out = True
            self._changed.notify_all()
            deadline_ms = int((self._wall_clock() + self._timeout) * 1000)
            return Delivery(
                event=invocation.event,
                deadline_ms=deadline_ms,
                invocation_id=invocation.invocation_id,
            )

    def respond(
        self, request_id: str, body: bytes | None, invocation_id: str | None = None
    ) -> None:
        with self._changed:
            invocation = self._check(request_id, invocation_id)
            if body is None or len(body) > RESPONSE_LIMIT:
                self._refuse_too_large(invocation, RESPONSE_LIMIT)
            self._end(invocation, Answered(body))

    def open_stream(self, request_id: str, invocation_id: str | None = None) -> ResponseStream:
        with self._changed:
            self._check(request_id, invocation_id)
            return ResponseStream(request_id, invocation_id)

    def stream(self, response: ResponseStream, piece: bytes) -> None:
        with self._changed:
            invocation = self._check(response.request_id, response.invocation_id)
            response.size += len(piece)
            if response.size > self._stream_limit:
                self._refuse_too_large(invocation, self._stream_limit)
            if invocation.sink is not None:
                invocation.sink(piece)
                return
            response.kept += piece
            if len(response.kept) > RESPONSE_LIMIT:
                self._refuse_too_large(invocation, RESPONSE_LIMIT)

    def close_stream(
        self, response: ResponseStream, error_type: str | None, error_body: str | None
    ) -> None:
        with self._changed:
            invocation = self._check(response.request_id, response.invocation_id)
            if error_type is None and error_body is None:
                self._end(invocation, Answered(bytes(response.kept)))
            else:
                self._end(invocation, streamed_error(error_type, error_body))

    def fail(
        self, request_id: str, body: bytes, error_type: str | None, invocation_id: str | None = None
    ) -> None:
        with self._changed:
            invocation = self._check(request_id, invocation_id)
            self._end(invocation, Answered(body, kept_error_type(error_type, "Function.Unknown")))

    def _refuse_too_large(self, invocation: _Invocation, limit: int) -> NoReturn:
        message = f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
        error_type = "Function.ResponseSizeTooLarge"
        document = {"errorMessage": message, "errorType": error_type}
        self._end(invocation, Answered(json.dumps(document).encode(), error_type))
        raise ContractError(413, "RequestEntityTooLarge", message)

    def _check(self, request_id: str, invocation_id: str | None = None) -> _Invocation:
        """The invocation `request_id` answers; 410 for a wrong invocation id or an invocation
        that timed out, as Lambda."""
        invocation = self._taken.get(request_id)
        if invocation is not None and invocation.outcome is None:
            if invocation_id is not None and invocation_id != invocation.invocation_id:
                message = f"Invocation id {invocation_id} is not the current invocation's."
                raise ContractError(410, "InvokeTimeout", message)
            return invocation
        if request_id in self._answered:
            raise ContractError(403, "InvalidStateTransition", f"{request_id} is already answered.")
        if request_id in self._timed_out:
            raise ContractError(410, "InvokeTimeout", f"{request_id} timed out.")
        raise ContractError(400, "InvalidRequestID", f"{request_id} is not a current request id.")

    def _end(self, invocation: _Invocation, outcome: Outcome) -> None:
        self._answered.add(invocation.event.request_id)
        invocation.outcome = outcome
        self._changed.notify_all()
