"""Adapter: notice when one of the command's TCP ports on 127.0.0.1 accepts a connection."""

from __future__ import annotations

import socket
from collections.abc import Sequence

LOOPBACK = "127.0.0.1"


class PortProbe:
    """Polls ports cheaply: one connect per port every `interval` seconds.

    A refused connect on the loopback interface returns at once, so a poll costs a few
    syscalls; a port that opens is noticed within one interval (plus a connect).
    """

    INTERVAL = 0.02

    def __init__(self, ports: Sequence[int], interval: float = INTERVAL) -> None:
        self._ports = tuple(ports)
        self._interval = interval
        self.next_at = 0.0

    @property
    def active(self) -> bool:
        return bool(self._ports)

    def due(self, now: float) -> bool:
        return self.active and now >= self.next_at

    def poll(self, now: float) -> int | None:
        """The first port that accepts a connection now, if any."""
        self.next_at = now + self._interval
        for port in self._ports:
            if accepts_connections(port):
                return port
        return None


def accepts_connections(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.05)
        return probe.connect_ex((host, port)) == 0
