"""Test helpers: find the processes a test started, live or zombie, through /proc."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from run_command_on_aws_lambda.adapters.executor.process_group import process_table

MARK = "SUPERVISION_TEST_MARK"  # set per test for the commands it runs
SESSION_MARK = "SUPERVISION_TEST_SESSION"  # set for the whole test session


def marked(value: str, name: str = MARK) -> list[int]:
    """Living processes whose environment carries `name=value` (inherited by descendants)."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in process_table():
        if entry.pid == os.getpid() or entry.state == "Z":
            continue
        try:
            environment = Path(f"/proc/{entry.pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in environment:
            found.append(entry.pid)
    return found


def zombie_children() -> list[int]:
    """Children of this (the test) process that ended and were never reaped."""
    me = os.getpid()
    return [e.pid for e in process_table() if e.parent == me and e.state == "Z"]


def in_session(session: int) -> list[str]:
    """Every process of `session`, zombies included, as `pid:state`."""
    return [f"{e.pid}:{e.state}" for e in process_table() if e.session == session]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listener_script(port: int, delay: float) -> str:
    """Python source for a child that listens on `port` after `delay` seconds, then waits.

    It says "listening" just before it listens: once the port is ready the runtime stops it,
    and a line printed after `listen()` could be cut off by that stop (it was, under load).
    """
    return (
        "import socket, time\n"
        f"time.sleep({delay})\n"
        "s = socket.socket()\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port}))\n"
        "print('listening', flush=True)\n"
        "s.listen()\n"
        "time.sleep(1000)\n"
    )
