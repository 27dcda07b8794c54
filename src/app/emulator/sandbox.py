"""App: one emulated sandbox: the runtime process and its private Runtime API, started together."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ...adapters.emulator.exchange import DEFAULT_INIT_TIMEOUT, Exchange
from ...adapters.emulator.orphans import Orphans
from ...adapters.emulator.runtime_api import RuntimeApiServer
from ...adapters.emulator.runtime_process import RuntimeProcess
from ...adapters.emulator.sandbox_log import SandboxLog
from ...adapters.emulator.shared_exchange import SharedExchange

SHUTDOWN_GRACE = 0.5
"""Seconds between SIGTERM and SIGKILL when the emulator stops: Lambda's 500 ms."""

EXIT_SETTLE_GRACE = 2.0
"""Seconds a runtime's exit waits at most for the Runtime API to read what it had sent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxConfig:
    """How to start the runtime, and the function's limits. With `orphans` (the emulator is
    a child subreaper), what a runtime that died left running is stopped with its sandbox.
    With `per_environment` (Managed Instances), the runtime gets `AWS_LAMBDA_MAX_CONCURRENCY`
    and JSON logs, and serves that many invocations at once."""

    runtime_argv: Sequence[str]
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: float
    init_timeout: float = DEFAULT_INIT_TIMEOUT
    orphans: Orphans | None = None
    per_environment: int | None = None


def runtime_argv(default_command: Sequence[str]) -> list[str]:
    """This very program, as a new process: the frozen executable, or `python -m` the package."""
    if getattr(sys, "frozen", False):
        argv = [sys.executable]
    else:
        argv = [sys.executable, "-m", "run_command_on_aws_lambda"]
    return [*argv, "--", *default_command] if default_command else argv


class Sandbox:
    """A started runtime process and the Runtime API it alone talks to; `tenant_id` is the
    one tenant it serves (`None`: invocations without a tenant)."""

    def __init__(
        self, config: SandboxConfig, log: SandboxLog, *, tenant_id: str | None = None
    ) -> None:
        self.tenant_id = tenant_id
        shared = config.per_environment is not None and config.per_environment > 1
        kind = SharedExchange if shared else Exchange
        self.exchange = kind(timeout=config.timeout, init_timeout=config.init_timeout)
        self._server = RuntimeApiServer(self.exchange)
        self._server.start("runtime-api")
        environment = dict(config.environment)
        environment["AWS_LAMBDA_RUNTIME_API"] = self._server.url_address
        if config.per_environment is not None:  # as on Managed Instances
            environment["AWS_LAMBDA_MAX_CONCURRENCY"] = str(config.per_environment)
            environment["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        self._destroyed = False
        self._destroying = threading.Lock()
        try:
            self.process = RuntimeProcess(
                config.runtime_argv,
                environment=environment,
                log=log,
                on_exit=self._runtime_exited,
                orphans=config.orphans,
            )
        except BaseException:
            self._server.stop()
            raise

    def _runtime_exited(self, status: int) -> None:
        # What the runtime sent just before it exited (the last piece of a streamed response,
        # a request not yet accepted) is read first: else it is lost when the exit wins the race.
        self._server.settle(EXIT_SETTLE_GRACE)
        self.exchange.runtime_exited(status)

    @property
    def exited(self) -> bool:
        return self.exchange.exit_status is not None

    def destroy(self, grace: float = 0.0) -> None:
        """Stop the runtime (SIGTERM first when `grace` > 0) and everything it started."""
        with self._destroying:
            if self._destroyed:
                return
            self._destroyed = True
            if grace > 0:
                self.process.stop(grace)
            else:
                self.process.kill()
            self.exchange.close()
            self._server.stop()
