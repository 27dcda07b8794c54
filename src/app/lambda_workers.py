"""App: Lambda Managed Instances: several invocations at once in one execution environment.

With `AWS_LAMBDA_MAX_CONCURRENCY` above 1 the runtime keeps that many workers, each a thread
with its own Runtime API connection looping `next` -> handle -> answer, all sharing one
executor; Lambda hands an invocation only to a worker waiting on `next`. The main thread only
waits: for a shutdown, for a fault of the Runtime API as a whole, or for the last worker to end.
One invocation's faults stay its own; a worker whose `next` keeps failing ends alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence

from ..adapters.executor.shutdown_signal import ShutdownSignal
from ..adapters.malloc_arenas import steady_malloc
from ..adapters.runtime_api.client import (
    ApiConnectionError,
    ApiStatusError,
    RuntimeApiClient,
    RuntimeApiTransport,
    open_pool,
)
from ..domain.errors import ConfigurationError, ErrorType, TransportError
from ..domain.invocation import Invocation
from ..domain.policy import EXIT_RUNTIME_FAILURE, Failure
from ..domain.protocols import Transport
from .logs import request_context, tag_request_ids
from .service import Runner
from .serving import answer

log = logging.getLogger("run_command_on_aws_lambda")

MAX_CONCURRENCY_VARIABLE = "AWS_LAMBDA_MAX_CONCURRENCY"
MAX_SLOTS = 1600  # Lambda's most for PerExecutionEnvironmentMaxConcurrency


def max_concurrency(environ: Mapping[str, str]) -> int:
    """How many invocations at once the environment serves: 1 unless Lambda says more."""
    text = environ.get(MAX_CONCURRENCY_VARIABLE, "").strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_SLOTS:
        raise ConfigurationError(
            f"{MAX_CONCURRENCY_VARIABLE}={text[:40]!r} is not valid: expected a positive whole "
            f"number up to {MAX_SLOTS} (Lambda sets it to the function's "
            "PerExecutionEnvironmentMaxConcurrency)."
        )
    return int(text)


def serve_concurrently(
    first: RuntimeApiTransport,
    *,
    workers: int,
    address: str,
    stream_limit: int,
    runner: Runner,
    shutdown: ShutdownSignal,
) -> int:
    """Serve with `workers` workers: `first`, and one more connection for each other one."""
    tag_request_ids(log)
    trim = steady_malloc()
    transports = [first] + [
        RuntimeApiTransport(RuntimeApiClient(open_pool(address)), stream_limit=stream_limit)
        for _ in range(workers - 1)
    ]
    return Workers(transports, runner, shutdown, on_idle=trim).run()


def output_records(environ: Mapping[str, str]) -> str:
    """How commands' output lines are logged when several run at once: Lambda's log format."""
    return "json" if environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON" else "text"


class Workers:
    """One worker per transport, serving until a shutdown, a fault, or none is left."""

    def __init__(
        self,
        transports: Sequence[Transport],
        runner: Runner,
        shutdown: ShutdownSignal,
        *,
        on_idle: Callable[[], None] = lambda: None,
    ) -> None:
        """`on_idle` is called each time the last invocation in progress was answered."""
        self._transports = tuple(transports)
        self._on_idle = on_idle
        self._runner = runner
        self._shutdown = shutdown
        self._changed = threading.Condition()
        self._left = len(self._transports)
        self._busy = 0
        self._closing = False
        self._fault: TransportError | None = None
        self._ended_read, self._ended_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def run(self) -> int:
        """Serve; the exit status: 128+N after signal N, else non-zero (a fault, none left)."""
        # Busy for good: a signal only sets `requested` and wakes the wait, never raises.
        with self._shutdown.busy():
            for number, transport in enumerate(self._transports, 1):
                threading.Thread(
                    target=self._work, args=(transport,), name=f"worker-{number}", daemon=True
                ).start()
            self._wait()
            failed = self._shutdown.requested is None
            if failed:  # a fault, or no worker left: stop what still runs before exiting
                self._shutdown.request(signal.SIGTERM)
            self._drain()
        if failed:
            return EXIT_RUNTIME_FAILURE
        log.info("Shut down by signal %d.", self._shutdown.requested)
        return 128 + (self._shutdown.requested or signal.SIGTERM)

    def _wait(self) -> None:
        watched = [self._shutdown.fileno(), self._ended_read]
        while self._shutdown.requested is None:
            with self._changed:
                if self._fault is not None:
                    log.error("%s. Exiting: Lambda will start a fresh runtime.", self._fault)
                    return
                if self._left == 0:
                    log.error("No worker is left. Exiting: Lambda will start a fresh runtime.")
                    return
            select.select(watched, [], [])
            with contextlib.suppress(BlockingIOError):
                os.read(self._ended_read, 4096)

    def _drain(self) -> None:
        """Wait until every invocation in progress is answered; no new one is begun."""
        with self._changed:
            self._closing = True
            while self._busy:
                self._changed.wait()

    def _work(self, transport: Transport) -> None:
        try:
            while self._shutdown.requested is None:
                invocation = transport.next_invocation()
                if invocation is None:
                    break
                self._serve(transport, invocation)
        except ApiConnectionError as error:  # this worker's connection: the others go on
            log.error("A worker stops: %s", error)
        except TransportError as error:  # the API as a whole is broken
            with self._changed:
                self._fault = self._fault or error
        except Exception:  # a bug: this worker ends, the others go on
            log.exception("A worker failed.")
        finally:
            with self._changed:
                self._left -= 1
            with contextlib.suppress(BlockingIOError):
                os.write(self._ended_write, b"\0")

    def _serve(self, transport: Transport, invocation: Invocation) -> None:
        with self._slot() as admitted:
            if not admitted:
                _refuse(transport, invocation)
                return
            try:
                with self._shutdown.busy():
                    answer(transport, self._runner, invocation)
            except ApiStatusError as error:
                if error.status >= 500:  # Lambda's "container error": the runtime must exit
                    raise
                log.error("Could not answer request %s: %s", invocation.request_id, error)
            except TransportError as error:  # dropped, timed out: this answer alone is lost
                log.error("Could not answer request %s: %s", invocation.request_id, error)

    @contextlib.contextmanager
    def _slot(self) -> Iterator[bool]:
        with self._changed:
            if self._closing:
                admitted = False
            else:
                admitted = True
                self._busy += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._changed:
                    self._busy -= 1
                    idle = self._busy == 0
                    self._changed.notify_all()
                if idle:
                    self._on_idle()


def _refuse(transport: Transport, invocation: Invocation) -> None:
    """An invocation taken while the runtime shuts down: answered at once, nothing started."""
    message = "The runtime is shutting down; the command was not started."
    with request_context(invocation.request_id), contextlib.suppress(TransportError):
        log.error("%s", message)
        transport.report(invocation, Failure(error_type=ErrorType.RUNTIME_FAILURE, message=message))
