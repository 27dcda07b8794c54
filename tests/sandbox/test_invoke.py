"""The standalone build leaves boto3 out: `--invoke` there says what it needs instead."""

from __future__ import annotations

from .conftest import Sandbox


def test_the_build_does_not_carry_boto3(sandbox: Sandbox) -> None:
    """Neither boto3 nor botocore is in the build, although the build's Python has both."""
    carried = [path.name for path in sandbox.build.rglob("*") if path.name.startswith("boto")]
    assert carried == []


def test_invoke_says_how_to_get_the_client(sandbox: Sandbox) -> None:
    """--invoke in the standalone build: status 125, where the client is, no pip hint there."""
    completed = sandbox.runtime("--invoke", "function", "--endpoint-url", "http://127.0.0.1:9")
    assert completed.returncode == 125
    assert b"--invoke is not part of the standalone build" in completed.stderr
    assert b"--invoke needs boto3" not in completed.stderr
    assert b"Traceback" not in completed.stderr
