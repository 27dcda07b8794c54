"""Packaging: the wheel installed into a fresh virtual environment, as a user installs it.

The end-to-end suite runs against this installation's console script under `make wheel-test`;
these tests check that it is that installation, and that every module of it imports.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.wheel.conftest import PROJECT
from tests.wheel.test_distributions import PACKAGE, source_files

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import run_command_on_aws_lambda as package
names = [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    if not name.endswith(".__main__"):  # importing it would run the program
        importlib.import_module(name)
print(json.dumps({"file": package.__file__, "modules": names}))
"""


def test_every_module_imports_from_the_installed_wheel(installed_python: Path) -> None:
    """Every module under src/ imports from site-packages, none from the source tree."""
    completed = subprocess.run(
        [installed_python, "-c", IMPORT_ALL],
        capture_output=True,
        check=True,
        timeout=120,
        cwd="/",
    )
    found = json.loads(completed.stdout)
    package_file = Path(found["file"])
    assert "site-packages" in package_file.parts
    assert not package_file.is_relative_to(PROJECT / "src")
    expected = {
        f"{PACKAGE}.{name.removesuffix('.py').removesuffix('/__init__').replace('/', '.')}"
        for name in source_files()
        if name.endswith(".py") and name != "__init__.py"
    }
    assert set(found["modules"]) == expected
