"""App: the one place where settings become a runner with a real process executor."""

from __future__ import annotations

from collections.abc import Mapping

from ..adapters.executor.process_executor import ProcessExecutor
from ..adapters.executor.shutdown_signal import ShutdownSignal
from .service import CommandRunner
from .settings import Settings


def build_runner(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    shutdown: ShutdownSignal | None = None,
    reap_orphans: bool = False,
) -> CommandRunner:
    """A runner whose executor honours every setting (PATH, allow-list)."""
    executor = ProcessExecutor(
        search_path=settings.search_path,
        shutdown=shutdown,
        reap_orphans=reap_orphans,
        allowed_programs=settings.allowed_programs,
    )
    return CommandRunner(executor=executor, settings=settings, environ=environ)
