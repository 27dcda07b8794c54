"""Build: every package under src/ is found, and installed inside `run_command_on_aws_lambda`.

pyproject.toml holds the rest of the metadata. Its `packages` can only list names or find them
from a directory's own name, while src/ is installed under another name: find them here instead.
"""

from setuptools import find_packages, setup

PACKAGE = "run_command_on_aws_lambda"

setup(packages=[PACKAGE, *(f"{PACKAGE}.{name}" for name in find_packages("src"))])
