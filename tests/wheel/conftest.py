"""Fixtures of the packaging tests: the sdist and the wheel, built as a release would be."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SCRIPT_VARIABLE

PROJECT = Path(__file__).resolve().parents[2]
# `make wheel-test` builds once and points here; the tests build on their own otherwise.
DIST_VARIABLE = "RUN_COMMAND_TEST_DIST"


@dataclass(frozen=True, slots=True)
class Distributions:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """The sdist and the wheel `python -m build` makes (the wheel is built from the sdist)."""
    given = os.environ.get(DIST_VARIABLE)
    if given:
        folder = Path(given)
    else:
        folder = tmp_path_factory.mktemp("dist")
        subprocess.run(
            [sys.executable, "-m", "build", "--quiet", "--outdir", str(folder), str(PROJECT)],
            check=True,
            capture_output=True,
            timeout=600,
        )
    (sdist,) = folder.glob("*.tar.gz")
    (wheel,) = folder.glob("*.whl")
    return Distributions(sdist=sdist, wheel=wheel)


@pytest.fixture(scope="session")
def installed_python(
    distributions: Distributions, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The Python of a fresh virtual environment with the wheel installed (not editable).

    `make wheel-test` installs it once and names its console script in RUN_COMMAND_TEST_SCRIPT;
    otherwise the wheel is installed here, its dependencies from the package index.
    """
    script = os.environ.get(SCRIPT_VARIABLE)
    if script:
        return Path(script).parent / "python"
    venv = tmp_path_factory.mktemp("wheel-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(distributions.wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python
