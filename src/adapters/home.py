"""Adapter: whether a directory can serve as a child's HOME, which only the file system knows."""

from __future__ import annotations

import os


def is_writable_directory(path: str) -> bool:
    """Whether this process (and so its child) can create files in `path`.

    `os.access` also says no for a read-only mount, even to root.
    """
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)
