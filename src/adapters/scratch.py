"""Adapter: a private temporary directory for one command (`TMPDIR`), removed once it ended.

On Lambda `/tmp` outlives invocations (and on Managed Instances, concurrent invocations share
it): a directory per command keeps their files apart and stops a warm environment from
collecting earlier runs' files until `/tmp` is full.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

log = logging.getLogger("run_command_on_aws_lambda")

TMP_ROOT = "/tmp"  # Lambda's one writable directory
PREFIX = "run-command-"


@contextlib.contextmanager
def private_tmp(root: str = TMP_ROOT) -> Iterator[str]:
    """A fresh directory under `root` (mode 0700), removed with everything in it afterwards."""
    path = os.path.join(root, PREFIX + os.urandom(6).hex())
    os.mkdir(path, 0o700)
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: str) -> None:
    """Remove `path` and what it holds, even directories the command made read-only."""
    import shutil  # noqa: PLC0415 - only once a command has ended

    def unlock_and_retry(function: Callable[[str], object], failed: str, _: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), 0o700)
            function(failed)

    shutil.rmtree(path, onerror=unlock_and_retry)  # Python 3.11 has no onexc
    if os.path.lexists(path):
        log.warning("Could not remove all of the command's TMPDIR %s.", path)
