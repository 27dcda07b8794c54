"""End to end: `{{resolve:...}}` references against a local Secrets Manager and SSM (moto).

The installed console script as a real process, in local mode, on the (fake) Runtime API and
under `--serve`; credentials, region and endpoints come from its environment, as on Lambda.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_script
from tests.e2e.conftest import Serve
from tests.fake_runtime_api import FakeRuntimeApi
from tests.lambda_clients import invoke_with_boto3
from tests.local_secrets import LocalSecrets
from tests.runtime_process import RuntimeProcess


def prod_db(secrets: LocalSecrets) -> None:
    """The issue's secret: `prod/db` holding {"password": "s3cr3t"}."""
    value = json.dumps({"password": "s3cr3t"})
    try:
        secrets.secret(value, name="prod/db")
    except secrets.secretsmanager.exceptions.ResourceExistsException:
        secrets.rotate("prod/db", value)


def test_the_issues_example_runs_with_the_password_and_prints_it_masked(
    console_script: str, aws_secrets: LocalSecrets
) -> None:
    """With prod/db in a local Secrets Manager, the event exits 0 and prints `***`.

    The log's "Running" line masks the value too, though the event spells it out.
    """
    prod_db(aws_secrets)
    event = {
        "program": "sh",
        "arguments": ["-c", 'test "$PW" = s3cr3t && echo $PW'],
        "environment": {"PW": "{{resolve:secretsmanager:prod/db:SecretString:password}}"},
    }
    completed = run_script(
        console_script, "--event", json.dumps(event), env=aws_secrets.environment
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == b"***\n"
    assert b"Running sh" in completed.stderr
    assert b"s3cr3t" not in completed.stderr


def test_local_mode_masks_every_resolved_value_in_output_logs_and_the_result(
    console_script: str, aws_secrets: LocalSecrets, tmp_path: Path
) -> None:
    """stdout, stderr (the log) and the --result body show *** for each value."""
    name, _ = aws_secrets.secret(json.dumps({"user": "u-61f0", "password": "p-0c3e"}))
    parameter = aws_secrets.parameter("h-77d2", secure=True)
    event = {
        "program": "sh",
        "arguments": ["-c", 'echo "$URL"; echo "$URL" >&2; exit 3'],
        "environment": {
            "URL": f"{{{{resolve:secretsmanager:{name}:SecretString:user}}}}:"
            f"{{{{resolve:secretsmanager:{name}:SecretString:password}}}}@"
            f"{{{{resolve:ssm-secure:{parameter}}}}}"
        },
    }
    result = tmp_path / "result.json"
    completed = run_script(
        console_script,
        "--event",
        json.dumps(event),
        "--result",
        str(result),
        env=aws_secrets.environment,
    )
    assert completed.returncode == 3
    assert completed.stdout == b"***:***@***\n"
    assert b"***:***@***\n" in completed.stderr
    body = json.loads(result.read_text())
    assert body["output"] == "***:***@***\n" * 2  # stdout and stderr
    everything = completed.stdout + completed.stderr + result.read_bytes()
    for value in (b"u-61f0", b"p-0c3e", b"h-77d2"):
        assert value not in everything


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("{{resolve:secretsmanager:no/such/secret}}", "ResourceNotFoundException"),
        ("{{resolve:ssm-secure:/no/such/parameter}}", "ParameterNotFound"),
        ("{{resolve:secretsmanager:prod/db:SecretString:no-such-key}}", "no JSON key"),
        ("{{resolve:ssm}}", "malformed reference"),
    ],
    # Not the references: the test's id goes into PYTEST_CURRENT_TEST, which the runtime inherits.
    ids=["no-secret", "no-parameter", "no-json-key", "malformed"],
)
def test_local_mode_exits_125_without_starting_the_command(
    console_script: str, aws_secrets: LocalSecrets, tmp_path: Path, reference: str, code: str
) -> None:
    """ReferenceNotResolved: status 125, the error body names it; the command's file is absent."""
    prod_db(aws_secrets)
    ran = tmp_path / "ran"
    event = {"program": "touch", "arguments": [str(ran)], "environment": {"CONN": reference}}
    completed = run_script(
        console_script, "--event", json.dumps(event), "--result", "-", env=aws_secrets.environment
    )
    assert completed.returncode == 125
    body = json.loads(completed.stdout)
    assert body["errorType"] == "ReferenceNotResolved"
    assert "CONN" in body["errorMessage"]
    assert reference in body["errorMessage"]
    assert code in body["errorMessage"]
    assert "s3cr3t" not in completed.stdout.decode() + completed.stderr.decode()
    assert not ran.exists()


