"""Fixtures of the packaging tests: the sdist and the wheel, built as a release would be."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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
            [sys.executable, "-m", "build", "--outdir", str(folder), str(PROJECT)],
            check=True,
            capture_output=True,
            timeout=600,
        )
    (sdist,) = folder.glob("*.tar.gz")
    (wheel,) = folder.glob("*.whl")
    return Distributions(sdist=sdist, wheel=wheel)
