"""Unit: what the make targets install on a fresh machine, read from `make -n` (nothing runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def planned(target: str, venv: Path) -> str:
    """The commands `make TARGET` would run with no virtual environment yet."""
    if shutil.which("make") is None:
        pytest.fail("make is needed: the README's commands are make targets")
    completed = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(REPOSITORY), target, f"VENV={venv}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return completed.stdout


def test_make_example_installs_only_what_running_needs(tmp_path: Path) -> None:
    """A new user's first command installs the project, not mypy, PyInstaller or moto."""
    commands = planned("example", tmp_path / "venv")
    assert "pip install --quiet -e .\n" in commands
    assert "[test]" not in commands
    assert commands.rstrip().endswith("/venv/bin/run-command-on-aws-lambda")


def test_the_test_targets_add_the_test_toolchain(tmp_path: Path) -> None:
    """`make test` and its parts install the test extras on top."""
    for target in ("test", "unit", "typecheck"):
        assert "pip install --quiet -e '.[test]'" in planned(target, tmp_path / "venv")
