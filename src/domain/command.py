"""Domain: the command to run, as a self-checking value object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def os_bytes(text: str) -> bytes:
    """`text` as a process gets it (argument, variable, input): UTF-8.

    The lone surrogates U+DC80 to U+DCFF stand for the raw bytes 0x80 to 0xFF, as in Python's
    own file names and arguments (surrogateescape); any other lone surrogate cannot be passed
    and raises `UnicodeEncodeError`.
    """
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSpec:
    """One command line with everything the child process needs.

    `program` is a name looked up on the runtime's PATH, or a path (it contains `/`).
    `timeout` is in seconds; `ports` are TCP ports on 127.0.0.1 whose opening counts as success.
    `stream` asks for the output as a streamed response where the transport can stream it.
    Build one from untrusted input with `event.command_from_event`, which names what is wrong.
    """

    program: str
    arguments: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ports: tuple[int, ...] = ()
    timeout: float | None = None
    directory: str | None = None
    input: str | None = None
    stream: bool = False

    def __post_init__(self) -> None:
        if not self.program:
            raise ValueError("program must not be empty")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError("timeout must be greater than 0")
        if any(not 1 <= port <= 65535 for port in self.ports):
            raise ValueError("ports must be between 1 and 65535")
        object.__setattr__(self, "arguments", tuple(self.arguments))
        object.__setattr__(self, "ports", tuple(self.ports))
        object.__setattr__(self, "environment", MappingProxyType(dict(self.environment)))

    @property
    def argv(self) -> tuple[str, ...]:
        """The program followed by its arguments, as the child sees them."""
        return (self.program, *self.arguments)
