"""End to end: the runtime's paths (local mode, Lambda, `--serve`) never load boto3 or tqdm."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_script
from tests.e2e.conftest import Serve
from tests.lambda_clients import invoke_with_boto3

CLIENT_MODULES = re.compile(r"^import time:.*\b(boto3|botocore|s3transfer|tqdm)\b", re.MULTILINE)


def test_local_mode_never_imports_boto3(console_script: str) -> None:
    """Python's import log of a local run names no module of boto3's."""
    completed = run_script(
        console_script, "--event", '{"program": "true"}', env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    log = completed.stderr.decode()
    assert completed.returncode == 0
    assert "run_command_on_aws_lambda.app.cli" in log  # the import log is there to read
    assert CLIENT_MODULES.search(log) is None


def test_serve_and_the_runtime_it_starts_never_import_boto3(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--serve, and its runtime in Lambda mode, run an invocation without loading boto3."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # inherited by the runtime it starts
    served = serve()
    assert invoke_with_boto3(served.client, {"program": "true"}).function_error is None
    assert served.stop() == 0
    log = served.stderr.read_text() + served.stdout.read_text()
    assert "run_command_on_aws_lambda.adapters.emulator.invoke_api" in log  # the emulator's
    assert "run_command_on_aws_lambda.app.lambda_runtime" in log  # the runtime's
    assert CLIENT_MODULES.search(log) is None
