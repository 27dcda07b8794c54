"""App: whatever fails while an answer is built or posted, the invocation still gets one."""

from __future__ import annotations

import os

import pytest

from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor
from run_command_on_aws_lambda.adapters.fake import FakeTransport
from run_command_on_aws_lambda.app.service import CommandRunner
from run_command_on_aws_lambda.app.serving import serve
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.errors import ErrorType, TransportError
from run_command_on_aws_lambda.domain.invocation import Invocation
from run_command_on_aws_lambda.domain.policy import Failure, Success, Verdict


class PickyTransport(FakeTransport):
    """A fake whose answers cannot be built for successes: as bodies once could not be encoded."""

    def __init__(self, events: list[object], fault: Exception) -> None:
        super().__init__(events)
        self.fault = fault

    def report(self, invocation: Invocation, verdict: Verdict) -> None:
        if isinstance(verdict, Success):
            raise self.fault
        super().report(invocation, verdict)


def serve_with(transport: FakeTransport) -> None:
    runner = CommandRunner(
        executor=ProcessExecutor(search_path=os.environ["PATH"]),
        settings=Settings(search_path=os.environ["PATH"]),
        environ=os.environ,
    )
    serve(transport, runner)


def test_an_answer_that_cannot_be_built_becomes_a_runtime_failure_and_the_loop_goes_on() -> None:
    """A fault while reporting: that invocation gets one RuntimeFailure, the next its own."""
    fault = UnicodeEncodeError("utf-8", "\udcff" * 5000, 0, 1, "surrogates not allowed")
    transport = PickyTransport([{"program": "true"}, {"program": "false"}], fault)
    serve_with(transport)
    assert [report.invocation.request_id for report in transport.reports] == ["fake-1", "fake-2"]
    first, second = transport.verdicts
    assert isinstance(first, Failure)
    assert first.error_type is ErrorType.RUNTIME_FAILURE
    assert first.message.startswith("The runtime could not report the outcome: UnicodeEncodeError")
    assert first.message.isascii()
    assert len(first.message) < 1200  # the fault's own text is cut, whatever it quotes
    assert isinstance(second, Failure)
    assert second.error_type is ErrorType.COMMAND_FAILED


def test_a_broken_transport_still_ends_the_loop() -> None:
    """A TransportError is the API itself failing: it is not answered, it ends serving."""
    transport = PickyTransport([{"program": "true"}], TransportError("the API went away"))
    with pytest.raises(TransportError):
        serve_with(transport)
    assert transport.reports == []
