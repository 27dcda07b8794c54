"""App: the serving loop with the idempotency guard on an in-memory store, real commands."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.fake import FakeTransport
from run_command_on_aws_lambda.adapters.idempotency.memory import MemoryStore
from run_command_on_aws_lambda.adapters.wire import encode_verdict
from run_command_on_aws_lambda.app.idempotency import guarded
from run_command_on_aws_lambda.app.idempotency_settings import IdempotencySettings
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.serving import serve
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.idempotency import Status
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict
from run_command_on_aws_lambda.domain.protocols import ResponseStream
from run_command_on_aws_lambda.domain.result import ExecutionResult

GUARD = IdempotencySettings(table="unused", region="eu-west-1")


class BrokenExecutor:
    """An executor with a fault of its own (as when the runtime runs out of file descriptors)."""

    def execute(
        self,
        spec: CommandSpec,
        *,
        environment: Mapping[str, str],
        stop: StopPlan,
        mask: tuple[bytes, ...] = (),
        stream: ResponseStream | None = None,
        starting: Callable[[], None] | None = None,
        request_id: str | None = None,
        tenant_id: str | None = None,
    ) -> ExecutionResult:
        raise OSError(24, "Too many open files")


@dataclass
class GuardedLoop:
    """Events through `serve` with the guard on `store`; the commands append to `runs`."""

    store: MemoryStore
    runs: Path
    executor: ProcessExecutor | BrokenExecutor

    def serve(self, *events: object) -> list[Verdict]:
        settings = Settings(grace=0.5, search_path=os.environ["PATH"], idempotency=GUARD)
        runner = CommandRunner(executor=self.executor, settings=settings, environ=os.environ)
        transport = FakeTransport(events, deadline_ms=int((time.time() + 60) * 1000))
        serve(transport, guarded(runner, GUARD, os.environ, margin_ms=300, store=self.store))
        return transport.verdicts

    def migrate(self, key: str = "migrate-4.2", status: int = 0) -> dict[str, object]:
        """An event whose every run appends a line to `runs`, then exits with `status`."""
        script = f'echo ran >> "{self.runs}"; echo migrated; exit {status}'
        return {"program": "sh", "arguments": ["-c", script], "idempotencyKey": key}

    @property
    def run_count(self) -> int:
        return len(self.runs.read_text().splitlines()) if self.runs.exists() else 0


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[GuardedLoop]:
    devnull = os.open(os.devnull, os.O_WRONLY)
    executor = ProcessExecutor(stdout=devnull, search_path=None)
    yield GuardedLoop(MemoryStore(), tmp_path / "runs", executor)
    os.close(devnull)


def failure(verdict: Verdict) -> Failure:
    assert isinstance(verdict, Failure), verdict
    return verdict


def test_a_guarded_event_runs_once_and_its_duplicate_replays_the_outcome(
    loop: GuardedLoop,
) -> None:
    """The second invocation with the key gets the same body without running anything."""
    first, second = loop.serve(loop.migrate(), loop.migrate())
    assert loop.run_count == 1
    assert isinstance(first, Success)
    assert first.result.output == b"migrated\n"
    assert encode_verdict(second) == encode_verdict(first)
    record = loop.store.records["migrate-4.2"]
    assert record.status is Status.COMPLETED
    assert record.request_id == "fake-1"


def test_a_failed_run_is_replayed_as_the_same_failure(loop: GuardedLoop) -> None:
    """A command that failed is not rerun: the duplicate gets its CommandFailed and body."""
    first, second = loop.serve(loop.migrate(status=3), loop.migrate(status=3))
    assert loop.run_count == 1
    assert failure(second).error_type is ErrorType.COMMAND_FAILED
    assert encode_verdict(second, request_id="fake-2") == encode_verdict(first, request_id="fake-2")


def test_the_same_key_with_another_event_is_refused_and_not_run(loop: GuardedLoop) -> None:
    """Reusing a key for a different command is IdempotencyKeyReused; nothing runs."""
    other = {**loop.migrate(), "arguments": ["-c", f'echo other >> "{loop.runs}"']}
    _, second = loop.serve(loop.migrate(), other)
    assert failure(second).error_type is ErrorType.IDEMPOTENCY_KEY_REUSED
    assert loop.runs.read_text() == "ran\n"


def test_different_keys_each_run(loop: GuardedLoop) -> None:
    """Each key is its own intent: two keys, two runs."""
    loop.serve(loop.migrate("migrate-4.2"), loop.migrate("migrate-4.3"))
    assert loop.run_count == 2


def test_a_command_that_could_not_start_gives_the_key_back(loop: GuardedLoop) -> None:
    """A missing program releases the claim, so the retry (fixed or not) may run it."""
    missing = {"program": "no-such-program-here", "idempotencyKey": "migrate-4.2"}
    verdicts = loop.serve(missing, missing)
    assert [failure(v).error_type for v in verdicts] == [ErrorType.COMMAND_NOT_FOUND] * 2
    assert loop.store.records == {}


def test_a_directory_that_does_not_exist_gives_the_key_back(loop: GuardedLoop) -> None:
    """An unusable directory is an InvalidEvent found only at start: the claim is released."""
    event = {**loop.migrate(), "directory": "/no/such/directory"}
    (verdict,) = loop.serve(event)
    assert failure(verdict).error_type is ErrorType.INVALID_EVENT
    assert loop.store.records == {}
    assert loop.run_count == 0


@pytest.mark.parametrize(
    "event",
    [
        {"program": "true", "idempotencyKey": ""},
        {"program": "true", "idempotencyKey": 42},
        {"program": "true", "idempotencyKey": "k", "argumentz": []},
        {"idempotencyKey": "k"},
    ],
)
def test_an_invalid_event_is_refused_before_the_key_is_claimed(
    loop: GuardedLoop, event: dict[str, object]
) -> None:
    """A bad key, or a bad command with a key, is an InvalidEvent and claims nothing."""
    (verdict,) = loop.serve(event)
    assert failure(verdict).error_type is ErrorType.INVALID_EVENT
    assert loop.store.records == {}


def test_an_unreachable_store_fails_the_invocation_without_running_it(
    loop: GuardedLoop,
) -> None:
    """With the store down, a guarded event is a RuntimeFailure that says nothing ran."""
    loop.store.unavailable = True
    guarded_event, plain = loop.serve(loop.migrate(), {"program": "true"})
    message = failure(guarded_event).message
    assert failure(guarded_event).error_type is ErrorType.RUNTIME_FAILURE
    assert "'migrate-4.2'" in message
    assert "the command was not run" in message
    assert loop.run_count == 0
    assert isinstance(plain, Success), "events without a key do not need the store"


def test_a_runtime_fault_gives_the_key_back_and_the_loop_goes_on(tmp_path: Path) -> None:
    """A fault of the runtime itself releases the claim: the next try can run the command."""
    loop = GuardedLoop(MemoryStore(), tmp_path / "runs", BrokenExecutor())
    first, second = loop.serve(loop.migrate(), loop.migrate())
    assert failure(first).error_type is ErrorType.RUNTIME_FAILURE
    assert failure(second).error_type is ErrorType.RUNTIME_FAILURE
    assert loop.store.records == {}


def test_events_without_a_key_run_every_time(loop: GuardedLoop) -> None:
    """The guard only touches events that ask for it."""
    event = loop.migrate()
    del event["idempotencyKey"]
    loop.serve(event, event)
    assert loop.run_count == 2
    assert loop.store.records == {}


def test_a_key_without_a_configured_guard_is_refused_with_how_to_configure_one(
    loop: GuardedLoop,
) -> None:
    """Unguarded, an event that asks for the guard is an InvalidEvent and never runs."""
    settings = Settings(grace=0.5, search_path=os.environ["PATH"])
    runner = CommandRunner(executor=loop.executor, settings=settings, environ=os.environ)
    transport = FakeTransport([loop.migrate()])
    serve(transport, runner)
    verdict = failure(transport.verdicts[0])
    assert verdict.error_type is ErrorType.INVALID_EVENT
    assert "RUN_COMMAND_IDEMPOTENCY_TABLE" in verdict.message
    assert loop.run_count == 0
