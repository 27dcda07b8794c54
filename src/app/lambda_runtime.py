"""App: the composition root of the Lambda custom runtime (`AWS_LAMBDA_RUNTIME_API` is set).

Imported only in that mode, so that local runs never load urllib3.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ..adapters.executor.process_group import become_child_subreaper
from ..adapters.executor.shutdown_signal import ShutdownRequested, ShutdownSignal
from ..adapters.runtime_api.client import (
    ApiStatusError,
    ExtensionsApiClient,
    RuntimeApiClient,
    RuntimeApiTransport,
    open_pool,
)
from ..adapters.runtime_api.extension import NoOpExtension
from ..adapters.wire import encode_error
from ..domain.errors import ConfigurationError, TransportError
from ..domain.policy import EXIT_RUNTIME_FAILURE
from .compose import build_runner
from .lambda_workers import max_concurrency, output_records, serve_concurrently
from .serving import serve
from .settings import Settings
from .snapstart import prepare_snapshot, restore, snap_start

log = logging.getLogger("run_command_on_aws_lambda")

RUNTIME_API_VARIABLE = "AWS_LAMBDA_RUNTIME_API"
INIT_ERROR_TYPE = "InvalidConfiguration"


def run_on_lambda(default_command: Sequence[str], environ: Mapping[str, str]) -> int:
    """Serve invocations for the life of the sandbox; returns the exit status once it must end.

    Exits non-zero (Lambda then starts a fresh runtime) on an invalid setting, after reporting
    it as an init error, and on faults of the Runtime API itself; 128+N after signal N.
    With SnapStart, the first event is asked for only after the restore (`snapstart`); a
    restored copy that cannot renew its state exits non-zero.
    """
    try:
        client = RuntimeApiClient(open_pool(environ[RUNTIME_API_VARIABLE]))
    except ConfigurationError as error:
        log.error("Invalid configuration: %s", error)
        return EXIT_RUNTIME_FAILURE
    try:
        settings = Settings.from_environment(environ, default_command)
        workers = max_concurrency(environ)
    except ConfigurationError as error:
        log.error("Invalid configuration: %s", error)
        report_init_error(client, error)
        return EXIT_RUNTIME_FAILURE
    shutdown = ShutdownSignal()
    try:
        shutdown.install()
        NoOpExtension(ExtensionsApiClient(open_pool(environ[RUNTIME_API_VARIABLE]))).start()
        runner = build_runner(
            settings,
            environ,
            shutdown=shutdown,
            reap_orphans=become_child_subreaper(),
            concurrent=workers > 1,
            private_tmp=True,
            output_records=output_records(environ) if workers > 1 else None,
        )
        transport = RuntimeApiTransport(client, stream_limit=settings.stream_limit)
        if snap_start(environ):
            prepare_snapshot()
            if not restore(client):
                return EXIT_RUNTIME_FAILURE
        if workers > 1:  # Managed Instances
            return serve_concurrently(
                transport,
                workers=workers,
                address=environ[RUNTIME_API_VARIABLE],
                stream_limit=settings.stream_limit,
                runner=runner,
                shutdown=shutdown,
            )
        serve(transport, runner, shutdown)
    except ShutdownRequested:
        pass
    except TransportError as error:
        log.error("%s. Exiting: Lambda will start a fresh runtime.", error)
        return EXIT_RUNTIME_FAILURE
    signal_number = shutdown.requested
    assert signal_number is not None, "serve() over the Runtime API ends only on shutdown"
    log.info("Shut down by signal %d.", signal_number)
    return 128 + signal_number


def report_init_error(client: RuntimeApiClient, error: ConfigurationError) -> None:
    """Post the init error; a 403 means it was reported already (on Managed Instances, by
    another runtime process of the environment), which is no fault of its own."""
    try:
        client.init_error(encode_error(INIT_ERROR_TYPE, str(error)), INIT_ERROR_TYPE)
    except ApiStatusError as failure:
        if failure.status != 403:
            log.error("Could not report the init error: %s", failure)
        else:
            log.info("The init error was reported already (403).")
    except TransportError as failure:
        log.error("Could not report the init error: %s", failure)
