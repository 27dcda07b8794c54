"""App: `--invoke FUNCTION --map FILE`: the command once per line of FILE, N at a time, on Lambda.

The composition root of the map: reads and checks every line before anything is invoked,
skips what the results file records as succeeded, then hands the rest to `MapRun`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Mapping
from types import FrameType

from ...adapters.client.console import MapConsole
from ...adapters.client.invoker import LambdaInvoker
from ...adapters.client.results import ResultsFile, ResultsFileError
from ...adapters.client.session import ClientSettings
from ...domain.map_items import MapFileError, check_prefix, item_event, parse_items
from ...domain.map_outcome import EXIT_MAP_FAILED, succeeded_items
from ...domain.remote_event import EventOptionError, RemoteInvocation, compose_event
from ...domain.remote_outcome import EXIT_INTERRUPTED
from ..event_input import UsageError, read_event
from ..logs import configure_logging
from .map_item import MapJob
from .map_run import MapRun

DEFAULT_CONCURRENCY = 10
"""Items invoked at once unless --concurrency says otherwise (Lambda's burst is far larger)."""


def run_map(arguments: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run the map; its exit status (0, failures up to 100, 101, 255, or 130 interrupted)."""
    log = configure_logging(environ)
    results = ResultsFile(arguments.results) if arguments.results is not None else None
    try:
        jobs = _jobs(arguments)
        done = succeeded_items(results.records()) if results is not None else set()
        if results is not None:
            results.open()
    except (UsageError, EventOptionError, MapFileError, ResultsFileError) as error:
        log.error("%s", error)
        return EXIT_MAP_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    to_run = [job for job in jobs if (job.item.line, job.item.digest) not in done]
    console = MapConsole(
        total=len(to_run),
        stdout=sys.stdout.buffer,
        stderr=sys.stderr,
        show_progress=sys.stderr.isatty(),
    )
    if len(to_run) < len(jobs):
        console.message(
            f"Skipping {len(jobs) - len(to_run)} of {len(jobs)} items: "
            f"{arguments.results} records them as succeeded."
        )
    concurrency = arguments.concurrency or DEFAULT_CONCURRENCY
    settings = ClientSettings(
        endpoint_url=arguments.endpoint_url,
        region=arguments.region,
        profile=arguments.profile,
        max_connections=concurrency,
    )
    run = MapRun(
        LambdaInvoker(settings),
        to_run,
        concurrency=concurrency,
        output=console,
        results=results,
        tag=arguments.tag,
    )
    try:
        with _stop_on_signals(run) as stop:
            status = run.run()
        # SIGTERM rather than Ctrl-C: 143, as for any program it ends.
        return 128 + stop.number if status == EXIT_INTERRUPTED and stop.number else status
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting at once
        console.message("Stopped waiting: items still running on Lambda were not recorded.")
        return EXIT_INTERRUPTED
    finally:
        console.close()
        if results is not None:
            results.close()


def _jobs(arguments: argparse.Namespace) -> list[MapJob]:
    """Every item's invocation, built and checked before anything is sent."""
    if arguments.map == "-" and arguments.event == "@-":
        raise UsageError("--map - and --event @- cannot both read standard input.")
    event_text = None if arguments.event is None else read_event(arguments.event, sys.stdin.buffer)
    base = compose_event(arguments.command, event_text)
    if arguments.idempotency_key is not None:
        check_prefix(arguments.idempotency_key)
    items = parse_items(_read_lines(arguments.map))
    stream = not arguments.no_stream
    return [
        MapJob(
            item=item,
            invocation=RemoteInvocation(
                function=arguments.invoke,
                payload=_encode(
                    item_event(
                        base, item, stream=stream, idempotency_prefix=arguments.idempotency_key
                    )
                ),
                stream=stream,
                log_tail=arguments.log_tail,
                tenant_id=arguments.tenant_id,
            ),
        )
        for item in items
    ]


def _read_lines(path: str) -> list[bytes]:
    if path == "-":
        return sys.stdin.buffer.read().split(b"\n")
    try:
        with open(path, "rb") as file:
            return file.read().split(b"\n")
    except OSError as error:
        raise MapFileError(f"cannot read the map file {path!r}: {error.strerror}.") from None


def _encode(event: Mapping[str, object]) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


class _stop_on_signals:  # noqa: N801 - used as a context manager
    """SIGINT and SIGTERM ask `run` to stop launching; a second one interrupts the wait."""

    def __init__(self, run: MapRun) -> None:
        self._run = run
        self.number = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _stop_on_signals:
        for number in (signal.SIGINT, signal.SIGTERM):
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.number:
            raise KeyboardInterrupt
        self.number = number
        self._run.stop()  # only sets a flag: nothing here may take a lock
