"""Domain: the idempotency guard's policy: claim a key, or wait for whoever holds it.

Pure: the store, the clock and the sleep are passed in. One invocation either acquires the key
(and then runs the command and calls `finish` or `abandon`), replays the outcome stored by the
run that completed it, or is refused. A key IN_PROGRESS elsewhere is waited for, with
consistent reads, until it completes, disappears or lapses (its holder's deadline passed);
if this invocation's own deadline comes first, it is refused with `AlreadyInProgress`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import ErrorType
from .idempotency import IdempotencyStore, Outcome, Reading, Record, Status, read_record

FIRST_POLL = 0.1  # seconds; doubled after each poll, up to LAST_POLL
LAST_POLL = 1.0
DEFAULT_TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """What one invocation asks for: `key` for the event whose hash is `event_hash`.

    `deadline_ms` is the invocation's own deadline (Unix milliseconds), `None` for none. With a
    `tenant_id` the key is that tenant's own: the store keeps it apart from every other
    tenant's same key (`store_key`).
    """

    key: str
    event_hash: str
    request_id: str
    deadline_ms: int | None = None
    tenant_id: str | None = None

    @property
    def store_key(self) -> str:
        """The key in the store: `key` itself, or with a tenant `tenant<length>:<tenant>:<key>`
        (the length makes it unambiguous whatever the tenant id holds)."""
        if self.tenant_id is None:
            return self.key
        return f"tenant{len(self.tenant_id)}:{self.tenant_id}:{self.key}"


@dataclass(frozen=True, slots=True)
class Acquired:
    """The key is this invocation's: run the command, then `finish` or `abandon`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """The key was completed by `request_id`: its `outcome` is this invocation's too."""

    outcome: Outcome
    request_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """The command must not run for this invocation; the message says why."""

    error_type: ErrorType
    message: str


Decision = Acquired | Replay | Refused


class Guard:
    """Acquires keys in a store; `now_ms` is Unix time in milliseconds (a wall clock: the
    deadlines and expiries are shared by sandboxes on other machines)."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        now_ms: Callable[[], int],
        sleep: Callable[[float], None],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        margin_ms: int = 0,
        on_wait: Callable[[Record], None] | None = None,
    ) -> None:
        self._store = store
        self._now_ms = now_ms
        self._sleep = sleep
        self._ttl = ttl_seconds
        self._margin_ms = margin_ms  # kept before our deadline, to report what happened
        self._on_wait = on_wait

    def acquire(self, claim: Claim) -> Decision:
        """Claim the key, or wait for its holder; raises `StoreUnavailable` from the store."""
        waiting = _Waiting()
        while True:
            now = self._now_ms()
            held = self._store.claim(self._record(claim, now), now_ms=now)
            if held is None:
                return Acquired()
            decision = self._wait(claim, held, now, waiting)
            if decision is not None:
                return decision

    def _wait(
        self, claim: Claim, held: Record | None, now: int, waiting: _Waiting
    ) -> Decision | None:
        """Wait while `held` is busy; `None` when the key is free to claim again."""
        while True:
            reading = read_record(held, claim.event_hash, now)
            if reading is Reading.FREE:
                return None
            assert held is not None
            if reading is not Reading.BUSY:
                return _settled(reading, held, claim)
            if not waiting.announced and self._on_wait is not None:
                self._on_wait(held)
            waiting.announced = True
            left = self._time_left(claim, now)
            if left is not None and left <= 0:
                return _already_in_progress(held, claim)
            self._sleep(waiting.poll if left is None else min(waiting.poll, left / 1000))
            waiting.poll = min(waiting.poll * 2, LAST_POLL)
            now = self._now_ms()
            held = self._store.read(claim.store_key)

    def finish(self, claim: Claim, outcome: Outcome) -> bool:
        """Store the outcome of the run; `False` when the claim had been taken over."""
        expires_at = self._now_ms() // 1000 + self._ttl
        return self._store.complete(claim.store_key, claim.request_id, outcome, expires_at)

    def abandon(self, claim: Claim) -> bool:
        """Give the key up (the command did not start): a retry can claim it at once."""
        return self._store.release(claim.store_key, claim.request_id)

    def _record(self, claim: Claim, now_ms: int) -> Record:
        expires_at = now_ms // 1000 + self._ttl
        if claim.deadline_ms is not None:  # a TTL shorter than the run must not free the key
            expires_at = max(expires_at, -(-claim.deadline_ms // 1000))
        return Record(
            key=claim.store_key,
            status=Status.IN_PROGRESS,
            event_hash=claim.event_hash,
            request_id=claim.request_id,
            expires_at=expires_at,
            # Without a deadline (a local run) the claim holds until the record expires.
            in_progress_until=claim.deadline_ms or expires_at * 1000,
        )

    def _time_left(self, claim: Claim, now_ms: int) -> int | None:
        if claim.deadline_ms is None:
            return None
        return claim.deadline_ms - self._margin_ms - now_ms


@dataclass(slots=True)
class _Waiting:
    poll: float = FIRST_POLL
    announced: bool = False


def _settled(reading: Reading, held: Record, claim: Claim) -> Decision:
    if reading is Reading.COMPLETED:
        assert held.outcome is not None, "a COMPLETED record has an outcome"
        return Replay(outcome=held.outcome, request_id=held.request_id)
    return Refused(
        error_type=ErrorType.IDEMPOTENCY_KEY_REUSED,
        message=f"The idempotency key {claim.key!r} was already used for a different event "
        f"(by request {held.request_id}). Use a new key for a new intent, or resend the "
        "same event to get the first run's outcome.",
    )


def _already_in_progress(held: Record, claim: Claim) -> Refused:
    return Refused(
        error_type=ErrorType.ALREADY_IN_PROGRESS,
        message=f"The command for idempotency key {claim.key!r} is still running "
        f"(request {held.request_id}) and did not finish before this invocation's deadline. "
        "It was not run again: invoke again later to get its outcome.",
    )
