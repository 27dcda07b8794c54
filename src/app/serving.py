"""App: the serving loop. Each invocation taken gets exactly one verdict, whatever happens."""

from __future__ import annotations

import contextlib
import logging

from ..adapters.executor.shutdown_signal import ShutdownSignal
from ..domain.errors import ErrorType, TransportError
from ..domain.invocation import Invocation
from ..domain.policy import Failure, Verdict
from ..domain.protocols import Transport
from .logs import request_context
from .service import Runner

log = logging.getLogger("run_command_on_aws_lambda")

FAULT_DETAIL_LIMIT = 1000


def serve(
    transport: Transport, runner: Runner, shutdown: ShutdownSignal | None = None
) -> Verdict | None:
    """Serve invocations until the transport has no more or a shutdown was requested.

    Returns the last verdict. A fault in the runtime itself while handling one invocation, or
    while building or posting its answer, is reported as that invocation's `RuntimeFailure`,
    and the loop goes on. Only a `TransportError` (the API itself is broken) ends it.
    """
    verdict = None
    while shutdown is None or shutdown.requested is None:
        invocation = transport.next_invocation()
        if invocation is None:
            break
        busy = shutdown.busy() if shutdown is not None else contextlib.nullcontext()
        with busy:
            verdict = answer(transport, runner, invocation)
    return verdict


def answer(transport: Transport, runner: Runner, invocation: Invocation) -> Verdict:
    """Handle one invocation and report its verdict (see `serve`); the verdict reported."""
    with request_context(invocation.request_id, invocation.tenant_id):
        verdict = _handle_safely(runner, invocation, transport)
        return _report_safely(transport, invocation, verdict)


def _handle_safely(runner: Runner, invocation: Invocation, transport: Transport) -> Verdict:
    try:
        return runner.handle(invocation, lambda: transport.open_stream(invocation))
    except Exception as error:  # a bug or a system fault (out of fds): keep serving
        log.exception("The runtime failed while handling request %s.", invocation.request_id)
        return _runtime_failure("The runtime failed", error)


def _report_safely(transport: Transport, invocation: Invocation, verdict: Verdict) -> Verdict:
    """Report `verdict`, or if its answer cannot be built or posted, a `RuntimeFailure`."""
    try:
        transport.report(invocation, verdict)
    except TransportError:
        raise
    except Exception as error:  # encoding, masking, a body the transport cannot take...
        # Transports build the whole body before they send it, so nothing was answered yet.
        log.exception("The runtime could not answer request %s.", invocation.request_id)
        verdict = _runtime_failure("The runtime could not report the outcome", error)
        transport.report(invocation, verdict)
    return verdict


def _runtime_failure(what: str, error: Exception) -> Failure:
    """A fault of the runtime itself, told in a message that any transport can carry."""
    detail = str(error).encode("ascii", "backslashreplace").decode("ascii")
    if len(detail) > FAULT_DETAIL_LIMIT:  # the error may quote a huge event
        detail = f"{detail[:FAULT_DETAIL_LIMIT]}..."
    return Failure(
        error_type=ErrorType.RUNTIME_FAILURE, message=f"{what}: {type(error).__name__}: {detail}"
    )
