"""App: `--serve`, the emulator's command-line options, and serving until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import math
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ...domain.policy import EXIT_RUNTIME_FAILURE
from ..logs import configure_logging
from .function_environment import runtime_environment
from .stop_signals import catch_stop_signals, wait_for_stop_signal

if TYPE_CHECKING:
    from .invoker import Emulator
    from .scaling import ScaledEmulator

log = logging.getLogger("run_command_on_aws_lambda")

DEFAULT_ADDRESS = "127.0.0.1:9000"
DEFAULT_TIMEOUT = 300.0
"""Seconds an invocation may take unless configured otherwise (AWS's emulator's default)."""
TIMEOUT_VARIABLE = "AWS_LAMBDA_FUNCTION_TIMEOUT"
MAX_TIMEOUT = 900.0
_ADDRESS = re.compile(r"(?:(?P<host>\[[0-9a-fA-F:.]+\]|[^\s:\[\]]*):)?(?P<port>\d{1,5})")
_OPTIONS_WITH_VALUES = {
    *("--event", "--result", "--function-timeout", "--concurrency", "--per-environment"),
    *("--invoke", "--endpoint-url", "--region", "--profile"),
    *("--map", "--results", "--idempotency-key", "--tenant-id"),
}


class EmulatorOptionError(Exception):
    """An emulator option is invalid; the message says which and why."""


def add_emulator_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Lambda emulator")
    group.add_argument(
        "--serve",
        nargs="?",
        const=DEFAULT_ADDRESS,
        metavar="[HOST:]PORT",
        help="serve Lambda's Invoke API and run each invocation through the Runtime API, "
        f"like AWS's emulator (default address {DEFAULT_ADDRESS})",
    )
    group.add_argument(
        "--allow-remote",
        action="store_true",
        help="with --serve: allow an address other than loopback (anyone who can reach it "
        "can run any command as you)",
    )
    group.add_argument(
        "--function-timeout",
        metavar="SECONDS",
        help=f"with --serve: the function's timeout (default ${TIMEOUT_VARIABLE}, "
        f"else {DEFAULT_TIMEOUT:g})",
    )
    group.add_argument(
        "--concurrency",
        metavar="N",
        type=_positive_count,
        help="with --serve: run up to N sandboxes at once, each serving one invocation, and "
        "throttle the rest (429 TooManyRequestsException) as Lambda does; without it, "
        "invocations wait for the one sandbox. With --map: invoke up to N items at once "
        "(default 10)",
    )
    group.add_argument(
        "--per-environment",
        metavar="M",
        type=_positive_count,
        help="with --serve: emulate Lambda Managed Instances: each sandbox's runtime gets "
        "AWS_LAMBDA_MAX_CONCURRENCY=M and JSON logs, and serves up to M invocations at once",
    )


def _positive_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count: give a whole number, 1 or more")
    return count


def parse_with_emulator_options(
    parser: argparse.ArgumentParser, argv: Sequence[str]
) -> argparse.Namespace:
    """Parse `argv`; the emulator's options are refused without `--serve`."""
    arguments = parser.parse_args(_expand_serve_option(argv))
    if arguments.serve is None and (arguments.allow_remote or arguments.function_timeout):
        parser.error("--allow-remote and --function-timeout are options of --serve")
    if arguments.serve is None and arguments.per_environment is not None:
        parser.error("--per-environment is an option of --serve")
    return arguments


def _expand_serve_option(argv: Sequence[str]) -> list[str]:
    """`--serve dotnet Db.dll`: a word after `--serve` that is no address starts the command.

    Done before argparse, which would otherwise take that word as the address.
    """
    argv = list(argv)
    index = 0
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "--":
        if argv[index] == "--serve":
            following = argv[index + 1] if index + 1 < len(argv) else "-"
            if not following.startswith("-") and not _ADDRESS.fullmatch(following):
                argv[index] = f"--serve={DEFAULT_ADDRESS}"
            break
        index += 2 if argv[index] in _OPTIONS_WITH_VALUES else 1
    return argv


