"""App: references in the child's variables, resolved against moto just before the command starts.

The serving loop, the idempotency guard, the managed runtime's handler and the library's `run`,
with real child processes; each failure leaves the command unstarted (no file it would write).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pytest

import run_command_on_aws_lambda
from run_command_on_aws_lambda import InvocationError, handler
from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.fake import FakeTransport
from run_command_on_aws_lambda.adapters.idempotency.memory import MemoryStore
from run_command_on_aws_lambda.app.idempotency import guarded
from run_command_on_aws_lambda.app.idempotency_settings import IdempotencySettings
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.serving import serve
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ErrorType, ReferenceNotResolved
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict
from tests.app.conftest import Loop
from tests.fake_runtime_api import closed_port
from tests.local_secrets import LocalSecrets


@pytest.fixture
def secrets(aws_secrets: LocalSecrets, monkeypatch: pytest.MonkeyPatch) -> LocalSecrets:
    """The local Secrets Manager and SSM, set in this process's (the runtime's) environment."""
    for name, value in aws_secrets.environment.items():
        monkeypatch.setenv(name, value)
    return aws_secrets


def shell(script: str, **environment: str) -> dict[str, object]:
    return {"program": "sh", "arguments": ["-c", script], "environment": environment}


def test_references_are_resolved_masked_and_each_secret_fetched_once(
    loop: Loop, secrets: LocalSecrets
) -> None:
    """JSON keys, a SecureString, two references in one value, one secret named three times."""
    name, arn = secrets.secret(json.dumps({"user": "admin-7f3", "password": "pw-9b1c"}))
    parameter = secrets.parameter("host-4e2d", secure=True)
    user = f"{{{{resolve:secretsmanager:{name}:SecretString:user}}}}"
    password = f"{{{{resolve:secretsmanager:{arn}:SecretString:password}}}}"
    event = shell(
        'test "$URL" = "admin-7f3:pw-9b1c@host-4e2d" && test "$PW" = pw-9b1c && echo "$URL $PW"',
        URL=f"{user}:{password}@{{{{resolve:ssm-secure:{parameter}}}}}",
        PW=f"{{{{resolve:secretsmanager:{name}:SecretString:password}}}}",
    )
    (verdict,) = loop.serve(event)
    assert isinstance(verdict, Success), verdict
    assert loop.stdout == b"***:***@*** ***\n"
    assert verdict.result.output == b"***:***@*** ***\n"
    assert secrets.calls("GetSecretValue", name) == 1
    assert secrets.calls("GetSecretValue", arn) == 1  # the ARN is another id: fetched on its own
    assert secrets.calls("GetParameter", parameter) == 1


def test_a_reference_in_the_functions_own_variables_is_resolved_and_masked(
    loop: Loop, secrets: LocalSecrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable of the function that the command inherits is resolved like the event's."""
    name, _ = secrets.secret("inherited-5d0a")
    monkeypatch.setenv("DATABASE", f"Server=db;Password={{{{resolve:secretsmanager:{name}}}}}")
    (verdict,) = loop.serve(shell('echo "$DATABASE"; exit 4'))
    assert isinstance(verdict, Failure)
    assert loop.stdout == b"Server=db;Password=***\n"
    assert verdict.stack_trace == ("Server=db;Password=***",)


def test_resolved_values_are_masked_even_with_masking_switched_off(
    loop: Loop, secrets: LocalSecrets
) -> None:
    """RUN_COMMAND_MASK_SECRETS=false is for secret-named variables; resolved values stay masked."""
    name, _ = secrets.secret("always-masked-11")
    settings = Settings(grace=0.5, search_path=os.environ["PATH"], mask_secrets=False)
    event = shell('echo "$V $DB_PASSWORD"', V=f"{{{{resolve:secretsmanager:{name}}}}}")
    event["environment"] = {**event["environment"], "DB_PASSWORD": "shown"}  # type: ignore[dict-item]
    loop.serve(event, settings=settings)
    assert loop.stdout == b"*** shown\n"


def test_a_streamed_response_gets_the_resolved_values_masked(
    loop: Loop, secrets: LocalSecrets
) -> None:
    """What the stream carries is what the log carries: masked."""
    parameter = secrets.parameter("streamed-8c1e")
    event = {**shell('echo "v=$V"', V=f"{{{{resolve:ssm:{parameter}}}}}"), "stream": True}
    (verdict,) = loop.serve(event, streaming=True)
    assert isinstance(verdict, Success)
    assert loop.transport is not None
    (report,) = loop.transport.reports
    assert report.stream is not None
    assert bytes(report.stream.data) == b"v=***\n"


