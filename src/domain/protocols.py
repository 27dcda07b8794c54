"""Domain: the ports of the hexagon. Adapters implement these structurally."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from .command import CommandSpec
from .deadline import StopPlan
from .invocation import Invocation
from .policy import Verdict
from .result import ExecutionResult


class ResponseStream(Protocol):
    """The streamed response of one invocation, fed the command's output as it comes.

    `begin` is called once the command has started (a command that never starts leaves the
    stream unbegun, and its outcome is reported as usual). `write` is called from the
    executor's forwarding thread with the output as it is forwarded (masked), possibly before
    `begin`; it never blocks and never raises: what cannot be streamed is dropped, and the
    stream says so at its end. The transport's `report` ends the stream.
    """

    def begin(self) -> None: ...

    def write(self, data: bytes | memoryview) -> None: ...


class Transport(Protocol):
    """Delivers invocations and takes their outcomes.

    Contract: `next_invocation` returns the next invocation, or `None` when there will be no
    more (the serving loop then ends). Every invocation taken gets exactly one `report`; if a
    stream was opened for it (`open_stream`) and begun, that report ends the stream.
    `open_stream` returns `None` where the transport has no streamed responses (local mode:
    the output goes to stdout already). A transport raises `TransportError` only for faults
    the runtime cannot go on after.
    """

    def next_invocation(self) -> Invocation | None: ...

    def open_stream(self, invocation: Invocation) -> ResponseStream | None: ...

    def report(self, invocation: Invocation, verdict: Verdict) -> None: ...


class Executor(Protocol):
    """Runs one command to its end and says how it ended; never raises for the command's faults.

    `environment` is the child's complete environment. `stop` says when to stop the command.
    Each value in `mask` (secrets, as bytes) is replaced with `***` wherever it appears in the
    child's output, both as it is forwarded and in the result's `output`; with no values, the
    output passes unchanged. With a `stream`, the forwarded (masked) output is also written to
    it, and it is begun once the child has started. A missing program is an `ExecutionResult`
    with `Ending.NOT_FOUND`, not an exception; `InvalidEvent` is raised for what the event got
    wrong that only the system can tell (a `directory` that does not exist). `starting` is
    called once everything that can be checked has passed (the program found and allowed, the
    `directory` usable), just before the child starts: never for a command refused before.
    `request_id` and `tenant_id` are the invocation's own (not what the event's variables may
    say), for the log records its output becomes when several invocations run at once.
    """

    def execute(
        self,
        spec: CommandSpec,
        *,
        environment: Mapping[str, str],
        stop: StopPlan,
        mask: tuple[bytes, ...] = (),
        stream: ResponseStream | None = None,
        starting: Callable[[], None] | None = None,
        request_id: str | None = None,
        tenant_id: str | None = None,
    ) -> ExecutionResult: ...
