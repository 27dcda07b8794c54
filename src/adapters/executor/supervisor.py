"""Adapter: supervise one started child until it and everything it left behind are gone.

One selector loop waits on a pidfd (the child's exit), its stdin (feeding input), the shutdown
signal's fd, and the clock (timeout, grace, port polls). Its stdout and stderr are forwarded by
the executor's forwarding thread (`forwarding_thread.py`), so that a chatty child never wakes
this loop.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import selectors
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from ...domain.command import CommandSpec, os_bytes
from ...domain.deadline import StopPlan
from ...domain.result import Ending, ExecutionResult
from .command_output import Forwarder, Forwarding
from .input_feeder import InputFeeder
from .log_records import records_of
from .port_probe import PortProbe
from .process_group import ProcessGroup, RunningCommands
from .shutdown_signal import ShutdownSignal

SHUTDOWN_GRACE = 0.2  # Lambda allows 300-500 ms between SIGTERM and SIGKILL at shutdown
LEFTOVER_POLL = 0.01  # how often the group is checked while leftovers are being stopped
KILL_PATIENCE = 1.0  # SIGKILLed processes stuck this long (uninterruptible I/O) are given up on
DRAIN_LIMIT = 0.1  # at most this long for output still in the pipes once the group is gone
MAX_WAIT = 3600.0  # the longest single wait (epoll cannot wait years); the clock is checked again
_EXIT, _SHUTDOWN, _STDIN = "exit", "shutdown", "stdin"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Supervisor:
    """Where output goes (and what forwards it), what interrupts, whether orphans are ours,
    and the clock."""

    stdout: int
    stderr: int
    forwarder: Forwarder
    shutdown: ShutdownSignal | None
    reap_orphans: bool
    clock: Callable[[], float]
    running: RunningCommands | None = None
    records: str | None = None  # "json" or "text": each output line a log record (log_records)

    def supervise(
        self,
        process: subprocess.Popen[bytes],
        spec: CommandSpec,
        stop: StopPlan,
        started: float,
        *,
        output: Forwarding,
    ) -> ExecutionResult:
        """Run the loop for `process` (started at `started`) and say how it ended.

        `output` is what `command_output` gave for its stdout and stderr; it is closed here.
        """
        try:
            try:
                run = _Run(self, process, spec, stop, started, output=output)
            except BaseException:
                output.close()
                raise
            return run.supervise()
        finally:
            if self.running is not None:
                self.running.ended(process.pid)

    def forwarding(
        self,
        mask: tuple[bytes, ...],
        tee: Callable[[bytes | memoryview], None] | None = None,
        request_id: str | None = None,
        tenant_id: str | None = None,
    ) -> Forwarding:
        """Pipes for a child's stdout and stderr, to start it with; `mask` as in `Forwarding`,
        `tee` as in `OutputStream`; each line a record of `request_id` if `records` is set."""
        records = None
        if self.records is not None and request_id is not None:
            json_format = self.records == "json"
            records = records_of(
                request_id, json_format=json_format, clock=self.clock, tenant_id=tenant_id
            )
        sinks = [self.stdout, self.stderr]
        return self.forwarder.forwarding(sinks, mask=mask, tee=tee, records=records)


class _Run:
    """The state of one supervision: the loop, the stop in progress, and the output kept."""

    def __init__(
        self,
        supervisor: Supervisor,
        process: subprocess.Popen[bytes],
        spec: CommandSpec,
        stop: StopPlan,
        started: float,
        *,
        output: Forwarding,
    ) -> None:
        self.process = process
        self.spec = spec
        self.plan = stop
        self.started = started
        self.clock = supervisor.clock
        self.group = ProcessGroup(
            process.pid, reap_orphans=supervisor.reap_orphans, running=supervisor.running
        )
        self.output = output
        self.probe = PortProbe(spec.ports)
        self.feeder: InputFeeder | None = None
        self.ending: Ending | None = None
        self.port: int | None = None
        self.kill_at: float | None = None
        self.killed = False
        self.selector = selectors.DefaultSelector()
        self.pidfd = os.pidfd_open(process.pid)
        self._register(supervisor)

    def _register(self, supervisor: Supervisor) -> None:
        self.selector.register(self.pidfd, selectors.EVENT_READ, _EXIT)
        if supervisor.shutdown is not None:
            self.selector.register(supervisor.shutdown.fileno(), selectors.EVENT_READ, _SHUTDOWN)
        if self.process.stdin is not None:
            self.feeder = InputFeeder(self.process.stdin, os_bytes(self.spec.input or ""))
            self.selector.register(self.process.stdin, selectors.EVENT_WRITE, _STDIN)

    def supervise(self) -> ExecutionResult:
        try:
            self._wait_for_exit()
            self._stop_leftovers()
            self.output.finish(DRAIN_LIMIT)
        finally:
            self._close()
        return ExecutionResult(
            program=self.spec.program,
            ending=self.ending or Ending.EXITED,
            returncode=self.process.returncode,
            port=self.port,
            duration_ms=round((self.clock() - self.started) * 1000),
            output=self.output.tail.data,
            output_truncated=self.output.tail.truncated,
        )

    def _wait_for_exit(self) -> None:
        while self.process.returncode is None:
            self._check_clock(self.clock())
            for key, _ in self.selector.select(self._next_wakeup()):
                self._dispatch(key)

    def _check_clock(self, now: float) -> None:
        if self.kill_at is not None:
            if now >= self.kill_at and not self.killed:
                self.group.kill()
                self.killed = True
        elif self.plan.term_at is not None and now >= self.plan.term_at:
            self._begin_stop(Ending.TIMED_OUT, now, self.plan.grace)
        elif self.probe.due(now):
            self.port = self.probe.poll(now)
            if self.port is not None:
                self._begin_stop(Ending.PORT_READY, now, self.plan.grace)

    def _begin_stop(self, ending: Ending, now: float, grace: float) -> None:
        self.ending = ending
        self.kill_at = min(self.plan.kill_deadline(now), now + grace)
        self.group.terminate()

    def _next_wakeup(self) -> float | None:
        if self.kill_at is not None:
            moment = math.inf if self.killed else self.kill_at
        else:
            moment = min(
                self.plan.term_at if self.plan.term_at is not None else math.inf,
                self.probe.next_at if self.probe.active else math.inf,
            )
        # Capped: epoll cannot wait for a deadline years ahead (OverflowError).
        return None if moment == math.inf else min(MAX_WAIT, max(0.0, moment - self.clock()))

    def _dispatch(self, key: selectors.SelectorKey) -> None:
        if key.data == _EXIT:
            self.process.wait()
            self.selector.unregister(self.pidfd)
            self._close_stdin()
        elif key.data == _SHUTDOWN:
            self.selector.unregister(key.fileobj)
            self._on_shutdown(self.clock())
        elif key.data == _STDIN:
            self._feed_stdin()

    def _on_shutdown(self, now: float) -> None:
        if self.ending is None and self.process.returncode is None:
            self._begin_stop(Ending.INTERRUPTED, now, SHUTDOWN_GRACE)
        elif self.kill_at is not None:
            self.kill_at = min(self.kill_at, now + SHUTDOWN_GRACE)

    def _feed_stdin(self) -> None:
        if self.feeder is None:  # closed on the child's exit, earlier in the same select batch
            return
        if self.feeder.feed():
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.feeder is not None:
            self.selector.unregister(self.feeder.stdin)
            self.feeder.close()
            self.feeder = None

    def _stop_leftovers(self) -> None:
        """Once the leader is reaped: SIGTERM what it left, SIGKILL it when the grace is over."""
        self.group.leader_reaped()
        if not self.group.alive():
            return
        if self.kill_at is None:  # the leader ended by itself: its leftovers get the grace
            self.kill_at = self.plan.kill_deadline(self.clock())
        self.group.terminate()
        give_up_at = math.inf
        while self.group.alive():
            now = self.clock()
            if now >= self.kill_at:
                self.group.kill()
                give_up_at = min(give_up_at, now + KILL_PATIENCE)
                if now >= give_up_at:
                    log.warning("Processes of group %s survive SIGKILL.", self.group.pgid)
                    return
            next_check = now + LEFTOVER_POLL
            self._handle_events_until(
                next_check if now >= self.kill_at else min(next_check, self.kill_at)
            )

    def _handle_events_until(self, moment: float) -> None:
        """Feed input (and notice a shutdown) until `moment`."""
        while (left := moment - self.clock()) > 0:
            for key, _ in self.selector.select(left):
                self._dispatch(key)

    def _close(self) -> None:
        self.output.close()
        self.selector.close()
        os.close(self.pidfd)
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.process.returncode is None:  # only after an exception in the loop itself
            self.group.kill()
            self.process.wait()
