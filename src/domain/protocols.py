"""Domain: the ports of the hexagon. Adapters implement these structurally."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .command import CommandSpec
from .deadline import StopPlan
from .invocation import Invocation
from .policy import Verdict
from .result import ExecutionResult


class Transport(Protocol):
    """Delivers invocations and takes their outcomes.

    Contract: `next_invocation` returns the next invocation, or `None` when there will be no
    more (the serving loop then ends). Every invocation taken gets exactly one `report`.
    A transport raises `TransportError` only for faults the runtime cannot go on after.
    """

    def next_invocation(self) -> Invocation | None: ...

    def report(self, invocation: Invocation, verdict: Verdict) -> None: ...


class Executor(Protocol):
    """Runs one command to its end and says how it ended; never raises for the command's faults.

    `environment` is the child's complete environment. `stop` says when to stop the command.
    Each value in `mask` (secrets, as bytes) is replaced with `***` wherever it appears in the
    child's output, both as it is forwarded and in the result's `output`; with no values, the
    output passes unchanged. A missing program is an `ExecutionResult` with `Ending.NOT_FOUND`,
    not an exception; `InvalidEvent` is raised for what the event got wrong that only the
    system can tell (a `directory` that does not exist).
    """

    def execute(
        self,
        spec: CommandSpec,
        *,
        environment: Mapping[str, str],
        stop: StopPlan,
        mask: tuple[bytes, ...] = (),
    ) -> ExecutionResult: ...
