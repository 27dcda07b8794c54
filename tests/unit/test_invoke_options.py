"""Unit: `--invoke` and its options, as the command line parses them."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.adapters.client.session import client_unavailable_message
from run_command_on_aws_lambda.app.cli import parse_arguments


@pytest.mark.parametrize(
    ("argv", "function", "command"),
    [
        (["--invoke", "f", "--", "sh", "-c", "exit 3"], "f", ["sh", "-c", "exit 3"]),
        (["--invoke", "f:live", "id", "--region", "x"], "f:live", ["id", "--region", "x"]),
        (["--region", "eu-west-1", "--invoke", "f"], "f", []),
        (["--endpoint-url", "http://127.0.0.1:9000", "--invoke", "f", "--", "-odd"], "f", ["-odd"]),
        (["id", "--invoke", "f"], None, ["id", "--invoke", "f"]),
    ],
)
def test_options_come_first_and_the_command_after(
    argv: list[str], function: str | None, command: list[str]
) -> None:
    """Everything from the program on is the command's, as in local mode."""
    arguments = parse_arguments(argv)
    assert (arguments.invoke, arguments.command) == (function, command)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--log-tail", "id"], "are options of --invoke"),
        (["--region", "eu-west-1", "id"], "are options of --invoke"),
        (["--invoke", "f", "--serve"], "--invoke and --serve cannot be used together"),
        (["--invoke", "f", "--result", "-"], "--result is for local mode, not --invoke"),
    ],
)
def test_options_that_do_not_go_together_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Status 125 and a message naming the options, before anything runs."""
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(argv)
    assert exit_.value.code == 125
    assert message in capsys.readouterr().err


def test_the_standalone_build_says_where_the_client_is() -> None:
    """Without Python, "pip install" cannot apply: the hint names the Python package instead."""
    standalone = client_unavailable_message(frozen=True)
    assert standalone.startswith("--invoke is not part of the standalone build")
    assert "Python 3.11" in standalone
    assert client_unavailable_message(frozen=False).startswith("--invoke needs boto3")


def test_help_shows_the_documented_forms_and_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    """--help agrees with the docs: `--result FILE|-`, and 143 for a SIGTERM'd --invoke."""
    with pytest.raises(SystemExit) as exited:
        parse_arguments(["--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--result FILE|-" in text
    assert "205 endpoint unreachable" in text
    client_section = text[text.index("Lambda client:") :]
    assert "130 interrupted (Ctrl-C), 143 for SIGTERM." in client_section
    assert "--version" in text
