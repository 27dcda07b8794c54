"""The idempotency guard's policy, with an in-memory store and a clock that only sleeps move."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from run_command_on_aws_lambda.adapters.idempotency.memory import MemoryStore
from run_command_on_aws_lambda.domain.errors import ErrorType, StoreUnavailable
from run_command_on_aws_lambda.domain.guard import Acquired, Claim, Guard, Refused, Replay
from run_command_on_aws_lambda.domain.idempotency import Outcome, Record, Status

START_MS = 1_800_000_000_000
OUTCOME = Outcome(body='{"program": "migrate", "exitCode": 0}')


class Clock:
    """Unix milliseconds that move only when the guard sleeps; `at` runs actions on the way."""

    def __init__(self) -> None:
        self.now = START_MS
        self.sleeps: list[float] = []
        self._actions: list[tuple[int, Callable[[], object]]] = []

    def __call__(self) -> int:
        return self.now

    def at(self, when_ms: int, action: Callable[[], object]) -> None:
        self._actions.append((when_ms, action))

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += round(seconds * 1000)
        for when, action in [a for a in self._actions if a[0] <= self.now]:
            self._actions.remove((when, action))
            action()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def guard_for(store: MemoryStore, clock: Clock, margin_ms: int = 0) -> Guard:
    return Guard(store, now_ms=clock, sleep=clock.sleep, ttl_seconds=3600, margin_ms=margin_ms)


def claim(
    request_id: str, *, event_hash: str = "hash-a", deadline_in: int | None = 60_000
) -> Claim:
    deadline = None if deadline_in is None else START_MS + deadline_in
    return Claim(
        key="migrate-4.2", event_hash=event_hash, request_id=request_id, deadline_ms=deadline
    )


def test_the_first_invocation_acquires_the_key_until_its_own_deadline(
    store: MemoryStore, clock: Clock
) -> None:
    """A free key is claimed IN_PROGRESS until the invocation's deadline, to expire after a TTL."""
    assert guard_for(store, clock).acquire(claim("first")) == Acquired()
    record = store.records["migrate-4.2"]
    assert record.status is Status.IN_PROGRESS
    assert record.request_id == "first"
    assert record.in_progress_until == START_MS + 60_000
    assert record.expires_at == START_MS // 1000 + 3600


def test_a_completed_key_replays_the_stored_outcome_without_waiting(
    store: MemoryStore, clock: Clock
) -> None:
    """After `finish`, the same event gets the first run's outcome and its request id."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    assert guard.finish(claim("first"), OUTCOME)
    assert guard.acquire(claim("retry")) == Replay(outcome=OUTCOME, request_id="first")
    assert clock.sleeps == []


@pytest.mark.parametrize("completed", [False, True])
def test_the_same_key_with_another_event_is_refused_as_reused(
    store: MemoryStore, clock: Clock, completed: bool
) -> None:
    """A key held for one event is IdempotencyKeyReused for any other event, running or done."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    if completed:
        guard.finish(claim("first"), OUTCOME)
    decision = guard.acquire(claim("other", event_hash="hash-b"))
    assert isinstance(decision, Refused)
    assert decision.error_type is ErrorType.IDEMPOTENCY_KEY_REUSED
    assert "'migrate-4.2'" in decision.message
    assert "request first" in decision.message


def test_a_key_in_progress_elsewhere_is_waited_for_until_it_completes(
    store: MemoryStore, clock: Clock
) -> None:
    """A duplicate polls while the first run goes on, then replays its outcome."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    clock.at(START_MS + 5_000, lambda: guard.finish(claim("first"), OUTCOME))
    assert guard.acquire(claim("retry")) == Replay(outcome=OUTCOME, request_id="first")
    assert 5_000 <= clock.now - START_MS < 6_000
    assert clock.sleeps[:5] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert max(clock.sleeps) == 1.0


def test_a_key_released_while_waited_for_is_claimed_and_run(
    store: MemoryStore, clock: Clock
) -> None:
    """When the holder could not start its command, the waiting duplicate gets to run it."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    clock.at(START_MS + 2_000, lambda: guard.abandon(claim("first")))
    assert guard.acquire(claim("retry")) == Acquired()
    assert store.records["migrate-4.2"].request_id == "retry"


