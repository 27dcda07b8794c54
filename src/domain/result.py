"""Domain: how one run of a command ended, in the spirit of `subprocess.CompletedProcess`."""

from __future__ import annotations

import enum
from dataclasses import dataclass

OUTPUT_TAIL_BYTES = 4096


class Ending(enum.StrEnum):
    """Why the run stopped."""

    EXITED = "exited"  # the program ended by itself (or was killed by someone else)
    PORT_READY = "port-ready"  # a listed port accepted a connection; the runtime stopped it
    TIMED_OUT = "timed-out"  # the event's timeout or the Lambda deadline stopped it
    INTERRUPTED = "interrupted"  # the runtime itself was told to shut down
    NOT_FOUND = "not-found"  # the program does not exist
    NOT_EXECUTABLE = "not-executable"  # the program exists but cannot be executed
    NOT_ALLOWED = "not-allowed"  # the allow-list does not name the program's file
    NOTHING_TO_RUN = "nothing-to-run"  # the event asked for nothing (a Terraform delete)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionResult:
    """What happened to one command.

    `returncode` follows `CompletedProcess`: negative means killed by that signal, and `None`
    means the process never started. `output` holds the last bytes of stdout and stderr
    combined, in arrival order; `output_truncated` says whether earlier bytes were dropped.
    """

    program: str
    ending: Ending
    returncode: int | None = None
    port: int | None = None
    duration_ms: int = 0
    output: bytes = b""
    output_truncated: bool = False
    detail: str = ""  # e.g. the OS error when the program could not be started

    @property
    def signal(self) -> int | None:
        """The number of the signal that ended the process, if one did."""
        if self.returncode is not None and self.returncode < 0:
            return -self.returncode
        return None
