"""Adapter: the Runtime API's state for one emulated sandbox, shared by handlers and invoker.

One invocation at a time, as in one Lambda sandbox: the invoker hands an event over with `run`
and waits; the runtime takes it with `next` and answers it with `respond` or `fail` (or streams
its response: `open_stream`, `stream`, `close_stream`), or reports `init_error` before its first
`next`. What the contract forbids raises `ContractError`, which the HTTP layer answers with
its status (400 unknown request id, 403 wrong state, 410 timed out, 413 too large).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import NoReturn

from .extensions import ContractError, Extensions, SandboxClosedError
from .outcomes import (
    Answered,
    Delivery,
    Event,
    Exited,
    InitFailed,
    Outcome,
    ResponseStream,
    TimedOut,
    kept_error_type,
    streamed_error,
)

RESPONSE_LIMIT = 6 * 1024 * 1024
"""Bytes a buffered response may have; Lambda's limit for synchronous invocations."""

STREAM_LIMIT = 200 * 1024 * 1024
"""Bytes a streamed response may have, as on Lambda."""

DEFAULT_INIT_TIMEOUT = 10.0
"""Seconds a runtime has to start and ask for its first event, as on Lambda."""


class Exchange(Extensions):
    """Hands events to the runtime and its answers back, enforcing the Runtime API's rules."""

    def __init__(
        self,
        *,
        timeout: float,
        init_timeout: float = DEFAULT_INIT_TIMEOUT,
        stream_limit: int = STREAM_LIMIT,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._timeout = timeout
        self._init_timeout = init_timeout
        self._stream_limit = stream_limit
        self._wall_clock = wall_clock
        self._clock = clock
        self._changed = threading.Condition()
        self._pending: Event | None = None
        self._current: Event | None = None
        self._deadline = 0.0
        self._outcome: Outcome | None = None
        self._sink: Callable[[bytes], None] | None = None
        self._answered: set[str] = set()
        self._timed_out: set[str] = set()  # handed out, then timed out: a late answer is a 410
        self._invocation_id: str | None = None
        self._next_called = False
        self._restored = False
        self._init_failure: InitFailed | None = None
        self._exit_status: int | None = None
        self._closed = False
        self._created = clock()
        self.init_seconds: float | None = None
        """How long the runtime took to ask for its first event; None until it has."""

    # The invoker's side.

    def run(self, event: Event, sink: Callable[[bytes], None] | None = None) -> Outcome:
        """Hand `event` to the runtime and wait for what became of it.

        With a `sink`, a streamed response goes to it piece by piece as it arrives (never
        after `run` returned; `sink` must not block); the `Answered` body is then empty.
        Without one, the streamed pieces make the body, as a buffered response does.
        """
        with self._changed:
            self._pending, self._outcome, self._sink = event, None, sink
            self._changed.notify_all()
            # Until the runtime takes the event: the init allowance while it has never asked
            # for one, else the function's timeout (Lambda's clock runs from the dispatch).
            warm = self._invocation_id is not None  # an event was handed out before
            wait = self._timeout if warm else self._init_timeout
            try:
                outcome = self._wait_for_outcome(self._clock() + wait, during_init=not warm)
                if isinstance(outcome, TimedOut) and self._current is not None:
                    self._timed_out.add(self._current.request_id)
                return outcome
            finally:
                self._pending = self._current = self._sink = None

    def _wait_for_outcome(self, take_deadline: float, *, during_init: bool) -> Outcome:
        while True:
            if self._outcome is not None:
                return self._outcome
            if self._init_failure is not None:
                return self._init_failure
            if self._exit_status is not None:
                return Exited(self._exit_status)
            taken = self._current is not None
            remaining = (self._deadline if taken else take_deadline) - self._clock()
            if remaining <= 0:
                init = during_init and not taken
                return TimedOut(self._init_timeout if init else self._timeout, during_init=init)
            self._changed.wait(remaining)

    def runtime_exited(self, status: int) -> None:
        with self._changed:
            self._exit_status = status
            self._changed.notify_all()

    @property
    def exit_status(self) -> int | None:
        return self._exit_status

    def close(self) -> None:
        """Release every waiting handler: the runtime is being stopped."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    # The runtime's side.

    def next(self) -> Delivery:
        """Block until an event is there (and every extension is ready), then hand it out."""
        with self._changed:
            if self._current is not None:
                raise ContractError(
                    403, "InvalidStateTransition", "The current event is not answered."
                )
            if not self._next_called:
                self.init_seconds = self._clock() - self._created
            self._next_called = True
            self._changed.notify_all()
            while not self._closed and (self._pending is None or not self._extensions_ready()):
                self._changed.wait()
            if self._closed or self._pending is None:
                raise SandboxClosedError
            self._current, self._pending = self._pending, None
            # The function's timeout runs from now: the invoker waits for this deadline.
            self._deadline = self._clock() + self._timeout
            self._invocation_id = str(uuid.uuid4())
            self._changed.notify_all()
            deadline_ms = int((self._wall_clock() + self._timeout) * 1000)
            return Delivery(
                event=self._current, deadline_ms=deadline_ms, invocation_id=self._invocation_id
            )

    def restore_next(self) -> None:
        """SnapStart: the environment is "restored" at once (there is no snapshot here)."""
        with self._changed:
            if self._next_called:
                message = "restore/next comes before invocation/next."
                raise ContractError(403, "InvalidStateTransition", message)
            self._restored = True

    def restore_error(self, body: bytes, error_type: str | None) -> None:
        """SnapStart: the runtime could not renew its state after the restore."""
        with self._changed:
            if not self._restored or self._next_called:
                message = "restore/error follows restore/next only."
                raise ContractError(403, "InvalidStateTransition", message)
            self._init_failure = InitFailed(body, kept_error_type(error_type, "Runtime.Unknown"))
            self._changed.notify_all()

    def respond(
        self, request_id: str, body: bytes | None, invocation_id: str | None = None
    ) -> None:
        """Answer with `body`; `None` stands for a body too large to have been read at all."""
        with self._changed:
            self._check_current(request_id, invocation_id)
            if body is None or len(body) > RESPONSE_LIMIT:
                self._too_large(RESPONSE_LIMIT)
            self._finish(Answered(body))

    def open_stream(self, request_id: str, invocation_id: str | None = None) -> ResponseStream:
        """A streamed response for `request_id` begins."""
        with self._changed:
            self._check_current(request_id, invocation_id)
            return ResponseStream(request_id, invocation_id)

    def stream(self, response: ResponseStream, piece: bytes) -> None:
        """Pass a piece on to the invoker; refused once the invocation is over or too large."""
        with self._changed:
            self._check_current(response.request_id, response.invocation_id)
            response.size += len(piece)
            if response.size > self._stream_limit:
                self._too_large(self._stream_limit)
            if self._sink is not None:
                self._sink(piece)
                return
            response.kept += piece
            if len(response.kept) > RESPONSE_LIMIT:  # the invoker waits for a buffered body
                self._too_large(RESPONSE_LIMIT)

    def close_stream(
        self, response: ResponseStream, error_type: str | None, error_body: str | None
    ) -> None:
        """The stream ended; its trailers (error type, base64 error body) mark a failure."""
        with self._changed:
            self._check_current(response.request_id, response.invocation_id)
            if error_type is None and error_body is None:
                self._finish(Answered(bytes(response.kept)))
            else:
                self._finish(streamed_error(error_type, error_body))

    def _too_large(self, limit: int) -> NoReturn:
        message = f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
        error_type = "Function.ResponseSizeTooLarge"
        document = {"errorMessage": message, "errorType": error_type}
        self._finish(Answered(json.dumps(document).encode(), error_type))
        raise ContractError(413, "RequestEntityTooLarge", message)

    def fail(
        self, request_id: str, body: bytes, error_type: str | None, invocation_id: str | None = None
    ) -> None:
        with self._changed:
            self._check_current(request_id, invocation_id)
            self._finish(Answered(body, kept_error_type(error_type, "Function.Unknown")))

    def init_error(self, body: bytes, error_type: str | None) -> None:
        with self._changed:
            if self._next_called:
                raise ContractError(403, "InvalidStateTransition", "Init is over: next was called.")
            self._init_failure = InitFailed(body, kept_error_type(error_type, "Runtime.Unknown"))
            self._changed.notify_all()

    def _check_current(self, request_id: str, invocation_id: str | None = None) -> None:
        """Refuse an answer that is not the current invocation's: 410 for a wrong invocation
        id or an invocation that timed out (the answer of an invocation that is over), as
        Lambda does; none given is fine."""
        if self._current is not None and self._current.request_id == request_id:
            if invocation_id is not None and invocation_id != self._invocation_id:
                message = f"Invocation id {invocation_id} is not the current invocation's."
                raise ContractError(410, "InvokeTimeout", message)
            return
        if request_id in self._answered:
            raise ContractError(403, "InvalidStateTransition", f"{request_id} is already answered.")
        if request_id in self._timed_out:
            raise ContractError(410, "InvokeTimeout", f"{request_id} timed out.")
        raise ContractError(400, "InvalidRequestID", f"{request_id} is not the current request id.")

    def _finish(self, outcome: Answered) -> None:
        assert self._current is not None
        self._answered.add(self._current.request_id)
        self._current, self._outcome = None, outcome
        self._changed.notify_all()
