"""Unit: the runtime's settings, read from an environment mapping, invalid ones named."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.allowlist import Lock
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.errors import ConfigurationError


def test_defaults_without_any_setting() -> None:
    """Grace 3 s, margin 300 ms, no allow-list, no lock, arguments shown, secrets masked,
    streams up to Lambda's 200 MB."""
    settings = Settings.from_environment({"PATH": "/bin"})
    assert settings.grace == 3.0
    assert settings.deadline_margin == pytest.approx(0.3)
    assert settings.search_path == "/bin"
    assert settings.allowed_programs is None
    assert settings.lock is Lock.NONE
    assert settings.hide_arguments is False
    assert settings.mask_secrets is True
    assert settings.default_command is None
    assert settings.stream_limit == 200_000_000
    assert settings.terraform_key == "tf"


def test_every_setting_is_read() -> None:
    """Each documented variable changes what it says."""
    settings = Settings.from_environment(
        {
            "RUN_COMMAND_GRACE_SECONDS": "0.5",
            "RUN_COMMAND_DEADLINE_MARGIN_MS": "800",
            "RUN_COMMAND_ALLOWED_PROGRAMS": "dotnet",
            "RUN_COMMAND_LOCK": "program",
            "RUN_COMMAND_HIDE_ARGUMENTS": "yes",
            "RUN_COMMAND_MASK_SECRETS": "off",
            "RUN_COMMAND_STREAM_LIMIT_BYTES": "4096",
            "RUN_COMMAND_TERRAFORM_KEY": "terraform",
        },
        ["dotnet", "Migrate.dll"],
    )
    assert settings.grace == 0.5
    assert settings.deadline_margin == pytest.approx(0.8)
    assert settings.allowed_programs is not None
    assert settings.allowed_programs.names == {"dotnet"}
    assert settings.lock is Lock.PROGRAM
    assert settings.hide_arguments is True
    assert settings.mask_secrets is False
    assert settings.stream_limit == 4096
    assert settings.terraform_key == "terraform"
    assert settings.default_command == CommandSpec(program="dotnet", arguments=("Migrate.dll",))


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"RUN_COMMAND_GRACE_SECONDS": "soon"}, "RUN_COMMAND_GRACE_SECONDS='soon' is not valid"),
        ({"RUN_COMMAND_GRACE_SECONDS": "-1"}, "0 or more"),
        ({"RUN_COMMAND_DEADLINE_MARGIN_MS": "inf"}, "RUN_COMMAND_DEADLINE_MARGIN_MS"),
        ({"RUN_COMMAND_ALLOWED_PROGRAMS": ""}, "is set but empty"),
        ({"RUN_COMMAND_LOCK": "command"}, "needs a default command"),
        ({"RUN_COMMAND_HIDE_ARGUMENTS": "maybe"}, "use true or false"),
        ({"RUN_COMMAND_STREAM_LIMIT_BYTES": "1e6"}, "give a whole number of bytes, 0 or more"),
        ({"RUN_COMMAND_STREAM_LIMIT_BYTES": "-5"}, "RUN_COMMAND_STREAM_LIMIT_BYTES='-5'"),
        ({"RUN_COMMAND_TERRAFORM_KEY": "program"}, "the event's own field 'program'"),
        ({"RUN_COMMAND_TERRAFORM_KEY": "onDelete"}, "RUN_COMMAND_TERRAFORM_KEY='onDelete'"),
        ({"RUN_COMMAND_TERRAFORM_KEY": "idempotencyKey"}, "terraform_key"),
    ],
)
def test_an_invalid_setting_is_a_configuration_error_naming_it(
    environ: dict[str, str], fragment: str
) -> None:
    """The message names the variable and what would be valid."""
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environment(environ)
    assert fragment in str(caught.value)


def test_an_empty_default_program_is_a_configuration_error() -> None:
    """`run-command-on-aws-lambda ''` names no program."""
    with pytest.raises(ConfigurationError, match="program name is empty"):
        Settings.from_environment({}, [""])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RUN_COMMAND_GRACE_SECONDS", "abc"),
        ("RUN_COMMAND_DEADLINE_MARGIN_MS", "-1"),
        ("RUN_COMMAND_ALLOWED_PROGRAMS", " , "),
        ("RUN_COMMAND_ALLOWED_PROGRAMS", "bin/psql"),
        ("RUN_COMMAND_LOCK", "everything"),
        ("RUN_COMMAND_HIDE_ARGUMENTS", "maybe"),
        ("RUN_COMMAND_MASK_SECRETS", "sometimes"),
        ("RUN_COMMAND_STREAM_LIMIT_BYTES", "lots"),
        ("RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS", "abc"),
        ("AWS_ENDPOINT_URL_DYNAMODB", "127.0.0.1:8000"),
        ("AWS_ENDPOINT_URL", "localhost:8000"),
        ("AWS_REGION", ""),
        ("AWS_ACCESS_KEY_ID", ""),
    ],
)
def test_every_settings_error_names_its_variable(variable: str, value: str) -> None:
    """Whatever is wrong, the message says which variable to fix (and the value it had)."""
    environ = {
        "RUN_COMMAND_IDEMPOTENCY_TABLE": "runs",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        variable: value,
    }
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environment(environ)
    assert variable in str(caught.value)
