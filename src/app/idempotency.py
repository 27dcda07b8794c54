"""App: the idempotency guard around the runner; imported only when a table is configured.

An event with an `idempotencyKey` is validated, then its key is claimed before the command
runs: a duplicate waits for the first run and replays its outcome, and a run that could not
start (or a fault of the runtime) gives the key back so that a retry can run it. Events
without a key run as they always do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ..adapters.aws.sigv4 import Credentials
from ..adapters.aws.trust import bundled_authorities, trusted_authorities
from ..adapters.idempotency.dynamodb import DynamoDbStore
from ..adapters.idempotency.outcomes import outcome_of, verdict_of
from ..adapters.wire import decode_event
from ..domain.command import CommandSpec
from ..domain.errors import ErrorType, InvalidEvent, ProgramNotAllowed, StoreUnavailable
from ..domain.guard import Acquired, Claim, Guard, Refused, Replay
from ..domain.idempotency import IdempotencyStore, Record, event_hash, idempotency_key, without_key
from ..domain.invocation import Invocation
from ..domain.policy import Failure, Verdict
from ..domain.protocols import ResponseStream
from ..domain.terraform import guarded_key
from .idempotency_settings import IdempotencySettings
from .logs import LOGGER_NAME
from .service import CommandRunner, StreamOpener

log = logging.getLogger(LOGGER_NAME)


class GuardedRunner:
    """A `Runner`: events with an `idempotencyKey` run at most once per key, via `guard`."""

    def __init__(self, runner: CommandRunner, guard: Guard) -> None:
        self._runner = runner
        self._guard = guard

    def handle(self, invocation: Invocation, open_stream: StreamOpener | None = None) -> Verdict:
        try:
            event = decode_event(invocation.payload)
        except InvalidEvent:
            return self._runner.handle(invocation)  # the same verdict and log line as unguarded
        return self.handle_event(event, invocation, open_stream)

    def handle_event(
        self, event: object, invocation: Invocation, open_stream: StreamOpener | None = None
    ) -> Verdict:
        try:
            key = idempotency_key(event)
            if key is None:
                return self._runner.handle_event(event, invocation, open_stream)
            assert isinstance(event, Mapping)
            command = without_key(event)
            plan = self._runner.plan(command)  # an invalid event never claims the key
        except (InvalidEvent, ProgramNotAllowed) as error:
            return self._runner.refuse(error)
        if plan.command is None:  # nothing runs, so there is nothing to run once
            return self._runner.run_nothing(plan, open_stream)
        spec = plan.command
        claim = Claim(
            key=guarded_key(key, plan.action),  # each Terraform action is an intent of its own
            event_hash=event_hash(command),
            request_id=invocation.request_id,
            deadline_ms=invocation.deadline_ms,
            tenant_id=invocation.tenant_id,
        )
        # A refusal is answered as a whole; a run and a replay open the stream (when asked).
        stream = _Stream(open_stream if spec.stream else None)
        return self._guarded(claim, spec, invocation, stream)

    def _guarded(
        self, claim: Claim, spec: CommandSpec, invocation: Invocation, stream: _Stream
    ) -> Verdict:
        try:
            decision = self._guard.acquire(claim)
        except StoreUnavailable as error:
            return _store_failure(error, claim.key)
        if isinstance(decision, Refused):
            log.error("%s", decision.message)
            return Failure(error_type=decision.error_type, message=decision.message)
        if isinstance(decision, Replay):
            return self._replay(decision, claim.key, stream)
        assert isinstance(decision, Acquired)
        log.info("Claimed idempotency key %r.", claim.key)
        return self._run(claim, spec, invocation, stream)

    def _run(
        self, claim: Claim, spec: CommandSpec, invocation: Invocation, stream: _Stream
    ) -> Verdict:
        try:
            verdict = self._runner.run(spec, invocation, stream=stream.open())
        except InvalidEvent as error:  # e.g. a directory that does not exist: nothing ran
            self._abandon(claim)
            return self._runner.refuse(error)
        except BaseException:
            self._abandon(claim)
            raise
        if isinstance(verdict, Failure) and (
            verdict.result is None or verdict.result.returncode is None
        ):
            self._abandon(claim)  # the command never started (a reference failed): retry may run
        else:
            self._finish(claim, verdict)
        return verdict

    def _replay(self, replay: Replay, key: str, stream: _Stream) -> Verdict:
        try:
            verdict = verdict_of(replay.outcome)
        except (KeyError, TypeError, ValueError) as error:
            unreadable = StoreUnavailable(f"its stored outcome is unreadable: {error}")
            return _store_failure(unreadable, key)
        response = stream.open()
        if response is not None and verdict.result is not None:
            # A streamed caller reads the output, not the body: stream the stored output (its
            # last 4 KB, as in the body), then the transport ends the stream with the verdict.
            response.begin()
            response.write(verdict.result.output)
        log.info(
            "Idempotency key %r was completed by request %s: replaying its outcome; "
            "nothing was run.",
            key, replay.request_id,
        )  # fmt: skip
        return verdict

    def _finish(self, claim: Claim, verdict: Verdict) -> None:
        try:
            if not self._guard.finish(claim, outcome_of(verdict)):
                log.warning(
                    "Idempotency key %r was taken over by another invocation: this run's "
                    "outcome was not stored.",
                    claim.key,
                )
        except StoreUnavailable as error:
            log.error(
                "The outcome for idempotency key %r could not be stored (%s): the key stays "
                "claimed until this invocation's deadline, then a retry runs the command again.",
                claim.key, error,
            )  # fmt: skip

    def _abandon(self, claim: Claim) -> None:
        try:
            self._guard.abandon(claim)
            log.info("Released idempotency key %r: the command did not run.", claim.key)
        except StoreUnavailable as error:
            log.error(
                "Idempotency key %r could not be released (%s): a retry waits until this "
                "invocation's deadline.",
                claim.key, error,
            )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Stream:
    opener: StreamOpener | None

    def open(self) -> ResponseStream | None:
        return None if self.opener is None else self.opener()


def _store_failure(error: StoreUnavailable, key: str) -> Failure:
    message = (
        f"The idempotency guard could not check key {key!r}, so the command was not run: {error}"
    )
    log.error("%s", message)
    return Failure(error_type=ErrorType.RUNTIME_FAILURE, message=message)


def _log_wait(held: Record) -> None:
    log.info(
        "Idempotency key %r is in progress in request %s: waiting for its outcome.",
        held.key, held.request_id,
    )  # fmt: skip


def guarded(
    runner: CommandRunner,
    settings: IdempotencySettings,
    environ: Mapping[str, str],
    *,
    margin_ms: int,
    store: IdempotencyStore | None = None,
) -> GuardedRunner:
    """`runner` with a guard on `settings.table` (or on `store`, for tests and embedding)."""
    if store is None:
        credentials = Credentials(
            access_key=environ["AWS_ACCESS_KEY_ID"],
            secret_key=environ["AWS_SECRET_ACCESS_KEY"],
            session_token=environ.get("AWS_SESSION_TOKEN") or None,
        )
        store = DynamoDbStore(
            settings.table,
            region=settings.region,
            credentials=credentials,
            endpoint=settings.endpoint,
            ca_certs=(
                trusted_authorities(environ, bundled=bundled_authorities())
                if settings.uses_tls
                else None
            ),
        )
    guard = Guard(
        store,
        now_ms=lambda: time.time_ns() // 1_000_000,
        sleep=time.sleep,
        ttl_seconds=settings.ttl_seconds,
        margin_ms=margin_ms,
        on_wait=_log_wait,
    )
    return GuardedRunner(runner, guard)
