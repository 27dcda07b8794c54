"""App: `--version`: the installed distribution's version, read only when asked for.

importlib.metadata is not cheap to import, so nothing is read at start: the action runs only
when `--version` is on the command line. The standalone build carries the distribution's
metadata (packaging/standalone.spec copies it), so the same lookup works there.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

DISTRIBUTION = "run-command-on-aws-lambda"


def version() -> str:
    """The version installed, as pip shows it; `unknown` when no metadata can be found."""
    from importlib import metadata  # noqa: PLC0415 - only for --version

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed: no package metadata)"


class VersionAction(argparse.Action):
    """`--version`: print `PROG VERSION` on standard output and exit 0."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version and exit")
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        print(f"{parser.prog} {version()}")
        parser.exit(0)
