"""Adapter: `--map`'s terminal: item blocks on stdout, messages and a tqdm progress line on stderr.

tqdm (the `client` extra) draws the progress line, only when standard error is a terminal;
blocks and messages are written around it (`external_write_mode`), so that it never garbles
them. Each write is whole and under one lock: two items' lines never interleave.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm


class MapConsole:
    """Where `--map` writes: `stdout` for the items' output, `stderr` for everything else."""

    def __init__(
        self, *, total: int, stdout: BinaryIO, stderr: TextIO, show_progress: bool
    ) -> None:
        self._stdout: BinaryIO | None = stdout
        self._stderr = stderr
        self._lock = threading.Lock()
        self._bar: tqdm[Any] | None = None
        if show_progress:
            self._bar = _progress_bar(total, stderr)

    @property
    def shows_progress(self) -> bool:
        return self._bar is not None

    def write(self, data: bytes) -> None:
        """One item's block, written at once; a closed pipe (`| head`) ends the writing."""
        with self._lock, self._around_bar(sys.stdout):
            if self._stdout is None or not data:
                return
            try:
                self._stdout.write(data)
                self._stdout.flush()
            except BrokenPipeError:
                self._stdout = None

    def message(self, text: str) -> None:
        """A line on standard error."""
        with self._lock, self._around_bar(sys.stderr), contextlib.suppress(OSError):
            print(text, file=self._stderr, flush=True)

    def progress(self, *, done: int, running: int, failed: int, throttled: int) -> None:
        """The progress line: done of total, elapsed and estimate (tqdm's), and the counts."""
        if self._bar is None:
            return
        with self._lock:
            self._bar.n = done
            self._bar.set_postfix_str(
                f"running {running}, failed {failed}, throttled {throttled}", refresh=False
            )
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.close()

    @contextlib.contextmanager
    def _around_bar(self, stream: TextIO) -> Iterator[None]:
        if self._bar is None:
            yield
            return
        from tqdm import tqdm  # noqa: PLC0415 - loaded only with a progress line

        # Clears the line while the block is written, and draws it again after.
        with tqdm.external_write_mode(file=stream, nolock=False):
            yield


def _progress_bar(total: int, stderr: TextIO) -> tqdm[Any] | None:
    try:
        # Imported here: tqdm is the client extra's, and only a terminal needs it.
        from tqdm import tqdm  # noqa: PLC0415
    except ImportError:
        print(
            "(No progress line: tqdm is not installed; "
            "pip install 'run-command-on-aws-lambda[client]'.)",
            file=stderr,
        )
        return None
    return tqdm(total=total, file=stderr, unit="item", dynamic_ncols=True, mininterval=0.2)
