"""App: `--invoke FUNCTION`: build the event, invoke once, print the output, exit as locally."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping
from typing import BinaryIO

from ...adapters.client.invoker import LambdaInvoker
from ...adapters.client.session import ClientSettings, ClientUnavailableError
from ...adapters.executor.shutdown_signal import ShutdownRequested, ShutdownSignal
from ...domain.errors import ErrorType
from ...domain.policy import EXIT_RUNTIME_FAILURE
from ...domain.remote_event import EventOptionError, RemoteInvocation, RemoteInvoker, build_event
from ...domain.remote_outcome import Answered, InvokeOutcome, describe_failure, remote_exit_status
from ..event_input import UsageError, read_event
from ..logs import configure_logging


def run_invoke(arguments: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Invoke `arguments.invoke` once with the event of the command line; its exit status."""
    log = configure_logging(environ)
    shutdown = ShutdownSignal()
    shutdown.install()  # Ctrl-C and SIGTERM raise ShutdownRequested out of the wait
    try:
        event = None if arguments.event is None else read_event(arguments.event, sys.stdin.buffer)
        payload = build_event(
            arguments.command,
            event,
            stream=not arguments.no_stream,
            idempotency_key=arguments.idempotency_key,
        )
    except (UsageError, EventOptionError) as error:
        log.error("%s", error)
        return EXIT_RUNTIME_FAILURE
    except ShutdownRequested as stop:  # while an event is read from standard input
        return 128 + stop.signal_number
    invocation = RemoteInvocation(
        function=arguments.invoke,
        payload=payload,
        stream=not arguments.no_stream,
        log_tail=arguments.log_tail,
        tenant_id=arguments.tenant_id,
    )
    settings = ClientSettings(
        endpoint_url=arguments.endpoint_url, region=arguments.region, profile=arguments.profile
    )
    answered: list[str | None] = []
    try:
        return invoke_and_report(
            LambdaInvoker(settings), invocation, sys.stdout.buffer, log, on_answer=answered.append
        )
    except ClientUnavailableError as error:
        log.error("%s", error)
        return EXIT_RUNTIME_FAILURE
    except ShutdownRequested as stop:
        request_id = answered[0] if answered else None
        log.error(
            "Stopped waiting for %s: the command may still be running on Lambda "
            "(see the function's logs%s).",
            invocation.function,
            "" if request_id is None else f", request id {request_id}",
        )
        return 128 + stop.signal_number


def invoke_and_report(
    invoker: RemoteInvoker,
    invocation: RemoteInvocation,
    stdout: BinaryIO,
    log: logging.Logger,
    on_answer: Callable[[str | None], None] | None = None,
) -> int:
    """Invoke, write the output to `stdout` as it comes, say what failed; the exit status.

    `on_answer` gets the request id as soon as Lambda's answer begins.
    """
    output = _Output(stdout)
    outcome = invoker.invoke(invocation, output.write, on_answer)
    report(outcome, log, log_tail=invocation.log_tail)
    return remote_exit_status(outcome)


def report(outcome: InvokeOutcome, log: logging.Logger, *, log_tail: bool) -> None:
    """Standard error: one line on what failed, the log tail if asked for, and hints."""
    message = describe_failure(outcome)
    if message is not None:
        log.error("%s", message)
    if not isinstance(outcome, Answered):
        return
    body = outcome.error_body or outcome.result or {}
    if body.get("outputTruncated") is True:
        log.warning("Earlier output was dropped from the answer: the function's logs have it all.")
    if outcome.error_type == ErrorType.INVALID_EVENT and "'stream'" in str(
        body.get("errorMessage")
    ):
        log.warning("The function's runtime cannot stream its output: add --no-stream.")
    if log_tail and outcome.error_type is not None and outcome.log_tail:
        log.error("The end of the invocation's log:\n%s", outcome.log_tail.rstrip("\n"))


class _Output:
    """Standard output, written and flushed piece by piece; a closed pipe ends the writing."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream: BinaryIO | None = stream

    def write(self, data: bytes) -> None:
        if self._stream is None or not data:
            return
        try:
            self._stream.write(data)
            self._stream.flush()
        except BrokenPipeError:  # `| head`: keep waiting for the outcome, stop writing
            self._stream = None
