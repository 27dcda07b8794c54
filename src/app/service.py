"""App: the serving loop. Each invocation taken gets exactly one verdict, whatever happens."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from ..adapters.executor.shutdown_signal import ShutdownSignal
from ..adapters.home import is_writable_directory
from ..adapters.scratch import private_tmp
from ..adapters.wire import decode_event
from ..domain.command import CommandSpec
from ..domain.deadline import StopPlan
from ..domain.environment import child_environment
from ..domain.errors import ErrorType, InvalidEvent, ProgramNotAllowed, TransportError
from ..domain.event import command_from_event
from ..domain.invocation import Invocation
from ..domain.masking import secret_values
from ..domain.policy import Failure, Success, Verdict, describe_command, invalid_event, judge
from ..domain.protocols import Executor, ResponseStream, Transport
from ..domain.result import Ending
from .logs import request_context
from .settings import Settings

log = logging.getLogger("run_command_on_aws_lambda")

StreamOpener = Callable[[], ResponseStream | None]
FAULT_DETAIL_LIMIT = 1000
TMPDIR_VARIABLE = "TMPDIR"


class CommandRunner:
    """Turns one invocation into one verdict: decode, validate, run, judge, log."""

    def __init__(
        self,
        *,
        executor: Executor,
        settings: Settings,
        environ: Mapping[str, str],
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        usable_home: Callable[[str], bool] = is_writable_directory,
        private_tmp: bool = False,
    ) -> None:
        """With `private_tmp` (on Lambda), each command gets a `TMPDIR` of its own."""
        self._executor = executor
        self._private_tmp = private_tmp
        self._usable_home = usable_home
        self._settings = settings
        self._environ = dict(environ)
        self._wall_clock = wall_clock
        self._clock = clock

    def handle(self, invocation: Invocation, open_stream: StreamOpener | None = None) -> Verdict:
        """`open_stream` gives the invocation's streamed response, for an event that asks."""
        try:
            return self.handle_event(decode_event(invocation.payload), invocation, open_stream)
        except InvalidEvent as error:
            log.error("Invalid event: %s", error)
            return invalid_event(str(error))

    def handle_event(
        self,
        event: object,
        invocation: Invocation,
        open_stream: StreamOpener | None = None,
    ) -> Verdict:
        """Like `handle`, for an event already parsed from JSON."""
        try:
            spec = self.command(event)
            stream = open_stream() if spec.stream and open_stream is not None else None
            return self.run(spec, invocation, stream=stream)
        except (InvalidEvent, ProgramNotAllowed) as error:
            return self.refuse(error)

    def command(self, event: object) -> CommandSpec:
        """The event as a command; raises `InvalidEvent` or `ProgramNotAllowed`."""
        settings = self._settings
        return command_from_event(event, settings.default_command, settings.lock)

    def refuse(self, error: InvalidEvent | ProgramNotAllowed) -> Failure:
        """The verdict (logged) for an event that must not run."""
        if isinstance(error, ProgramNotAllowed):
            log.error("Not allowed: %s", error)
            return Failure(error_type=ErrorType.PROGRAM_NOT_ALLOWED, message=str(error))
        log.error("Invalid event: %s", error)
        return invalid_event(str(error))

    def run(
        self,
        spec: CommandSpec,
        invocation: Invocation | None = None,
        *,
        stream: ResponseStream | None = None,
    ) -> Verdict:
        """Run a validated command; its output also goes to `stream`, if any.

        Raises `InvalidEvent` for an unusable `directory` or a command line too large to start.
        """
        environment = child_environment(
            self._environ, spec.environment, invocation, usable_home=self._usable_home
        )
        stop = StopPlan.plan(
            now=self._clock(),
            grace=self._settings.grace,
            timeout=spec.timeout,
            deadline=self._monotonic_deadline(invocation),
            margin=self._settings.deadline_margin,
        )
        shown = describe_command(spec.program, spec.arguments, hide=self._settings.hide_arguments)
        log.info("Running %s.", shown)
        # The event's variables only: the runtime's own configuration is not in spec.environment.
        mask = secret_values(spec.environment) if self._settings.mask_secrets else ()
        own_tmp = self._private_tmp and TMPDIR_VARIABLE not in spec.environment
        with private_tmp() if own_tmp else contextlib.nullcontext(None) as tmp:
            if tmp is not None:
                environment[TMPDIR_VARIABLE] = tmp
            result = self._executor.execute(
                spec, environment=environment, stop=stop, mask=mask, stream=stream
            )
        verdict = judge(result)
        _log_verdict(verdict)
        return verdict

    def _monotonic_deadline(self, invocation: Invocation | None) -> float | None:
        if invocation is None or invocation.deadline_ms is None:
            return None
        return self._clock() + invocation.deadline_ms / 1000 - self._wall_clock()


class Runner(Protocol):
    """Turns one invocation into one verdict: a `CommandRunner`, or one with a guard around it.

    `open_stream` gives the invocation's streamed response, for an event that asks for one.
    """

    def handle(
        self, invocation: Invocation, open_stream: StreamOpener | None = None
    ) -> Verdict: ...

    def handle_event(
        self, event: object, invocation: Invocation, open_stream: StreamOpener | None = None
    ) -> Verdict: ...


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
    with request_context(invocation.request_id):
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


def _log_verdict(verdict: Verdict) -> None:
    if isinstance(verdict, Success):
        result = verdict.result
        if result.ending is Ending.PORT_READY:
            log.info("Port %s is ready; %s was stopped.", result.port, result.program)
        else:
            log.info("%s exited with status 0.", result.program)
    else:
        log.info("%s", verdict.message)