def serve_emulator(arguments: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Serve until SIGINT or SIGTERM; returns the exit status (0, or 125 for bad options)."""
    configure_logging(environ)
    try:
        if arguments.event is not None or arguments.result is not None:
            raise EmulatorOptionError("--event and --result are for local mode, not --serve.")
        address = parse_address(arguments.serve, allow_remote=arguments.allow_remote)
        timeout = (
            parse_timeout(arguments.function_timeout, "--function-timeout")
            if arguments.function_timeout
            else parse_timeout(environ.get(TIMEOUT_VARIABLE), TIMEOUT_VARIABLE)
        )
    except EmulatorOptionError as error:
        log.error("%s", error)
        return EXIT_RUNTIME_FAILURE
    emulator = build_emulator(
        arguments.command,
        environ,
        timeout,
        arguments.concurrency,
        per_environment=arguments.per_environment,
    )
    # The HTTP machinery is imported only here: the runtime on Lambda never needs it.
    from ...adapters.emulator.invoke_api import InvokeApiServer  # noqa: PLC0415

    try:
        server = InvokeApiServer(emulator, address)
    except OSError as error:
        emulator.close()
        log.error("Cannot listen on %s:%s: %s.", *address, error.strerror)
        return EXIT_RUNTIME_FAILURE
    stop = catch_stop_signals()  # before the announcement: a SIGTERM may follow it at once
    server.start("invoke-api")
    log.info(
        "Serving the Lambda Invoke API on http://%s (function timeout %g s%s): "
        "POST /2015-03-31/functions/function/invocations, "
        "or .../2021-11-15/functions/function/response-streaming-invocations",
        server.url_address,
        timeout,
        _scale(arguments.concurrency, arguments.per_environment),
    )
    wait_for_stop_signal(stop)
    log.info("Stopping.")
    server.stop()
    emulator.close()
    return 0


def build_emulator(
    default_command: Sequence[str],
    environ: Mapping[str, str],
    timeout: float,
    concurrency: int | None = None,
    *,
    per_environment: int | None = None,
) -> Emulator | ScaledEmulator:
    """The composition root of `--serve`: an emulator that starts this program as its runtime.

    With `concurrency`, up to that many sandboxes run at once; without, one, and invocations
    queue for it. With `per_environment`, each sandbox serves up to that many at once.
    """
    from ...adapters.emulator.orphans import Orphans  # noqa: PLC0415 - see serve_emulator
    from ...adapters.executor.process_group import become_child_subreaper  # noqa: PLC0415
    from .invoker import Emulator  # noqa: PLC0415
    from .sandbox import SandboxConfig, runtime_argv  # noqa: PLC0415
    from .scaling import ScaledEmulator  # noqa: PLC0415

    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = SandboxConfig(
        runtime_argv=runtime_argv(default_command),
        environment=runtime_environment(environ, region),
        timeout=timeout,
        # What a dead runtime left running is adopted, to be stopped with its sandbox.
        orphans=Orphans() if become_child_subreaper() else None,
        per_environment=per_environment,
    )
    if concurrency is not None or per_environment is not None:
        return ScaledEmulator(
            config,
            concurrency=concurrency or 1,
            output=sys.stdout.buffer,
            region=region,
            throttle=concurrency is not None,  # one environment alone queues, as without
        )
    return Emulator(config, output=sys.stdout.buffer, region=region)


def _scale(concurrency: int | None, per_environment: int | None) -> str:
    """How many invocations at once, for the announcement."""
    sandboxes = "" if concurrency is None else f", up to {concurrency} sandboxes"
    if per_environment is None:
        return sandboxes
    return f"{sandboxes or ', one sandbox'} of {per_environment} invocations at once"


def parse_address(text: str, *, allow_remote: bool) -> tuple[str, int]:
    match = _ADDRESS.fullmatch(text)
    port = int(match["port"]) if match else -1
    if match is None or port > 65535:
        raise EmulatorOptionError(f"--serve {text!r}: give [HOST:]PORT, such as {DEFAULT_ADDRESS}.")
    host = (match["host"] or "127.0.0.1").strip("[]")
    if not allow_remote and not _is_loopback(host):
        raise EmulatorOptionError(
            f"--serve {text!r} is not a loopback address: whoever can reach it can run any "
            "command as you. Add --allow-remote if that is what you want."
        )
    return host, port


def parse_timeout(text: str | None, source: str = "--function-timeout") -> float:
    """Seconds from `text`, which came from `source` (the option or the variable it names)."""
    if text is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT:
        given = f"{source}={text!r}" if source == TIMEOUT_VARIABLE else f"{source} {text!r}"
        raise EmulatorOptionError(
            f"{given} is not valid: give the function's timeout in seconds, more than 0 and at "
            f"most {MAX_TIMEOUT:g} (Lambda's limit)."
        )
    return seconds


def _is_loopback(host: str) -> bool:
    # Imported here: this module loads with the CLI on every Lambda cold start, --serve or not.
    import ipaddress  # noqa: PLC0415

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
