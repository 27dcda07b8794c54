"""App: one invocation into one verdict: decode, validate, run, judge, log (`CommandRunner`)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from ..adapters.home import is_writable_directory
from ..adapters.scratch import private_tmp
from ..adapters.wire import decode_event
from ..domain.command import CommandSpec
from ..domain.deadline import StopPlan
from ..domain.environment import child_environment, holds_references
from ..domain.errors import (
    ErrorType,
    InvalidEvent,
    ProgramNotAllowed,
    ReferenceNotResolved,
)
from ..domain.invocation import Invocation
from ..domain.masking import mask_text, secret_values
from ..domain.policy import Failure, Success, Verdict, describe_command, invalid_event, judge
from ..domain.protocols import Executor, ResponseStream
from ..domain.result import Ending
from ..domain.terraform import Action, Plan, nothing_run, plan_from_event
from .settings import Settings

if TYPE_CHECKING:
    from ..domain.resolution import SecretStore

log = logging.getLogger("run_command_on_aws_lambda")

StreamOpener = Callable[[], ResponseStream | None]
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
        secret_store: SecretStore | None = None,
        private_tmp: bool = False,
    ) -> None:
        """`secret_store` resolves references (`None`: AWS's, loaded when first needed).

        With `private_tmp` (on Lambda), each command gets a `TMPDIR` of its own.
        """
        self._executor = executor
        self._secret_store = secret_store
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
            plan = self.plan(event)
            if plan.command is None:
                return self.run_nothing(plan, open_stream)
            spec = plan.command
            stream = open_stream() if spec.stream and open_stream is not None else None
            return self.run(spec, invocation, stream=stream)
        except (InvalidEvent, ProgramNotAllowed) as error:
            return self.refuse(error)

    def plan(self, event: object) -> Plan:
        """What the event runs, for Terraform's action if it has one (logged).

        Raises `InvalidEvent` or `ProgramNotAllowed`.
        """
        settings = self._settings
        key = settings.terraform_key
        plan = plan_from_event(event, settings.default_command, settings.lock, terraform_key=key)
        if plan.on_delete_ignored:
            log.info(
                'The event has "onDelete" but no Terraform key "%s": "onDelete" is ignored '
                '(it runs on a Terraform delete, with lifecycle_scope = "CRUD").',
                key,
            )
        elif plan.action is Action.DELETE and plan.command is not None:
            log.info('Terraform action "%s": running the event\'s "onDelete".', plan.action)
        elif plan.action is not None and plan.command is not None:
            log.info('Terraform action "%s".', plan.action)
        return plan

    def run_nothing(self, plan: Plan, open_stream: StreamOpener | None = None) -> Success:
        """The verdict (logged) for a plan without a command; a streamed response ends empty."""
        stream = open_stream() if plan.stream and open_stream is not None else None
        if stream is not None:
            stream.begin()
        log.info("%s", plan.nothing_to_run)
        return nothing_run(plan)

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
        try:
            environment, revealed = self._resolve(environment)
        except ReferenceNotResolved as error:  # nothing was started
            log.error("%s", error)
            return Failure(error_type=ErrorType.REFERENCE_NOT_RESOLVED, message=str(error))
        stop = StopPlan.plan(
            now=self._clock(),
            grace=self._settings.grace,
            timeout=spec.timeout,
            deadline=self._monotonic_deadline(invocation),
            margin=self._settings.deadline_margin,
        )
        shown = describe_command(spec.program, spec.arguments, hide=self._settings.hide_arguments)
        # The event's variables only: the runtime's own configuration is not in spec.environment.
        mask = secret_values(spec.environment) if self._settings.mask_secrets else ()
        mask += revealed  # what references resolved to: secrets, whatever the setting says
        shown = mask_text(shown, revealed)  # the event may spell out what a reference holds
        own_tmp = self._private_tmp and TMPDIR_VARIABLE not in spec.environment
        with private_tmp() if own_tmp else contextlib.nullcontext(None) as tmp:
            if tmp is not None:
                environment[TMPDIR_VARIABLE] = tmp
            result = self._executor.execute(
                spec,
                environment=environment,
                stop=stop,
                mask=mask,
                stream=stream,
                starting=lambda: log.info("Running %s.", shown),  # not for one refused before
                request_id=None if invocation is None else invocation.request_id,
                tenant_id=None if invocation is None else invocation.tenant_id,
            )
        verdict = judge(result)
        _log_verdict(verdict)
        return verdict

    def _resolve(self, environment: dict[str, str]) -> tuple[dict[str, str], tuple[bytes, ...]]:
        """The child's variables with their references resolved now, and the values to mask."""
        if not holds_references(environment):
            return environment, ()
        # Only now: parsing, the signer and the AWS clients cost nothing when no value refers.
        from ..domain.resolution import resolve  # noqa: PLC0415

        store = self._secret_store
        if store is None:
            from .references import secret_store  # noqa: PLC0415

            store = secret_store(self._environ)
        resolved = resolve(environment, store)
        return resolved.environment, resolved.mask

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


def _log_verdict(verdict: Verdict) -> None:
    if isinstance(verdict, Success):
        result = verdict.result
        if result.ending is Ending.PORT_READY:
            log.info("Port %s is ready; %s was stopped.", result.port, result.program)
        else:
            log.info("%s exited with status 0.", result.program)
    else:  # failed, killed, timed out, or could not start: an ERROR record, whatever the level
        log.error("%s", verdict.message)
