"""App: the workers of Lambda Managed Instances keep one invocation's faults its own."""

from __future__ import annotations

from run_command_on_aws_lambda.adapters.executor.shutdown_signal import ShutdownSignal
from run_command_on_aws_lambda.adapters.fake import FakeTransport
from run_command_on_aws_lambda.adapters.runtime_api.client import ApiStatusError
from run_command_on_aws_lambda.app.lambda_workers import Workers
from run_command_on_aws_lambda.app.service import StreamOpener
from run_command_on_aws_lambda.domain.errors import ErrorType, TransportError
from run_command_on_aws_lambda.domain.invocation import Invocation
from run_command_on_aws_lambda.domain.policy import EXIT_RUNTIME_FAILURE, Failure, Verdict


class Refusing:
    """A runner that answers every invocation with a failure, without running anything."""

    def handle(self, invocation: Invocation, open_stream: StreamOpener | None = None) -> Verdict:
        return Failure(error_type=ErrorType.INVALID_EVENT, message=invocation.request_id)

    def handle_event(
        self, event: object, invocation: Invocation, open_stream: StreamOpener | None = None
    ) -> Verdict:
        return self.handle(invocation, open_stream)


class FailingOnce(FakeTransport):
    """A transport whose answer for the first invocation fails with `fault`."""

    def __init__(self, count: int, fault: TransportError) -> None:
        super().__init__([{}] * count)
        self._fault: TransportError | None = fault

    def report(self, invocation: Invocation, verdict: Verdict) -> None:
        fault, self._fault = self._fault, None
        if fault is not None:
            raise fault
        super().report(invocation, verdict)


def test_an_answer_that_times_out_loses_only_that_invocation() -> None:
    """A read timeout posting one answer: that worker and the other serve all the rest."""
    first = FailingOnce(3, TransportError("POST …/response: no answer within 10 s"))
    second = FakeTransport([{}] * 2)
    status = Workers([first, second], Refusing(), ShutdownSignal()).run()
    assert status == EXIT_RUNTIME_FAILURE  # the fakes ran dry: no worker is left
    assert [report.invocation.request_id for report in first.reports] == ["fake-2", "fake-3"]
    assert len(second.reports) == 2


def test_a_refused_answer_loses_only_that_invocation() -> None:
    """A 400 on one answer (an unknown request id) is that invocation's alone."""
    first = FailingOnce(2, ApiStatusError("POST …/response: 400", 400))
    status = Workers([first], Refusing(), ShutdownSignal()).run()
    assert status == EXIT_RUNTIME_FAILURE
    assert [report.invocation.request_id for report in first.reports] == ["fake-2"]


def test_a_container_error_on_an_answer_ends_the_runtime() -> None:
    """A 500 is Lambda's "container error": the worker stops serving and the runtime exits."""
    first = FailingOnce(3, ApiStatusError("POST …/response: 500", 500))
    status = Workers([first], Refusing(), ShutdownSignal()).run()
    assert status == EXIT_RUNTIME_FAILURE
    assert first.reports == []
