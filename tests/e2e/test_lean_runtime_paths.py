"""End to end: the runtime's paths (local mode, Lambda, `--serve`) never load boto3 or tqdm,
and load the secret store only for a variable that holds a reference."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_script
from tests.e2e.conftest import Serve
from tests.lambda_clients import invoke_with_boto3

CLIENT_MODULES = re.compile(r"^import time:.*\b(boto3|botocore|s3transfer|tqdm)\b", re.MULTILINE)
SECRET_MODULES = re.compile(
    r"^import time:.*run_command_on_aws_lambda\."
    r"(domain\.references|domain\.resolution|adapters\.secrets|adapters\.aws|app\.references)",
    re.MULTILINE,
)


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
    assert SECRET_MODULES.search(log) is None


def test_the_secret_store_loads_only_when_a_variable_holds_a_reference(
    console_script: str,
) -> None:
    """Without `{{resolve:` nothing of it is imported; with one (even unresolvable) it is."""
    plain = run_script(
        console_script,
        "--event",
        '{"program": "true", "environment": {"T": "{{not-a-reference}}"}}',
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )
    referring = run_script(
        console_script,
        "--event",
        '{"program": "true", "environment": {"T": "{{resolve:ssm:/x}}"}}',
        env={"PYTHONPROFILEIMPORTTIME": "1", "AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
    )
    assert plain.returncode == 0
    assert SECRET_MODULES.search(plain.stderr.decode()) is None
    assert referring.returncode == 125  # no region: not resolved, but the store was loaded
    assert SECRET_MODULES.search(referring.stderr.decode()) is not None
