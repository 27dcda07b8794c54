"""App: the managed-runtime handler with the idempotency guard on a local DynamoDB table."""

from __future__ import annotations

from pathlib import Path

import pytest

from run_command_on_aws_lambda import InvocationError, handler
from tests.app.test_handler import Context
from tests.local_dynamodb import LocalTable


def test_the_handler_runs_a_key_once_and_raises_the_same_failure_on_a_retry(
    guarded_table: LocalTable, tmp_path: Path
) -> None:
    """A zip function gets the guard too: the retry raises CommandFailed with the same body."""
    runs = tmp_path / "runs"
    event = {
        "program": "sh",
        "arguments": ["-c", f'echo ran >> "{runs}"; exit 2'],
        "idempotencyKey": "migrate-4.2",
    }
    bodies = []
    for request_id in ("first", "retry"):
        with pytest.raises(InvocationError) as raised:
            handler(event, Context(aws_request_id=request_id))
        assert type(raised.value).__name__ == "CommandFailed"
        bodies.append(raised.value.body)
    assert runs.read_text() == "ran\n"
    assert bodies[1] == {**bodies[0], "requestId": "retry"}
