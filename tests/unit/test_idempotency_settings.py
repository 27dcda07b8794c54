"""Unit: the idempotency guard's settings, read only when its table is configured."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.app.idempotency_settings import IdempotencySettings, read_idempotency
from run_command_on_aws_lambda.app.settings import Settings
from run_command_on_aws_lambda.domain.errors import ConfigurationError

LAMBDA = {
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "token",
}


def test_the_guard_is_off_without_a_table() -> None:
    """No RUN_COMMAND_IDEMPOTENCY_TABLE, no guard: its other settings are not even read."""
    settings = Settings.from_environment({"RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS": "nonsense"})
    assert settings.idempotency is None


def test_a_table_turns_the_guard_on_with_the_lambda_environment() -> None:
    """The table, Lambda's region, the default TTL of an hour and the region's endpoint."""
    settings = Settings.from_environment({"RUN_COMMAND_IDEMPOTENCY_TABLE": "runs", **LAMBDA})
    assert settings.idempotency == IdempotencySettings(
        table="runs", region="eu-west-1", endpoint=None, ttl_seconds=3600
    )


@pytest.mark.parametrize(
    ("extra", "endpoint"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "http://127.0.0.1:9"),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8"}, "http://127.0.0.1:8"),
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_DYNAMODB": "https://d"},
            "https://d",
        ),
    ],
)
def test_the_standard_endpoint_variables_point_the_guard_elsewhere(
    extra: dict[str, str], endpoint: str
) -> None:
    """AWS_ENDPOINT_URL_DYNAMODB wins over AWS_ENDPOINT_URL, as in AWS's SDKs."""
    environ = {"RUN_COMMAND_IDEMPOTENCY_TABLE": "runs", **LAMBDA, **extra}
    guard = Settings.from_environment(environ).idempotency
    assert guard is not None
    assert guard.endpoint == endpoint


def test_the_ttl_is_read() -> None:
    """RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS sets how long an outcome is kept."""
    environ = {
        "RUN_COMMAND_IDEMPOTENCY_TABLE": "runs",
        "RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS": "86400",
        **LAMBDA,
    }
    guard = Settings.from_environment(environ).idempotency
    assert guard is not None
    assert guard.ttl_seconds == 86400


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"AWS_REGION": ""}, "AWS_REGION is not"),
        ({"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID is not"),
        ({"AWS_SECRET_ACCESS_KEY": ""}, "AWS_SECRET_ACCESS_KEY is not"),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "127.0.0.1:8000"}, "AWS_ENDPOINT_URL_DYNAMODB='127.0.0"),
        ({"AWS_ENDPOINT_URL": "localhost:8000"}, "AWS_ENDPOINT_URL='localhost:8000' is not"),
        ({"RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS": "0"}, "whole number of seconds"),
        ({"RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS": "1.5"}, "whole number of seconds"),
        ({"RUN_COMMAND_IDEMPOTENCY_TTL_SECONDS": "an hour"}, "RUN_COMMAND_IDEMPOTENCY_TTL"),
    ],
)
def test_an_unusable_guard_setting_is_a_configuration_error(
    change: dict[str, str], fragment: str
) -> None:
    """With the table set, each missing or wrong setting is named (an init error)."""
    environ = {"RUN_COMMAND_IDEMPOTENCY_TABLE": "runs", **LAMBDA, **change}
    with pytest.raises(ConfigurationError, match=fragment):
        Settings.from_environment(environ)


def test_a_python_without_tls_refuses_an_https_endpoint_at_init() -> None:
    """A Python without ssl: the guard says so at init, not per call; http needs no TLS."""
    environ = {"RUN_COMMAND_IDEMPOTENCY_TABLE": "runs", **LAMBDA}
    with pytest.raises(ConfigurationError, match="no TLS"):
        read_idempotency(environ, has_tls=lambda: False)
    local = {**environ, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}
    guard = read_idempotency(local, has_tls=lambda: False)
    assert guard is not None
    assert guard.endpoint == "http://127.0.0.1:8000"
