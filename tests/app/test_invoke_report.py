"""App: what `--invoke` prints and exits with, for outcomes from a fake invoker."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence

import pytest

from run_command_on_aws_lambda.app.client.invoke import invoke_and_report
from run_command_on_aws_lambda.domain.remote_event import RemoteInvocation
from run_command_on_aws_lambda.domain.remote_outcome import Answered, InvokeOutcome


class FakeInvoker:
    """Hands `chunks` to the output sink, then returns `outcome`; records what it was sent."""

    def __init__(self, outcome: InvokeOutcome, chunks: Sequence[bytes] = ()) -> None:
        self.outcome = outcome
        self.chunks = chunks
        self.sent: list[RemoteInvocation] = []

    def invoke(
        self,
        invocation: RemoteInvocation,
        on_output: Callable[[bytes], None] | None = None,
        on_answer: Callable[[str | None], None] | None = None,
    ) -> InvokeOutcome:
        self.sent.append(invocation)
        for chunk in self.chunks:
            assert on_output is not None
            on_output(chunk)
        return self.outcome


class ClosedPipe(io.BytesIO):
    """Standard output whose reader went away (`| head` after it read enough)."""

    def write(self, data: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def run(
    outcome: InvokeOutcome,
    chunks: Sequence[bytes] = (),
    *,
    log_tail: bool = False,
    stdout: io.BytesIO | None = None,
) -> tuple[int, bytes, str]:
    """Exit status, standard output and standard error of one `--invoke`."""
    stdout = stdout if stdout is not None else io.BytesIO()
    stderr = io.StringIO()
    log = logging.getLogger(f"test-invoke-{id(stderr)}")
    log.addHandler(logging.StreamHandler(stderr))
    log.propagate = False
    invocation = RemoteInvocation(function="f", payload=b"{}", log_tail=log_tail)
    status = invoke_and_report(FakeInvoker(outcome, chunks), invocation, stdout, log)
    return status, stdout.getvalue(), stderr.getvalue()


FAILED = Answered(
    request_id="r",
    error_type="CommandFailed",
    error_body={"errorMessage": "sh exited with status 3.", "exitCode": 3},
    log_tail="START\nRunning sh.\nEND\n",
)


def test_output_goes_to_stdout_byte_for_byte_and_the_failure_to_stderr() -> None:
    """Undecodable bytes pass through; one line says what failed."""
    status, stdout, stderr = run(FAILED, [b"one\n", b"\xff\xfe\n"])
    assert (status, stdout, stderr) == (3, b"one\n\xff\xfe\n", "sh exited with status 3.\n")


@pytest.mark.parametrize("failed", [True, False])
def test_the_log_tail_is_printed_only_for_a_failure(failed: bool) -> None:
    """--log-tail adds the invocation's log after the failure's line, and nothing on success."""
    outcome = FAILED if failed else Answered(request_id="r", log_tail="START\nEND\n")
    _, _, stderr = run(outcome, log_tail=True)
    expected = (
        "sh exited with status 3.\nThe end of the invocation's log:\nSTART\nRunning sh.\nEND\n"
    )
    assert stderr == (expected if failed else "")


def test_a_closed_stdout_still_waits_for_the_commands_status() -> None:
    """`--invoke ... | head -1`: the status is still the command's, not a traceback."""
    status, _, stderr = run(FAILED, [b"one\n", b"two\n"], stdout=ClosedPipe())
    assert (status, stderr) == (3, "sh exited with status 3.\n")


def test_dropped_output_is_pointed_out() -> None:
    """The result keeps only the output's tail: the logs have all of it."""
    outcome = Answered(request_id="r", result={"output": "tail\n", "outputTruncated": True})
    status, _, stderr = run(outcome)
    assert status == 0
    assert "Earlier output was dropped" in stderr


def test_a_runtime_that_cannot_stream_suggests_no_stream() -> None:
    """An older runtime refuses the "stream" field: the hint says what to do."""
    body = {
        "errorType": "InvalidEvent",
        "errorMessage": "Unknown field 'stream' in the event. Valid fields are: program.",
    }
    status, _, stderr = run(Answered(request_id="r", error_type="InvalidEvent", error_body=body))
    assert status == 125
    assert (
        stderr.splitlines()[-1]
        == "The function's runtime cannot stream its output: add --no-stream."
    )
