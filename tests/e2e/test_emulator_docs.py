"""End to end: the emulator page's examples (curl, `aws lambda invoke`, boto3), run as written.

Only the address changes: the examples say 127.0.0.1:9000, the test serves on a free port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Serve

PAGE = Path(__file__).parents[2] / "docs" / "emulator.md"
WRITTEN_ADDRESS = "http://127.0.0.1:9000"


def examples(language: str) -> list[str]:
    """The code blocks in `language` of the page's `--serve` section."""
    text = PAGE.read_text()
    start = text.index("## `--serve`")
    section = text[start : text.index("\n## ", start + 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def run(program: list[str], code: str, endpoint: str, cwd: Path) -> str:
    completed = subprocess.run(
        [*program, code.replace(WRITTEN_ADDRESS, endpoint)],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout.decode()


def test_the_page_has_the_three_kinds_of_examples() -> None:
    """curl, the AWS CLI and boto3 (so the tests below run what users read)."""
    shell = "\n".join(examples("sh"))
    assert "curl " in shell
    assert "aws lambda invoke" in shell
    assert "boto3.client" in examples("python")[0]


def test_the_curl_examples_work_as_written(serve: Serve, tmp_path: Path) -> None:
    """The result body, then the headers with Unhandled and the log tail."""
    served = serve()
    output = "".join(
        run(["bash", "-euo", "pipefail", "-c"], block, served.endpoint, tmp_path)
        for block in examples("sh")
        if block.startswith("curl ")
    )
    assert '"program": "id", "exitCode": 0' in output
    assert "X-Amz-Function-Error: Unhandled" in output
    assert "X-Amz-Log-Result: " in output


def test_the_aws_cli_example_works_as_written(serve: Serve, tmp_path: Path) -> None:
    """StatusCode 200, FunctionError Unhandled, the CommandFailed body, then the decoded log."""
    served = serve()
    (block,) = [block for block in examples("sh") if "aws lambda invoke" in block]
    output = run(["bash", "-euo", "pipefail", "-c"], block, served.endpoint, tmp_path)
    assert '"FunctionError": "Unhandled"' in output
    assert '"errorType": "CommandFailed"' in output
    assert "hello" in output.splitlines()
    assert "REPORT RequestId: " in output


@pytest.mark.parametrize("block", [b for b in examples("python") if "TenantId" not in b])
def test_the_boto3_example_works_as_written(serve: Serve, tmp_path: Path, block: str) -> None:
    """No FunctionError, uname's result, and the log tail with Lambda's lines."""
    served = serve()
    output = run([sys.executable, "-c"], block, served.endpoint, tmp_path)
    assert output.startswith("None {'program': 'uname'")
    assert "uname exited with status 0." in output
    assert "REPORT RequestId: " in output


def test_the_tenant_example_prints_the_tenant(serve: Serve, tmp_path: Path) -> None:
    """boto3's TenantId reaches the command: it prints acme."""
    (block,) = [block for block in examples("python") if "TenantId" in block]
    output = run([sys.executable, "-c"], block, serve().endpoint, tmp_path)
    assert output == "acme\n"
