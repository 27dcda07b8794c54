"""Packaging: the sdist and the wheel hold every module under src/, and nothing else.

The editable install of the development environment imports straight from src/, so a module
the build leaves out is only seen by a user who installs the wheel.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from tests.wheel.conftest import PROJECT, Distributions

PACKAGE = "run_command_on_aws_lambda"


def source_files() -> set[str]:
    """Every module (and the typing marker) under src/, relative to src/."""
    source = PROJECT / "src"
    found = {
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    return {name for name in found if name.endswith((".py", "py.typed"))}


def test_the_wheel_holds_every_module_under_src(distributions: Distributions) -> None:
    """Each src/ module is in the wheel under run_command_on_aws_lambda/, and no other."""
    with zipfile.ZipFile(distributions.wheel) as wheel:
        names = wheel.namelist()
    prefix = f"{PACKAGE}/"
    packaged = {name.removeprefix(prefix) for name in names if name.startswith(prefix)}
    assert packaged == source_files()


def test_the_wheel_installs_nothing_else_at_top_level(distributions: Distributions) -> None:
    """No domain, adapters, app, tests or bench beside the one import package."""
    with zipfile.ZipFile(distributions.wheel) as wheel:
        tops = {Path(name).parts[0] for name in wheel.namelist()}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert tops - dist_info == {PACKAGE}


def test_the_sdist_holds_every_module_under_src(distributions: Distributions) -> None:
    """A wheel built from the sdist (as pip does) can only be as whole as the sdist."""
    with tarfile.open(distributions.sdist) as sdist:
        names = {Path(*Path(name).parts[1:]).as_posix() for name in sdist.getnames()}
    assert {f"src/{name}" for name in source_files()} <= names
    assert {"pyproject.toml", "README.md"} <= names
