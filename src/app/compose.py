"""App: the one place where settings become a runner with a real process executor."""

from __future__ import annotations

from collections.abc import Mapping

from ..adapters.executor.process_executor import ProcessExecutor
from ..adapters.executor.shutdown_signal import ShutdownSignal
from .service import CommandRunner, Runner
from .settings import Settings


def build_runner(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    shutdown: ShutdownSignal | None = None,
    reap_orphans: bool = False,
    concurrent: bool = False,
    private_tmp: bool = False,
    output_records: str | None = None,
) -> Runner:
    """A runner whose executor honours every setting (PATH, allow-list, idempotency guard).

    With `concurrent`, for several threads at once; with `private_tmp`, a `TMPDIR` per
    command; with `output_records` ("json" or "text"), each output line a log record.
    """
    executor = ProcessExecutor(
        search_path=settings.search_path,
        shutdown=shutdown,
        reap_orphans=reap_orphans,
        allowed_programs=settings.allowed_programs,
        concurrent=concurrent,
        output_records=output_records,
    )
    runner = CommandRunner(
        executor=executor, settings=settings, environ=environ, private_tmp=private_tmp
    )
    if settings.idempotency is None:
        return runner
    # Only now: the guard's modules (and the DynamoDB client) cost nothing when it is off.
    from .idempotency import guarded  # noqa: PLC0415

    margin_ms = round(settings.deadline_margin * 1000)
    return guarded(runner, settings.idempotency, environ, margin_ms=margin_ms)
