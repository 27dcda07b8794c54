"""Adapter: `--map --results FILE`, one JSON line per item, appended as each item ends.

Like GNU parallel's `--joblog`: a rerun with the same file reads it first and skips the items
it records as succeeded. A line cut short by a crash is skipped when read, and the next line
written starts on a line of its own.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import BinaryIO

from ...domain.errors import RunCommandError


class ResultsFileError(RunCommandError):
    """The results file cannot be read or written; the message says why."""


class ResultsFile:
    """The results of earlier runs (`records`), and this run's appended (`append`)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._file: BinaryIO | None = None
        self._lock = threading.Lock()

    def records(self) -> list[dict[str, object]]:
        """Every whole JSON object line already in the file; none when there is no file."""
        try:
            with open(self._path, encoding="utf-8", errors="replace") as file:
                lines = file.read().splitlines()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ResultsFileError(
                f"cannot read the results file {self._path!r}: {error.strerror}."
            ) from None
        found = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # cut short by a crash, or not ours: that item simply runs again
            if isinstance(record, dict):
                found.append(record)
        return found

    def open(self) -> None:
        """Open for appending (before anything is invoked, so that a bad path stops the map)."""
        try:
            self._file = open(self._path, "ab+")  # noqa: SIM115 - closed by close()
            end = self._file.seek(0, os.SEEK_END)
            if end > 0:
                self._file.seek(end - 1)
                if self._file.read(1) != b"\n":  # an earlier run was cut mid-line
                    self._file.write(b"\n")
        except OSError as error:
            raise ResultsFileError(
                f"cannot write the results file {self._path!r}: {error.strerror}."
            ) from None

    def append(self, record: Mapping[str, object]) -> None:
        """One line, written and flushed at once, so that a crash loses no finished item."""
        with self._lock:
            if self._file is None:
                return
            self._file.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
