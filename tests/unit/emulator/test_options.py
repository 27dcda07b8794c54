"""Unit: `--serve` and the emulator's options, as the command line parses them."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.app.cli import parse_arguments
from run_command_on_aws_lambda.app.emulator.cli import (
    TIMEOUT_VARIABLE,
    EmulatorOptionError,
    parse_address,
    parse_timeout,
)
from run_command_on_aws_lambda.app.emulator.function_environment import runtime_environment


@pytest.mark.parametrize(
    ("argv", "serve", "command"),
    [
        (["--serve"], "127.0.0.1:9000", []),
        (["--serve", "127.0.0.1:8080"], "127.0.0.1:8080", []),
        (["--serve", "8080", "dotnet", "Db.dll"], "8080", ["dotnet", "Db.dll"]),
        (["--serve", "dotnet", "Db.dll"], "127.0.0.1:9000", ["dotnet", "Db.dll"]),
        (["--serve", "sh", "-c", "exit 3"], "127.0.0.1:9000", ["sh", "-c", "exit 3"]),
        (["--serve", "--", "-odd"], "127.0.0.1:9000", ["-odd"]),
        (["--function-timeout", "5", "--serve", "id", "-u"], "127.0.0.1:9000", ["id", "-u"]),
        (["id", "--serve"], None, ["id", "--serve"]),
    ],
)
def test_serve_takes_an_address_only_when_one_follows(
    argv: list[str], serve: str | None, command: list[str]
) -> None:
    """`--serve dotnet Db.dll` serves on the default address with that default command."""
    arguments = parse_arguments(argv)
    assert (arguments.serve, arguments.command) == (serve, command)


@pytest.mark.parametrize("argv", [["--function-timeout", "5", "id"], ["--allow-remote", "id"]])
def test_the_emulators_options_need_serve(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --serve they would be ignored silently: refused with status 125 instead."""
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(argv)
    assert exit_.value.code == 125
    assert "options of --serve" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:9000", ("127.0.0.1", 9000)),
        (":9000", ("127.0.0.1", 9000)),
        ("9000", ("127.0.0.1", 9000)),
        ("localhost:0", ("localhost", 0)),
        ("127.0.0.2:80", ("127.0.0.2", 80)),
        ("[::1]:9000", ("::1", 9000)),
    ],
)
def test_loopback_addresses_are_accepted(text: str, address: tuple[str, int]) -> None:
    """Loopback needs no flag."""
    assert parse_address(text, allow_remote=False) == address


@pytest.mark.parametrize("text", ["0.0.0.0:9000", "192.168.1.10:9000", "[::]:9000", "myhost:9000"])
def test_other_addresses_need_allow_remote(text: str) -> None:
    """Anything but loopback is refused with the reason, unless --allow-remote is given."""
    with pytest.raises(EmulatorOptionError, match="--allow-remote"):
        parse_address(text, allow_remote=False)
    assert parse_address(text, allow_remote=True)[1] == 9000


@pytest.mark.parametrize("text", ["127.0.0.1:99999", "127.0.0.1:", "a:b:9000"])
def test_malformed_addresses_are_refused(text: str) -> None:
    with pytest.raises(EmulatorOptionError, match=r"give \[HOST:\]PORT"):
        parse_address(text, allow_remote=True)


@pytest.mark.parametrize(
    ("text", "seconds"), [(None, 300.0), ("3", 3.0), ("0.5", 0.5), ("900", 900)]
)
def test_the_function_timeout_defaults_to_300_seconds(text: str | None, seconds: float) -> None:
    assert parse_timeout(text) == seconds


@pytest.mark.parametrize("text", ["0", "-1", "901", "soon", "nan", "inf"])
def test_a_function_timeout_outside_lambdas_range_is_refused(text: str) -> None:
    """More than 0 and at most Lambda's 900 seconds."""
    with pytest.raises(EmulatorOptionError, match="at most 900"):
        parse_timeout(text)


def test_an_invalid_function_timeout_names_where_it_came_from() -> None:
    """The variable (AWS_LAMBDA_FUNCTION_TIMEOUT=abc) or the option, not only the value."""
    with pytest.raises(EmulatorOptionError) as raised:
        parse_timeout("abc", TIMEOUT_VARIABLE)
    assert str(raised.value).startswith("AWS_LAMBDA_FUNCTION_TIMEOUT='abc' is not valid")
    with pytest.raises(EmulatorOptionError) as raised:
        parse_timeout("abc", "--function-timeout")
    assert str(raised.value).startswith("--function-timeout 'abc' is not valid")


def test_the_runtime_gets_lambdas_variables_without_overriding_ours() -> None:
    """Function name, version, memory, log names and region are set where we have none."""
    environment = runtime_environment(
        {"PATH": "/bin", "AWS_LAMBDA_FUNCTION_NAME": "mine", "AWS_LAMBDA_RUNTIME_API": "x:1"},
        "eu-west-1",
    )
    assert environment == {
        "PATH": "/bin",
        "AWS_LAMBDA_FUNCTION_NAME": "mine",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/mine",
        "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
