"""App: the library face for running one command in-process, without any transport."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from ..adapters.executor.process_executor import ProcessExecutor
from ..adapters.home import is_writable_directory
from ..domain.command import CommandSpec
from ..domain.deadline import StopPlan
from ..domain.environment import child_environment, holds_references
from ..domain.result import ExecutionResult
from .settings import DEFAULT_GRACE_SECONDS


def run(
    spec: CommandSpec,
    *,
    environ: Mapping[str, str] | None = None,
    grace: float = DEFAULT_GRACE_SECONDS,
    stdout: int = 1,
    stderr: int = 2,
) -> ExecutionResult:
    """Run `spec` as a child process, forwarding its output to the `stdout`/`stderr` fds.

    The child's environment is `environ` (default: this process's) plus `spec.environment`,
    with HOME set to /tmp unless it is a writable directory, and its `{{resolve:...}}`
    references resolved with the credentials in `environ` (their values masked in the output).
    Raises `InvalidEvent` for a `directory` that is unusable, `ReferenceNotResolved` (before
    anything starts) for a reference that cannot be resolved.
    """
    base = os.environ if environ is None else environ
    executor = ProcessExecutor(stdout=stdout, stderr=stderr, search_path=base.get("PATH"))
    environment = child_environment(base, spec.environment, usable_home=is_writable_directory)
    mask: tuple[bytes, ...] = ()
    if holds_references(environment):
        from ..domain.resolution import resolve  # noqa: PLC0415 - only when a value refers
        from .references import secret_store  # noqa: PLC0415

        resolved = resolve(environment, secret_store(base))
        environment, mask = resolved.environment, resolved.mask
    stop = StopPlan.plan(now=time.monotonic(), grace=grace, timeout=spec.timeout)
    return executor.execute(spec, environment=environment, stop=stop, mask=mask)
