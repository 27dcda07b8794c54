"""Unit: the JSON wire format of events, results and errors."""

from __future__ import annotations

import json

import pytest

from run_command_on_aws_lambda.adapters.wire import decode_event, encode_verdict
from run_command_on_aws_lambda.domain.errors import InvalidEvent
from run_command_on_aws_lambda.domain.policy import invalid_event, judge
from run_command_on_aws_lambda.domain.result import Ending, ExecutionResult
from run_command_on_aws_lambda.domain.terraform import Action, Plan, nothing_run


def test_empty_input_counts_as_an_empty_object() -> None:
    """`docker run -i image < /dev/null` runs the default command."""
    assert decode_event(b"") == {}
    assert decode_event(b"  \n") == {}


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"{", "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        (b"\xff{}", "not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_undecodable_events_are_invalid_events(payload: bytes, fragment: str) -> None:
    """Bad bytes and bad JSON say what is wrong, without a traceback."""
    with pytest.raises(InvalidEvent) as caught:
        decode_event(payload)
    assert fragment in str(caught.value)


def test_a_success_is_the_documented_result_body() -> None:
    """camelCase fields, exitCode 0, reason and port."""
    outcome = ExecutionResult(
        program="srv",
        ending=Ending.PORT_READY,
        returncode=-15,
        port=8080,
        duration_ms=12,
        output=b"listening \xff\n",
        output_truncated=True,
    )
    assert json.loads(encode_verdict(judge(outcome))) == {
        "program": "srv",
        "exitCode": 0,
        "reason": "port-ready",
        "port": 8080,
        "durationMs": 12,
        "output": "listening \ufffd\n",
        "outputTruncated": True,
    }


def test_nothing_run_is_a_result_body_that_says_so() -> None:
    """A Terraform delete without onDelete: no program, reason nothing-to-run, a message."""
    plan = Plan(command=None, action=Action.DELETE)
    assert json.loads(encode_verdict(nothing_run(plan))) == {
        "program": None,
        "exitCode": 0,
        "reason": "nothing-to-run",
        "port": None,
        "durationMs": 0,
        "output": "",
        "outputTruncated": False,
        "message": 'Terraform action "delete": the event has no "onDelete", so nothing was run.',
    }


def test_a_failure_is_an_error_body_with_the_details_of_the_run() -> None:
    """errorType, errorMessage, stackTrace, requestId, plus what is known of the run."""
    outcome = ExecutionResult(
        program="sh", ending=Ending.EXITED, returncode=-9, duration_ms=5, output=b"a\nb\n"
    )
    body = json.loads(encode_verdict(judge(outcome), request_id="req-1"))
    assert body == {
        "errorType": "CommandKilled",
        "errorMessage": "sh was killed by signal 9 (SIGKILL).",
        "stackTrace": ["a", "b"],
        "requestId": "req-1",
        "program": "sh",
        "signal": 9,
        "durationMs": 5,
        "output": "a\nb\n",
        "outputTruncated": False,
    }


def test_an_error_without_a_run_has_only_the_error_fields() -> None:
    """An invalid event never started anything: no exit code, no output."""
    body = json.loads(encode_verdict(invalid_event("bad"), request_id=None))
    assert body == {"errorType": "InvalidEvent", "errorMessage": "bad", "stackTrace": []}
