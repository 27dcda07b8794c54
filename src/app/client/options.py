"""App: the command-line options of `--invoke`. Loads nothing of the client: boto3 stays out."""

from __future__ import annotations

import argparse

OPTIONS_WITH_VALUES = frozenset(
    {"--invoke", "--endpoint-url", "--region", "--profile", "--map", "--results"}
    | {"--idempotency-key", "--tenant-id"}
)
"""Options of `--invoke` that take a value (the word after them is not the command)."""


def add_invoke_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Lambda client",
        "Exit status (--invoke): the command's, as in local mode; 200 no such function; "
        "201 access denied; 202 throttled; 203 other refusal by Lambda; 204 no credentials, "
        "region or profile; 205 endpoint unreachable (200-205: nothing ran); 210 Lambda's "
        "timeout; 211 the runtime failed outside the command; 220 connection lost (the command "
        "may still run); 130 interrupted (Ctrl-C), 143 for SIGTERM.",
    )
    group.add_argument(
        "--invoke",
        metavar="FUNCTION",
        help="run the command on Lambda: invoke FUNCTION (a name, an ARN, or NAME:QUALIFIER) "
        "with the event built from the command line and --event, print its output as it comes, "
        "and exit with its status (needs boto3: pip install 'run-command-on-aws-lambda[client]'; "
        "the standalone build has no --invoke)",
    )
    group.add_argument(
        "--no-stream",
        action="store_true",
        help="with --invoke: use Invoke and print the output at the end, instead of streaming it",
    )
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="with --invoke: Lambda's endpoint, such as http://127.0.0.1:9000 for --serve",
    )
    group.add_argument("--region", help="with --invoke: the AWS region (default: AWS's chain)")
    group.add_argument("--profile", help="with --invoke: the AWS profile (default: AWS's chain)")
    group.add_argument(
        "--map",
        metavar="FILE",
        help="with --invoke: run the command once per line of FILE ('-' for standard input), "
        "JSON Lines whose fields replace the event's; up to --concurrency at once. Exit "
        "status: 0 all succeeded; the number failed, up to 100; 101 more; 255 the map could "
        "not run; 130 interrupted (Ctrl-C), 143 for SIGTERM",
    )
    group.add_argument(
        "--results",
        metavar="FILE",
        help="with --map: append one JSON line per item as it ends; a rerun with the same FILE "
        "skips the items it records as succeeded",
    )
    group.add_argument(
        "--tag",
        action="store_true",
        help="with --map: start every line of output with its item ('line N' and a tab) "
        "instead of a header above each item's block",
    )
    group.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="with --invoke: the event's idempotencyKey, what this run is for (migrate-4.2): "
        "a function with RUN_COMMAND_IDEMPOTENCY_TABLE runs the command once for KEY and "
        "answers every retry with that run's outcome. With --map: a prefix; each item's key "
        "is KEY + a hash of its line, so that no succeeded item runs twice",
    )
    group.add_argument(
        "--tenant-id",
        metavar="ID",
        help="with --invoke (and --map): invoke as tenant ID, for a function with tenant "
        "isolation (TenancyConfig PER_TENANT); the command sees it as $RUN_COMMAND_TENANT_ID",
    )
    group.add_argument(
        "--log-tail",
        action="store_true",
        help="with --invoke: on failure, print the invocation's last 4 KB of log on stderr",
    )


def invoke_option_errors(arguments: argparse.Namespace) -> str | None:
    """What is wrong with the combination of options, for `parser.error`; None if nothing."""
    client_options = (
        arguments.no_stream
        or arguments.log_tail
        or arguments.endpoint_url is not None
        or arguments.region is not None
        or arguments.profile is not None
        or arguments.map is not None
        or arguments.idempotency_key is not None
        or arguments.tenant_id is not None
    )
    if arguments.invoke is None and client_options:
        return (
            "--no-stream, --endpoint-url, --region, --profile, --map, --idempotency-key, "
            "--tenant-id and --log-tail are options of --invoke"
        )
    if arguments.tenant_id is not None and not arguments.tenant_id.strip():
        return "--tenant-id needs the tenant's id, such as --tenant-id acme"
    problem = _map_option_errors(arguments)
    if problem is not None or arguments.invoke is None:
        return problem
    if arguments.serve is not None:
        return "--invoke and --serve cannot be used together"
    if arguments.result is not None:
        return "--result is for local mode, not --invoke"
    return None


def _map_option_errors(arguments: argparse.Namespace) -> str | None:
    if arguments.concurrency is not None and arguments.serve is None and arguments.map is None:
        return "--concurrency is an option of --serve and of --map"
    if arguments.map is None and (arguments.results is not None or arguments.tag):
        return "--results and --tag are options of --map"
    return None
