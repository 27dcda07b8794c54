"""App: the idempotency guard keeps tenants apart (in-memory store, real commands)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.idempotency.memory import MemoryStore
from run_command_on_aws_lambda.app.idempotency import GuardedRunner, guarded
from run_command_on_aws_lambda.app.idempotency_settings import IdempotencySettings
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.guard import Claim
from run_command_on_aws_lambda.domain.invocation import Invocation
from run_command_on_aws_lambda.domain.policy import Success

GUARD = IdempotencySettings(table="unused", region="eu-west-1")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def runner(store: MemoryStore) -> Iterator[GuardedRunner]:
    devnull = os.open(os.devnull, os.O_WRONLY)
    settings = Settings(grace=0.5, search_path=os.environ["PATH"], idempotency=GUARD)
    executor = ProcessExecutor(stdout=devnull, search_path=None)
    plain = CommandRunner(executor=executor, settings=settings, environ=os.environ)
    yield guarded(plain, GUARD, os.environ, margin_ms=300, store=store)
    os.close(devnull)


def invoke(runner: GuardedRunner, number: int, tenant: str | None) -> bytes:
    """The same keyed event, as request `number` of `tenant`: the command prints the tenant."""
    event = {
        "program": "sh",
        "arguments": ["-c", 'echo "run by ${RUN_COMMAND_TENANT_ID-nobody}"'],
        "idempotencyKey": "nightly-report",
    }
    invocation = Invocation(
        request_id=f"request-{number}",
        payload=json.dumps(event).encode(),
        deadline_ms=int((time.time() + 60) * 1000),
        tenant_id=tenant,
    )
    verdict = runner.handle(invocation)
    assert isinstance(verdict, Success), verdict
    return verdict.result.output


def test_the_same_key_from_two_tenants_is_two_runs(runner: GuardedRunner) -> None:
    """Each tenant's first use of a key runs the command and gets its own outcome."""
    assert invoke(runner, 1, "acme") == b"run by acme\n"
    assert invoke(runner, 2, "globex") == b"run by globex\n"


def test_a_tenant_replays_only_its_own_stored_outcome(runner: GuardedRunner) -> None:
    """A duplicate replays the outcome its own tenant stored, never another tenant's."""
    invoke(runner, 1, "acme")
    invoke(runner, 2, "globex")
    assert invoke(runner, 3, "acme") == b"run by acme\n"
    assert invoke(runner, 4, "globex") == b"run by globex\n"
    assert invoke(runner, 5, None) == b"run by nobody\n"


def test_tenant_ids_that_would_join_alike_stay_apart() -> None:
    """`a:b` with key `c` and `a` with key `b:c` are two keys in the store."""
    first = Claim(key="c", event_hash="h", request_id="r", tenant_id="a:b")
    second = Claim(key="b:c", event_hash="h", request_id="r", tenant_id="a")
    assert first.store_key != second.store_key
    assert Claim(key="c", event_hash="h", request_id="r").store_key == "c"
