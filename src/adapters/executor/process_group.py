"""Adapter: signal a command's process group, and what it orphaned, without leaving zombies."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass


class ProcessGroup:
    """The session a command runs in (its leader's pid is the group id).

    With `reap_orphans` the runtime is a child subreaper that owns all of its children, so
    every child it still has once the leader is reaped was orphaned by the command, even one
    that left the group (a double-forked daemon): those are signalled and reaped as well.
    With `running` (commands run at once), the other running commands' processes are theirs:
    only orphans outside their sessions count, and only those are reaped.
    """

    def __init__(
        self, pgid: int, *, reap_orphans: bool = False, running: RunningCommands | None = None
    ) -> None:
        self.pgid = pgid
        self._reap_orphans = reap_orphans
        self._running = running
        self._leader_reaped = False

    def leader_reaped(self) -> None:
        """From now on, every child of the runtime is an orphan of the command."""
        self._leader_reaped = True

    def terminate(self) -> None:
        self._send(signal.SIGTERM)

    def kill(self) -> None:
        self._send(signal.SIGKILL)

    def alive(self) -> bool:
        """Whether a living member of the group (or, with `reap_orphans`, an orphan) remains.

        Zombies do not count: a member killed after its parent died belongs to init, which
        reaps it when it gets to it (or never, in some containers).
        """
        if self._orphans():
            return True
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a member that changed its user: look it up below
            pass
        return any(entry.group == self.pgid and entry.state != "Z" for entry in process_table())

    def _send(self, number: int) -> None:
        # PermissionError: a member that became another user (setuid) cannot be signalled.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, number)
        for pid in self._orphans():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, number)

    def _orphans(self) -> list[int]:
        """Reap finished orphans; return the pids of the living ones."""
        if not (self._reap_orphans and self._leader_reaped):
            return []
        if self._running is not None:
            return self._running.orphans(self.pgid)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return []  # no children at all: the cheap, common case
            if pid == 0:
                return children_of(os.getpid())


class RunningCommands:
    """The leaders of the commands an executor runs at once (each in a session of its own).

    Starting a command and looking for orphans take turns, so that a command just started is
    never taken for an orphan; and an orphan is reaped by its pid, never with `waitpid(-1)`,
    which could reap another command's leader before its own supervision does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leaders: set[int] = set()

    @contextlib.contextmanager
    def starting(self) -> Iterator[set[int]]:
        """Start a command inside: add its leader's pid to the set given."""
        with self._lock:
            yield self._leaders

    def ended(self, leader: int) -> None:
        with self._lock:
            self._leaders.discard(leader)

    def orphans(self, own: int) -> list[int]:
        """Reap the finished orphans no other running command owns; the pids of living ones.

        An orphan that left its command's session (a daemon) cannot be told apart: the first
        command to end stops it.
        """
        with self._lock:
            others = self._leaders - {own}
            living = []
            for entry in own_children():
                if entry.pid in others or entry.session in others:
                    continue
                if entry.state == "Z":
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(entry.pid, os.WNOHANG)
                else:
                    living.append(entry.pid)
            return living


@dataclass(frozen=True, slots=True)
class ProcessEntry:
    """One line of /proc/PID/stat, the fields supervision needs."""

    pid: int
    state: str  # R, S, D, Z (zombie), T, ...
    parent: int
    group: int
    session: int


def process_table() -> Iterator[ProcessEntry]:
    """Every process visible in /proc (those that vanish while reading are skipped)."""
    with os.scandir("/proc") as entries:
        names = [entry.name for entry in entries if entry.name.isdigit()]
    for name in names:
        entry = _entry(name)
        if entry is not None:
            yield entry


def _entry(name: str) -> ProcessEntry | None:
    """The process `name` (a pid), or None if it is gone."""
    try:
        with open(f"/proc/{name}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return ProcessEntry(
            pid=int(name),
            state=fields[0].decode(),
            parent=int(fields[1]),
            group=int(fields[2]),
            session=int(fields[3]),
        )
    except (OSError, IndexError, ValueError):
        return None


def own_children() -> list[ProcessEntry]:
    """This process's children: from each thread's list (cheap), else the process table."""
    names: list[str] = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        tasks = []
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", "rb") as children:
                names += children.read().decode().split()
        except FileNotFoundError:  # a kernel without CONFIG_PROC_CHILDREN
            own = os.getpid()
            return [entry for entry in process_table() if entry.parent == own]
        except OSError:  # a thread that ended meanwhile
            continue
    return [entry for name in names if (entry := _entry(name)) is not None]


def children_of(parent: int) -> list[int]:
    """The pids whose parent is `parent`."""
    return [entry.pid for entry in process_table() if entry.parent == parent]


def become_child_subreaper() -> bool:
    """Make orphaned descendants children of this process (Linux); True if that worked."""
    import ctypes  # noqa: PLC0415 - only the runtime's CLI needs it, once

    pr_set_child_subreaper = 36
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False
