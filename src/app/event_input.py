"""App: where the event of local mode and of `--invoke` comes from: `--event`, a file, stdin.

Its own module because the CLI and the client's commands (`client/invoke`, `client/map`)
both read events this way, and the CLI loads those commands.
"""

from __future__ import annotations

import sys
from typing import BinaryIO


class UsageError(Exception):
    """The command line itself is wrong."""


def read_event(option: str | None, stdin: BinaryIO) -> bytes:
    """The event `--event` gives: JSON text, `@FILE`, `@-`; standard input when it is None."""
    if option is None:
        if stdin.isatty():
            print("Reading the event from standard input (end it with Ctrl-D)...", file=sys.stderr)
        return stdin.read()
    if not option.startswith("@"):
        return option.encode()
    path = option[1:]
    try:
        if path == "-":
            return stdin.read()
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise UsageError(f"cannot read the event from {path!r}: {error.strerror}.") from None