def test_on_lambda_a_function_variable_is_fetched_again_for_each_invocation(
    console_script: str, runtime_api: FakeRuntimeApi, aws_secrets: LocalSecrets, tmp_path: Path
) -> None:
    """A secret rotated between two invocations: the second command gets the new value."""
    name, _ = aws_secrets.secret("before-rotation-1")
    env = {
        **aws_secrets.environment,
        "DB_CONN": f"Password={{{{resolve:secretsmanager:{name}}}}}",
    }
    check = 'test "$DB_CONN" = "Password=$EXPECTED" && echo "$DB_CONN"'
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        first = runtime_api.outcome(
            runtime_api.enqueue(
                {
                    "program": "sh",
                    "arguments": ["-c", check],
                    "environment": {"EXPECTED": "before-rotation-1"},
                }
            )
        )
        aws_secrets.rotate(name, "after-rotation-2")
        second = runtime_api.outcome(
            runtime_api.enqueue(
                {
                    "program": "sh",
                    "arguments": ["-c", check],
                    "environment": {"EXPECTED": "after-rotation-2"},
                }
            )
        )
        logs = runtime.stdout + runtime.stderr
    assert [first.kind, second.kind] == ["response", "response"]
    assert first.document["output"] == second.document["output"] == "Password=***\n"
    assert aws_secrets.calls("GetSecretValue", name) == 2
    assert "Password=***" in logs
    assert "rotation" not in logs + first.body.decode() + second.body.decode()


def test_serve_resolves_an_events_reference_and_answers_a_failure_as_reference_not_resolved(
    serve: Serve, aws_secrets: LocalSecrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through --serve and boto3: the result masked; an unknown secret is the function error."""
    for variable, value in aws_secrets.environment.items():
        monkeypatch.setenv(variable, value)
    parameter = aws_secrets.parameter("served-3f9a")
    served = serve()
    ok = invoke_with_boto3(
        served.client,
        {
            "program": "sh",
            "arguments": ["-c", 'echo "token=$T"'],
            "environment": {"T": f"{{{{resolve:ssm:{parameter}}}}}"},
        },
    )
    failed = invoke_with_boto3(
        served.client,
        {"program": "true", "environment": {"T": "{{resolve:secretsmanager:gone}}"}},
    )
    assert served.stop() == 0
    assert ok.function_error is None
    assert ok.body["output"] == "token=***\n"
    assert "token=***" in ok.log
    assert failed.function_error == "Unhandled"
    assert failed.body["errorType"] == "ReferenceNotResolved"
    logs = served.stdout.read_text() + served.stderr.read_text() + ok.log
    assert "served-3f9a" not in logs


def test_the_docs_local_example_runs_as_written(
    console_script: str, aws_secrets: LocalSecrets, tmp_path: Path
) -> None:
    """docs/secrets.md's AWS CLI and local-mode block, against the test's moto on its port."""
    text = (Path(__file__).parents[2] / "docs" / "secrets.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    (block,) = [block for block in blocks if "create-secret" in block]
    missing = aws_secrets.secretsmanager.exceptions.ResourceNotFoundException
    with contextlib.suppress(missing):  # the block creates prod/db, as on a fresh server
        aws_secrets.secretsmanager.delete_secret(
            SecretId="prod/db", ForceDeleteWithoutRecovery=True
        )
    bin_folder = Path(console_script).parent
    completed = subprocess.run(
        [
            "bash",
            "-euo",
            "pipefail",
            "-c",
            block.replace("http://127.0.0.1:5000", aws_secrets.endpoint),
        ],
        capture_output=True,
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "PATH": f"{bin_folder}:{Path(sys.executable).parent}:{os.environ['PATH']}",
            "AWS_CONFIG_FILE": "/dev/null",
        },
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().endswith("}\n***\n")  # the CLI's answer, then the output
