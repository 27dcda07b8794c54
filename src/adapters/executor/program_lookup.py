"""Adapter: find the file a program name or path refers to, the way a shell would."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...domain.allowlist import AllowList
from ...domain.result import Ending

DEFAULT_SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True, slots=True)
class Unrunnable:
    """Why a program cannot be started: `ending` is NOT_FOUND or NOT_EXECUTABLE."""

    ending: Ending
    detail: str


def resolve_program(
    program: str, *, search_path: str | None, directory: str | None
) -> str | Unrunnable:
    """The absolute, normalised path to run for `program`, or why there is none.

    A name without `/` is looked up on `search_path` (the runtime's PATH, never the event's).
    A path with `/` is taken relative to `directory` when given, else to the current directory.
    """
    if "/" in program:
        path = os.path.normpath(os.path.join(directory or os.getcwd(), program))
        if not os.path.lexists(path):
            return Unrunnable(Ending.NOT_FOUND, f"no such file: {path}")
        return (
            path if _is_executable_file(path) else Unrunnable(Ending.NOT_EXECUTABLE, _why_not(path))
        )
    search_path = search_path or DEFAULT_SEARCH_PATH
    not_executable = None
    for folder in search_path.split(os.pathsep):
        candidate = os.path.join(os.path.abspath(folder or "."), program)
        if _is_executable_file(candidate):
            return candidate
        if not_executable is None and os.path.exists(candidate):
            not_executable = candidate
    if not_executable is not None:
        return Unrunnable(Ending.NOT_EXECUTABLE, _why_not(not_executable))
    return Unrunnable(Ending.NOT_FOUND, f"not on PATH {search_path}")


def _is_executable_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _why_not(path: str) -> str:
    if os.path.isdir(path):
        return f"{path} is a directory"
    if not os.path.exists(path):
        return f"{path} is a broken symbolic link"
    return f"{path} is not executable: permission denied"


def allowed_program(
    program: str, allowed: AllowList, *, search_path: str | None, directory: str | None
) -> str | Unrunnable:
    """The real path to run for `program` if the allow-list names its file, or why not.

    Any program the list does not name, missing, not executable or another file, is
    NOT_ALLOWED, with no detail: an invoker must not learn from the answer which files exist.
    An entry of the list itself that cannot run (the operator's mistake) keeps its ending.
    """
    found = resolve_program(program, search_path=search_path, directory=directory)
    if isinstance(found, Unrunnable):
        return Unrunnable(found.ending if allowed.lists(program) else Ending.NOT_ALLOWED, "")
    if not allowed_file(found, allowed, search_path=search_path):
        return Unrunnable(Ending.NOT_ALLOWED, "")
    return os.path.realpath(found)  # the file compared is the file run


def allowed_file(program_file: str, allowed: AllowList, *, search_path: str | None) -> bool:
    """Whether the file `program_file` is one the allow-list names (symbolic links resolved).

    Name entries are looked up on the runtime's PATH like programs; both sides are compared
    as real paths, so neither `./x`, `//bin/sh`, `..` nor a symbolic link gets around it.
    """

    def resolve(entry: str) -> str | None:
        found = resolve_program(entry, search_path=search_path, directory=None)
        return None if isinstance(found, Unrunnable) else os.path.realpath(found)

    return allowed.allows(os.path.realpath(program_file), resolve)