FAILURES = {
    "no such secret": ("{{resolve:secretsmanager:no/such/secret}}", "ResourceNotFoundException"),
    "no such parameter": ("{{resolve:ssm:/no/such/parameter}}", "ParameterNotFound"),
    "access denied": ("{{resolve:secretsmanager:DENIED}}", "AccessDeniedException"),
    "no JSON key": ("{{resolve:secretsmanager:JSON:SecretString:nope}}", "no JSON key 'nope'"),
    "malformed": ("{{resolve:secretsmanager:x:SecretBinary}}", "malformed reference"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_reference_that_cannot_be_resolved_means_the_command_never_starts(
    loop: Loop, secrets: LocalSecrets, tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    """ReferenceNotResolved naming the variable, the reference and why; no run, no "Running"."""
    denied, _ = secrets.secret("denied-value-3a")
    secrets.deny(denied)
    json_secret, _ = secrets.secret('{"password": "json-value-2b"}')
    reference, why = FAILURES[case]
    reference = reference.replace("DENIED", denied).replace("JSON", json_secret)
    ran = tmp_path / "ran"
    with caplog.at_level(logging.INFO, logger="run_command_on_aws_lambda"):
        (verdict,) = loop.serve(shell(f'touch "{ran}"', DB_URL=f"Server=db;Password={reference}"))
    assert isinstance(verdict, Failure)
    assert verdict.error_type is ErrorType.REFERENCE_NOT_RESOLVED
    assert verdict.result is None
    assert "DB_URL" in verdict.message
    assert reference in verdict.message
    assert why in verdict.message
    assert "value-" not in verdict.message
    assert not ran.exists()
    assert verdict.message in caplog.text
    assert "Running" not in caplog.text


def test_an_unreachable_service_means_the_command_never_starts(
    loop: Loop, secrets: LocalSecrets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection refused: ReferenceNotResolved naming the endpoint; nothing ran."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", f"http://127.0.0.1:{closed_port()}")
    ran = tmp_path / "ran"
    (verdict,) = loop.serve(shell(f'touch "{ran}"', HOST="{{resolve:ssm:/db/host}}"))
    assert isinstance(verdict, Failure)
    assert verdict.error_type is ErrorType.REFERENCE_NOT_RESOLVED
    assert "Systems Manager could not be reached" in verdict.message
    assert not ran.exists()


def test_the_guard_gives_the_key_back_when_a_reference_fails(
    secrets: LocalSecrets, tmp_path: Path
) -> None:
    """A retry after the secret exists runs the command instead of replaying the failure."""
    name = f"test/later-{time.time_ns()}"
    ran = tmp_path / "ran"
    event = {
        **shell(f'echo ran >> "{ran}"', V=f"{{{{resolve:secretsmanager:{name}}}}}"),
        "idempotencyKey": "k",
    }
    store = MemoryStore()
    first = guarded_serve(event, store)
    secrets.secret("now-there", name=name)
    second = guarded_serve(event, store)
    assert isinstance(first, Failure)
    assert first.error_type is ErrorType.REFERENCE_NOT_RESOLVED
    assert isinstance(second, Success)
    assert ran.read_text() == "ran\n"


def guarded_serve(event: object, store: MemoryStore) -> Verdict:
    guard = IdempotencySettings(table="unused", region="eu-west-1")
    settings = Settings(grace=0.5, search_path=os.environ["PATH"], idempotency=guard)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        executor = ProcessExecutor(stdout=devnull, search_path=None)
        runner = CommandRunner(executor=executor, settings=settings, environ=os.environ)
        transport = FakeTransport([event], deadline_ms=int((time.time() + 60) * 1000))
        serve(transport, guarded(runner, guard, os.environ, margin_ms=300, store=store))
    finally:
        os.close(devnull)
    (verdict,) = transport.verdicts
    return verdict


def test_the_managed_runtimes_handler_raises_reference_not_resolved(secrets: LocalSecrets) -> None:
    """The exception's type name is the errorType, as for every other failure."""
    with pytest.raises(InvocationError) as raised:
        handler(shell("true", V="{{resolve:ssm:/no/such}}"), _Context())
    assert type(raised.value).__name__ == "ReferenceNotResolved"
    assert raised.value.body["errorType"] == "ReferenceNotResolved"


class _Context:
    aws_request_id = "r1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_the_library_run_resolves_and_masks(secrets: LocalSecrets, tmp_path: Path) -> None:
    """`run(spec)` resolves with the credentials in its environ and masks what it put in."""
    name, _ = secrets.secret("library-6e7f")
    out = tmp_path / "out"
    with out.open("wb") as sink:
        result = run_command_on_aws_lambda.run(
            CommandSpec(
                program="sh",
                arguments=("-c", 'test "$V" = library-6e7f && echo "$V"'),
                environment={"V": f"{{{{resolve:secretsmanager:{name}}}}}"},
            ),
            stdout=sink.fileno(),
        )
    assert result.returncode == 0
    assert out.read_bytes() == result.output == b"***\n"


def test_the_library_run_raises_before_starting_anything(
    secrets: LocalSecrets, tmp_path: Path
) -> None:
    """An unresolvable reference is an exception, and the command never ran."""
    ran = tmp_path / "ran"
    spec = CommandSpec(
        program="touch", arguments=(str(ran),), environment={"V": "{{resolve:ssm:/nope}}"}
    )
    with pytest.raises(ReferenceNotResolved, match="ParameterNotFound"):
        run_command_on_aws_lambda.run(spec)
    assert not ran.exists()
    assert "ReferenceNotResolved" in run_command_on_aws_lambda.__all__
