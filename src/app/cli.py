"""App: the command-line interface. Parses, builds, runs, and maps the outcome to an exit status."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO, NoReturn

from ..adapters.executor.process_group import become_child_subreaper
from ..adapters.executor.shutdown_signal import ShutdownRequested, ShutdownSignal
from ..domain.errors import ConfigurationError
from ..domain.policy import EXIT_RUNTIME_FAILURE, exit_status, stopped_by_shutdown
from .client.options import add_invoke_options, invoke_option_errors
from .compose import build_runner
from .emulator.cli import add_emulator_options, parse_with_emulator_options, serve_emulator
from .event_input import UsageError, read_event
from .logs import configure_logging
from .serving import serve
from .settings import Settings
from .version import VersionAction

PROG = "run-command-on-aws-lambda"


class _Parser(argparse.ArgumentParser):
    """Exits 125 on an error, as `env` and `timeout` do; an unknown option names the known ones.

    No abbreviations (`allow_abbrev=False`): `--serv` is an error, not `--serve`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_RUNTIME_FAILURE, f"{self.prog}: error: {self._explain(message)}\n")

    def _explain(self, message: str) -> str:
        """argparse's "unrecognized arguments: --serv" says which options there are."""
        prefix = "unrecognized arguments: "
        unknown = message.removeprefix(prefix).split(" ")[0]
        if not message.startswith(prefix) or not unknown.startswith("-"):
            return message
        known = sorted(name for name in self._option_string_actions if name.startswith("--"))
        close = difflib.get_close_matches(unknown.split("=")[0], known, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        return (
            f"unknown option {unknown}.{hint} The options are: {', '.join(known)} "
            "(put -- before a command whose program starts with '-')."
        )


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = _Parser(
        prog=PROG,
        description="Run a command line from a JSON event: on AWS Lambda through the Runtime API "
        "(when AWS_LAMBDA_RUNTIME_API is set), otherwise once, with the event on standard input; "
        "with --invoke, on a deployed function, from here.",
        epilog="Exit status (local mode): the command's own; 124 timed out; "
        "125 invalid event, reference not resolved or runtime failure; "
        "126 not executable or not allowed; 127 not found; 128+N killed by signal N; "
        "130 interrupted (Ctrl-C), 143 for SIGTERM.",
    )
    parser.add_argument("--version", action=VersionAction)
    parser.add_argument(
        "--event",
        metavar="JSON|@FILE",
        help="the event as JSON text, or @FILE to read it from a file (default: standard input; "
        "with --invoke, {})",
    )
    parser.add_argument(
        "--result",
        metavar="FILE|-",
        help="also write the result or error body as JSON to FILE ('-' for standard output)",
    )
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="the default command (program and arguments), like an image's CMD; "
        "put -- before it when the program's name starts with '-'",
    )
    add_emulator_options(parser)
    add_invoke_options(parser)
    arguments = parse_with_emulator_options(parser, argv)
    problem = invoke_option_errors(arguments)
    if problem is not None:
        parser.error(problem)
    if arguments.command[:1] == ["--"]:
        arguments.command = arguments.command[1:]
    return arguments


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    if arguments.serve is not None:  # the Lambda emulator; the runtime it starts checks settings
        return serve_emulator(arguments, os.environ if environ is None else environ)
    environ = os.environ if environ is None else environ
    if arguments.invoke is not None:  # the Lambda client; boto3 loads there, and only there
        from .client.invoke import run_invoke  # noqa: PLC0415
        from .client.map import run_map  # noqa: PLC0415

        return (run_invoke if arguments.map is None else run_map)(arguments, environ)
    log = configure_logging(environ)
    if environ.get("AWS_LAMBDA_RUNTIME_API"):
        from .lambda_runtime import run_on_lambda  # noqa: PLC0415 - urllib3 loads on Lambda only

        if arguments.event is not None or arguments.result is not None:
            log.warning("--event and --result are ignored: events come from the Runtime API.")
        return run_on_lambda(arguments.command, environ)
    try:
        settings = Settings.from_environment(environ, arguments.command)
    except ConfigurationError as error:
        log.error("Invalid configuration: %s", error)
        return EXIT_RUNTIME_FAILURE
    try:
        return run_local(arguments, settings, environ)
    except UsageError as error:
        log.error("%s: %s", PROG, error)
        return EXIT_RUNTIME_FAILURE


def run_local(arguments: argparse.Namespace, settings: Settings, environ: Mapping[str, str]) -> int:
    """Serve one event from `--event` or standard input; exit with the command's status."""
    from ..adapters.local import LocalTransport  # noqa: PLC0415 - uuid loads in local mode only

    shutdown = ShutdownSignal()
    shutdown.install()
    try:
        payload = read_event(arguments.event, sys.stdin.buffer)
    except ShutdownRequested as stop:  # Ctrl-C while the event is typed in
        return 128 + stop.signal_number
    runner = build_runner(
        settings, environ, shutdown=shutdown, reap_orphans=become_child_subreaper()
    )
    with _result_sink(arguments.result) as sink:
        transport = LocalTransport(lambda: payload, result_sink=sink)
        try:
            verdict = serve(transport, runner, shutdown)
        except ShutdownRequested as stop:
            return 128 + stop.signal_number
    if verdict is None:
        return EXIT_RUNTIME_FAILURE
    if shutdown.requested is not None and stopped_by_shutdown(verdict):
        return 128 + shutdown.requested  # Ctrl-C: 130, as shells and --invoke say, not 143
    return exit_status(verdict)


@contextlib.contextmanager
def _result_sink(target: str | None) -> Iterator[BinaryIO | None]:
    if target is None or target == "-":
        yield None if target is None else sys.stdout.buffer
        return
    try:
        file = open(target, "wb")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise UsageError(f"cannot write the result to {target!r}: {error.strerror}.") from None
    with file:
        yield file
