"""Shared fixtures: the installed console script, a clean environment, a fake Runtime API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.fake_runtime_api import FakeRuntimeApi
from tests.local_dynamodb import LocalDynamoDb, LocalTable, TlsDynamoDb, local_dynamodb
from tests.local_secrets import LocalSecrets, local_secrets
from tests.processes import SESSION_MARK, marked, zombie_children

SCRIPT_NAME = "run-command-on-aws-lambda"
# Names another installation's console script to test (`make wheel-test` names the wheel's).
SCRIPT_VARIABLE = "RUN_COMMAND_TEST_SCRIPT"


@pytest.fixture(scope="session")
def console_script() -> str:
    """The installed console script, as a user would run it (RUN_COMMAND_TEST_SCRIPT's if set)."""
    chosen = os.environ.get(SCRIPT_VARIABLE)
    if chosen:
        assert os.access(chosen, os.X_OK), f"{SCRIPT_VARIABLE}={chosen} is not an executable file"
        return os.path.abspath(chosen)
    script = Path(sys.executable).parent / SCRIPT_NAME
    found = str(script) if script.exists() else shutil.which(SCRIPT_NAME)
    assert found, f"{SCRIPT_NAME} is not installed: run `make test`"
    return found


@pytest.fixture(scope="session")
def console_python(console_script: str) -> str:
    """The Python the console script runs on: the one beside it in its environment's bin/."""
    python = Path(console_script).parent / "python"
    assert python.exists(), f"no Python beside {console_script}"
    return str(python)


def run_script(
    script: str,
    *arguments: str,
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run the console script as a real process with `stdin`, capturing its output."""
    environment = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    environment.update(env or {})
    return subprocess.run(
        [script, *arguments],
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=timeout,
        check=False,
    )


def run_shell_example(
    block: str, console_script: str, cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run a documented shell example as written (bash, strict), with the console script on PATH
    as after an install, in local mode."""
    environment = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    environment["PATH"] = f"{Path(console_script).parent}:{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        capture_output=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def runtime_api() -> Iterator[FakeRuntimeApi]:
    """A threaded fake Lambda Runtime API on 127.0.0.1, closed after the test."""
    with FakeRuntimeApi() as api:
        yield api


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_suite() -> Iterator[None]:
    """The suite ends with as many of its processes (living or zombie) as it started with.

    Every process the suite starts inherits a mark in its environment, so it can be counted
    even after it was orphaned, whatever else runs on the machine.
    """
    value = uuid.uuid4().hex
    os.environ[SESSION_MARK] = value
    before = (len(marked(value, SESSION_MARK)), len(zombie_children()))
    yield
    after = (len(marked(value, SESSION_MARK)), len(zombie_children()))
    assert after == before, f"(living, zombie) processes: {before} at the start, {after} now"


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[LocalDynamoDb]:
    """A DynamoDB-compatible server (moto) on 127.0.0.1, for the whole session."""
    yield from local_dynamodb()


@pytest.fixture(scope="session")
def dynamodb_over_tls(dynamodb: LocalDynamoDb) -> Iterator[TlsDynamoDb]:
    """The same DynamoDB behind TLS on 127.0.0.1 (an authority of its own), for the session."""
    server = TlsDynamoDb()
    yield server
    server.stop()


@pytest.fixture
def idempotency_table(dynamodb: LocalDynamoDb) -> LocalTable:
    """A new, empty idempotency table in the local DynamoDB."""
    return dynamodb.create_table()


@pytest.fixture
def guarded_table(idempotency_table: LocalTable, monkeypatch: pytest.MonkeyPatch) -> LocalTable:
    """The idempotency guard's settings for a new table, in this process's environment."""
    for name, value in idempotency_table.environment.items():
        monkeypatch.setenv(name, value)
    return idempotency_table


@pytest.fixture(scope="session")
def aws_secrets() -> Iterator[LocalSecrets]:
    """Secrets Manager and Systems Manager (moto) on 127.0.0.1, for the whole session."""
    yield from local_secrets()
