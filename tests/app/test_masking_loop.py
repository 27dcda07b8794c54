"""App: the values of the event's secret-named variables are masked in the command's output."""

from __future__ import annotations

import os

import pytest

from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.policy import Failure
from tests.app.conftest import Loop

PRINT_AND_FAIL = 'echo "$DB_PASSWORD $api_key $MONKEY $RUNTIME_TOKEN"; exit 3'
EVENT = {
    "program": "sh",
    "arguments": ["-c", PRINT_AND_FAIL],
    "environment": {"DB_PASSWORD": "pw-1234", "api_key": "k-5678", "MONKEY": "banana"},
}


def failure(loop: Loop, settings: Settings | None = None) -> Failure:
    (verdict,) = loop.serve(EVENT, settings=settings)
    assert isinstance(verdict, Failure), verdict
    return verdict


def test_secret_values_are_masked_in_the_forwarded_output_the_output_and_the_stack_trace(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DB_PASSWORD and api_key are secret names, MONKEY is not; the runtime's own are not masked."""
    monkeypatch.setenv("RUNTIME_TOKEN", "configured-by-the-function")
    verdict = failure(loop)
    line = b"*** *** banana configured-by-the-function\n"
    assert loop.stdout == line
    assert verdict.result is not None
    assert verdict.result.output == line
    assert verdict.stack_trace == (line.decode().rstrip("\n"),)


def test_masking_can_be_switched_off(loop: Loop) -> None:
    """With mask_secrets off (RUN_COMMAND_MASK_SECRETS=false) the child's output is its own."""
    settings = Settings(grace=0.5, search_path=os.environ["PATH"], mask_secrets=False)
    verdict = failure(loop, settings)
    assert loop.stdout.startswith(b"pw-1234 k-5678 banana")
    assert verdict.stack_trace[0].startswith("pw-1234 k-5678 banana")
