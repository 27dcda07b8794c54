"""Integration: the runtime's init error against a real HTTP Runtime API."""

from __future__ import annotations

import logging

import pytest
from pytest_httpserver import HTTPServer

from run_command_on_aws_lambda.adapters.runtime_api.client import RuntimeApiClient, open_pool
from run_command_on_aws_lambda.app.lambda_runtime import report_init_error
from run_command_on_aws_lambda.domain.errors import ConfigurationError

INIT_ERROR = "/2018-06-01/runtime/init/error"


def client_for(httpserver: HTTPServer) -> RuntimeApiClient:
    return RuntimeApiClient(open_pool(f"{httpserver.host}:{httpserver.port}"))


@pytest.mark.parametrize(
    ("status", "level", "said"),
    [
        (202, None, None),
        (403, logging.INFO, "reported already"),
        (500, logging.ERROR, "Could not report the init error"),
    ],
)
def test_an_init_error_answered_403_was_reported_already_and_is_no_fault(
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    status: int,
    level: int | None,
    said: str | None,
) -> None:
    """403 (another runtime of the environment reported first) is one INFO line; 500 an ERROR."""
    httpserver.expect_oneshot_request(INIT_ERROR, method="POST").respond_with_data(
        b"", status=status
    )
    with caplog.at_level(logging.INFO, logger="run_command_on_aws_lambda"):
        report_init_error(client_for(httpserver), ConfigurationError("X='y' is not valid"))
    httpserver.check_assertions()
    ours = [record for record in caplog.records if record.name == "run_command_on_aws_lambda"]
    records = [(record.levelno, record.getMessage()) for record in ours]
    if said is None:
        assert records == []
    else:
        assert [number for number, _ in records] == [level]
        assert said in records[0][1]
