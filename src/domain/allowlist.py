"""Domain: which programs events may run, and whether events may choose the command at all."""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import ConfigurationError

ALLOWED_PROGRAMS_VARIABLE = "RUN_COMMAND_ALLOWED_PROGRAMS"
LOCK_VARIABLE = "RUN_COMMAND_LOCK"


class Lock(enum.StrEnum):
    """How much of the default command an event may change (`RUN_COMMAND_LOCK`)."""

    NONE = "none"  # events may name any (allowed) program
    PROGRAM = "program"  # events may pass arguments and environment, not another program
    COMMAND = "command"  # events may change nothing: only `{}` is accepted

    @classmethod
    def parse(cls, text: str | None, *, has_default: bool) -> Lock:
        if text is None or not text.strip():
            return cls.NONE
        try:
            lock = cls(text.strip().lower())
        except ValueError:
            raise ConfigurationError(
                f"{LOCK_VARIABLE}={text!r} is not valid: use one of "
                f"{', '.join(member.value for member in cls)}."
            ) from None
        if lock is not cls.NONE and not has_default:
            raise ConfigurationError(
                f"{LOCK_VARIABLE}={lock.value} needs a default command to lock: give it as the "
                "runtime's arguments (the image's CMD)."
            )
        return lock


@dataclass(frozen=True, slots=True)
class AllowList:
    """Program names (looked up on the runtime's PATH) and absolute paths events may run."""

    names: frozenset[str]
    paths: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """Parse `RUN_COMMAND_ALLOWED_PROGRAMS`: comma-separated, spaces around entries ignored."""
        entries = [entry.strip() for entry in text.split(",")]
        if not any(entries):
            raise ConfigurationError(
                f"{ALLOWED_PROGRAMS_VARIABLE} is set but empty: list the programs events may run "
                "(names like `psql` or absolute paths like `/usr/bin/psql`), or unset it."
            )
        names, paths = set(), set()
        for position, entry in enumerate(entries, start=1):
            if not entry:
                raise ConfigurationError(
                    f"{ALLOWED_PROGRAMS_VARIABLE} has an empty entry (number {position}): "
                    "remove the extra comma."
                )
            if entry.startswith("/"):
                paths.add(posixpath.normpath(entry))
            elif "/" in entry:
                raise ConfigurationError(
                    f"{ALLOWED_PROGRAMS_VARIABLE} entry {entry!r} is a relative path: give a "
                    "program name to look up on PATH, or an absolute path."
                )
            else:
                names.add(entry)
        return cls(frozenset(names), frozenset(paths))

    def allowed_files(self, resolve: Callable[[str], str | None]) -> Iterable[str]:
        """Each entry as the file it names, via `resolve` (entries that name nothing drop out)."""
        for entry in (*sorted(self.names), *sorted(self.paths)):
            resolved = resolve(entry)
            if resolved is not None:
                yield resolved

    def lists(self, program: str) -> bool:
        """Whether an event's `program` is written as one of the entries, found or not."""
        if program.startswith("/"):
            return posixpath.normpath(program) in self.paths
        return program in self.names

    def allows(self, program_file: str, resolve: Callable[[str], str | None]) -> bool:
        """Whether `program_file` (resolved the same way as the entries) is on the list."""
        return program_file in set(self.allowed_files(resolve))