def test_a_claim_whose_holder_missed_its_deadline_is_taken_over(
    store: MemoryStore, clock: Clock
) -> None:
    """A holder's deadline passing (its sandbox died) lets a waiter with time left run it."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first", deadline_in=10_000))
    assert guard.acquire(claim("retry", deadline_in=900_000)) == Acquired()
    assert 10_000 < clock.now - START_MS < 11_500
    assert store.records["migrate-4.2"].request_id == "retry"
    assert not guard.finish(claim("first"), OUTCOME), "the old holder no longer owns the key"
    assert store.records["migrate-4.2"].status is Status.IN_PROGRESS


def test_a_lapsed_claim_is_not_taken_over_by_another_event(
    store: MemoryStore, clock: Clock
) -> None:
    """A different event never takes a key over, even from a dead holder."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first", deadline_in=10_000))
    clock.now += 20_000
    decision = guard.acquire(claim("other", event_hash="hash-b"))
    assert isinstance(decision, Refused)
    assert decision.error_type is ErrorType.IDEMPOTENCY_KEY_REUSED


def test_a_waiter_whose_own_deadline_comes_first_is_already_in_progress(
    store: MemoryStore, clock: Clock
) -> None:
    """The wait ends by the waiter's deadline less the margin, with AlreadyInProgress."""
    guard = guard_for(store, clock, margin_ms=300)
    guard.acquire(claim("first", deadline_in=900_000))
    decision = guard.acquire(claim("retry", deadline_in=3_000))
    assert isinstance(decision, Refused)
    assert decision.error_type is ErrorType.ALREADY_IN_PROGRESS
    assert "request first" in decision.message
    assert clock.now == START_MS + 2_700
    assert store.records["migrate-4.2"].request_id == "first"


def test_a_waiter_without_a_deadline_waits_until_the_holder_lapses(
    store: MemoryStore, clock: Clock
) -> None:
    """A local run (no deadline) waits for as long as the holder's claim is valid."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first", deadline_in=30_000))
    assert guard.acquire(claim("local", deadline_in=None)) == Acquired()
    assert 30_000 < clock.now - START_MS < 31_500


def test_a_local_claim_holds_until_the_record_expires(store: MemoryStore, clock: Clock) -> None:
    """Without a deadline the in-progress claim lasts as long as the record (the TTL)."""
    guard_for(store, clock).acquire(claim("local", deadline_in=None))
    record = store.records["migrate-4.2"]
    assert record.in_progress_until == record.expires_at * 1000


def test_an_expired_completed_key_runs_again(store: MemoryStore, clock: Clock) -> None:
    """Once the TTL has passed (TTL deletion lags), the key is free, even for another event."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    guard.finish(claim("first"), OUTCOME)
    clock.now += 3_602_000
    assert guard.acquire(claim("later", event_hash="hash-b")) == Acquired()


def test_an_abandoned_key_can_be_claimed_at_once(store: MemoryStore, clock: Clock) -> None:
    """Releasing deletes the claim, so a retry runs the command without waiting."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    assert guard.abandon(claim("first"))
    assert guard.acquire(claim("retry")) == Acquired()
    assert clock.sleeps == []


def test_the_completed_record_expires_a_ttl_after_completion(
    store: MemoryStore, clock: Clock
) -> None:
    """The expiry (the table's TTL attribute) counts from the moment the outcome is stored."""
    guard = guard_for(store, clock)
    guard.acquire(claim("first"))
    clock.now += 50_000
    guard.finish(claim("first"), OUTCOME)
    record = store.records["migrate-4.2"]
    assert record.expires_at == (START_MS + 50_000) // 1000 + 3600
    assert record.in_progress_until is None


def test_an_unavailable_store_is_an_error_not_an_acquisition(
    store: MemoryStore, clock: Clock
) -> None:
    """When the store cannot be asked, acquire raises: the command must not run unguarded."""
    store.unavailable = True
    with pytest.raises(StoreUnavailable):
        guard_for(store, clock).acquire(claim("first"))


def test_the_waiter_is_told_once_whom_it_waits_for(store: MemoryStore, clock: Clock) -> None:
    """`on_wait` sees the holder's record once, however many polls follow."""
    seen: list[Record] = []
    guard = Guard(store, now_ms=clock, sleep=clock.sleep, on_wait=seen.append)
    guard.acquire(claim("first"))
    clock.at(START_MS + 4_000, lambda: guard.finish(claim("first"), OUTCOME))
    guard.acquire(claim("retry"))
    assert [record.request_id for record in seen] == ["first"]


def test_a_claim_outlives_its_run_even_with_a_short_ttl(store: MemoryStore, clock: Clock) -> None:
    """With a TTL shorter than the deadline, the claim still holds until the deadline."""
    guard = Guard(store, now_ms=clock, sleep=clock.sleep, ttl_seconds=5)
    guard.acquire(claim("first", deadline_in=900_000))
    assert store.records["migrate-4.2"].expires_at == (START_MS + 900_000) // 1000
    clock.now += 10_000
    decision = guard.acquire(claim("retry", deadline_in=1_000))
    assert isinstance(decision, Refused)
    assert decision.error_type is ErrorType.ALREADY_IN_PROGRESS
