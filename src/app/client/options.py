"""App: the command-line options of `--invoke`. Loads nothing of the client: boto3 stays out."""

from __future__ import annotations

import argparse

OPTIONS_WITH_VALUES = frozenset({"--invoke", "--endpoint-url", "--region", "--profile"})
"""Options of `--invoke` that take a value (the word after them is not the command)."""


def add_invoke_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Lambda client",
        "Exit status (--invoke): the command's, as in local mode; 200 no such function; "
        "201 access denied; 202 throttled; 203 other refusal by Lambda; 204 no credentials, "
        "region or profile; 205 endpoint unreachable (200-205: nothing ran); 210 Lambda's "
        "timeout; 211 the runtime failed outside the command; 220 connection lost (the command "
        "may still run); 130 interrupted.",
    )
    group.add_argument(
        "--invoke",
        metavar="FUNCTION",
        help="run the command on Lambda: invoke FUNCTION (a name, an ARN, or NAME:QUALIFIER) "
        "with the event built from the command line and --event, print its output as it comes, "
        "and exit with its status (needs boto3: pip install 'run-command-on-aws-lambda[client]')",
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
    )
    if arguments.invoke is None:
        if client_options:
            return (
                "--no-stream, --endpoint-url, --region, --profile and --log-tail are options "
                "of --invoke"
            )
        return None
    if arguments.serve is not None:
        return "--invoke and --serve cannot be used together"
    if arguments.result is not None:
        return "--result is for local mode, not --invoke"
    return None
