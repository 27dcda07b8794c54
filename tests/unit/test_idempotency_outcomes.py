"""Unit: a verdict stored as its body and replayed gives the very same body and error type."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from run_command_on_aws_lambda.adapters.idempotency.outcomes import (
    MAX_BODY_BYTES,
    outcome_of,
    verdict_of,
)
from run_command_on_aws_lambda.adapters.wire import encode_verdict
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict, judge
from run_command_on_aws_lambda.domain.result import OUTPUT_TAIL_BYTES, Ending, ExecutionResult

results = st.builds(
    ExecutionResult,
    program=st.text(min_size=1, max_size=40),
    ending=st.sampled_from(Ending),
    returncode=st.none() | st.integers(min_value=-64, max_value=255),
    port=st.none() | st.integers(min_value=1, max_value=65535),
    duration_ms=st.integers(min_value=0, max_value=900_000),
    output=st.binary(max_size=OUTPUT_TAIL_BYTES),
    output_truncated=st.booleans(),
    detail=st.text(max_size=40),
)


@given(results)
def test_every_verdict_replays_as_the_same_body_and_error_type(result: ExecutionResult) -> None:
    """Whatever a command did, its replay posts the bytes and the errorType it posted."""
    verdict = judge(result)
    replayed = verdict_of(outcome_of(verdict))
    for request_id in (None, "retry-request"):
        assert encode_verdict(replayed, request_id=request_id) == encode_verdict(
            verdict, request_id=request_id
        )
    assert type(replayed) is type(verdict)
    if isinstance(verdict, Failure):
        assert isinstance(replayed, Failure)
        assert replayed.error_type is verdict.error_type


def test_a_stored_outcome_has_no_request_id_and_names_the_error_type() -> None:
    """The body is stored without a request id (a replay gets its own) and with its type."""
    verdict = judge(ExecutionResult(program="migrate", ending=Ending.EXITED, returncode=3))
    outcome = outcome_of(verdict)
    assert outcome.error_type == "CommandFailed"
    assert "requestId" not in json.loads(outcome.body)


def test_a_success_is_stored_without_an_error_type() -> None:
    """A result body is an outcome with no error type."""
    verdict = judge(ExecutionResult(program="true", ending=Ending.EXITED, returncode=0))
    outcome = outcome_of(verdict)
    assert outcome.error_type is None
    assert json.loads(outcome.body)["exitCode"] == 0


@pytest.mark.parametrize(
    "verdict",
    [
        Failure(error_type=ErrorType.COMMAND_FAILED, message="m" * 500_000),
        Success(result=ExecutionResult(program="p" * 500_000, ending=Ending.EXITED, returncode=0)),
        judge(
            ExecutionResult(
                program="p" * 200_000, ending=Ending.EXITED, returncode=1, output=b"x" * 4096
            )
        ),
    ],
)
def test_a_huge_body_is_stored_shortened_well_under_the_item_limit(verdict: Verdict) -> None:
    """Megabytes of program name or message are cut to fit, and say how much was cut."""
    outcome = outcome_of(verdict)
    assert len(outcome.body.encode()) <= MAX_BODY_BYTES
    assert "more)" in outcome.body
    assert type(verdict_of(outcome)) is type(verdict)
