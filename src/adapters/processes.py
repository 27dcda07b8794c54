"""Adapter: stop a command's process group, and what it orphaned, without leaving zombies."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable


class ProcessGroup:
    """The session a command runs in (its leader's pid is the group id).

    With `reap_orphans` the runtime is a child subreaper that owns all of its children, so
    every child it still has once the leader is reaped was orphaned by the command, even one
    that left the group (a double-forked daemon): those are stopped and reaped as well.
    """

    def __init__(self, pgid: int, *, reap_orphans: bool = False) -> None:
        self.pgid = pgid
        self._reap_orphans = reap_orphans
        self._leader_reaped = False

    def terminate(self) -> None:
        self._send(signal.SIGTERM)

    def kill(self) -> None:
        self._send(signal.SIGKILL)

    def stop_leftovers(self, kill_deadline: float, wait: Callable[[float], None]) -> None:
        """After the leader was reaped: SIGTERM what remains, SIGKILL it at `kill_deadline`.

        `wait(seconds)` is called while waiting, so output keeps flowing meanwhile.
        """
        self._leader_reaped = True
        if not self.alive():
            return
        self.terminate()
        while self.alive() and time.monotonic() < kill_deadline:
            wait(0.01)
        give_up = time.monotonic() + 1.0
        while self.alive() and time.monotonic() < give_up:
            self.kill()
            wait(0.01)

    def alive(self) -> bool:
        """Whether any member of the group (or, with `reap_orphans`, any orphan) still exists."""
        orphans = self._orphans()
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return bool(orphans)
        return True

    def _send(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, number)
        for pid in self._orphans():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)

    def _orphans(self) -> list[int]:
        """Reap finished orphans; return the pids of the living ones."""
        if not (self._reap_orphans and self._leader_reaped):
            return []
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return []  # no children at all: the cheap, common case
            if pid == 0:
                return children_of(os.getpid())


def children_of(parent: int) -> list[int]:
    """The pids whose parent is `parent`, read from /proc."""
    children = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return children


def become_child_subreaper() -> bool:
    """Make orphaned descendants children of this process (Linux); True if that worked."""
    import ctypes  # noqa: PLC0415 - only the runtime's CLI needs it, once

    pr_set_child_subreaper = 36
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False
