"""Adapter: the process executor. Runs a `CommandSpec` as a child in its own session.

The child's stdout and stderr are forwarded as they come to the runtime's, while only the
last bytes are kept for the result, so memory stays bounded whatever the child prints.
Stopping means SIGTERM to the whole process group, a grace period, then SIGKILL; whatever
the command left behind in its group is stopped the same way once it ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import subprocess
import time
from collections.abc import Callable, Mapping

from ..domain.command import CommandSpec
from ..domain.deadline import StopPlan
from ..domain.errors import InvalidEvent
from ..domain.result import Ending, ExecutionResult
from .output import OutputPump
from .ports import PortProbe
from .processes import ProcessGroup
from .programs import Unrunnable, resolve_program
from .shutdown import ShutdownSignal

SHUTDOWN_GRACE = 0.2  # Lambda allows 300-500 ms between SIGTERM and SIGKILL at shutdown
PORT_POLL_INTERVAL = 0.02
MAX_WAIT = 3600.0
_STDIN_CHUNK = 64 * 1024


class ProcessExecutor:
    """Runs commands as real child processes. Implements the `Executor` port.

    `stdout`/`stderr` are the file descriptors the child's streams are forwarded to.
    `search_path` is the PATH programs are looked up on (the runtime's own). With
    `reap_orphans`, the caller is a child subreaper that owns all its children: processes
    the command orphaned are reaped and stopped too (the runtime's CLI sets this).
    """

    def __init__(
        self,
        *,
        stdout: int = 1,
        stderr: int = 2,
        search_path: str | None = None,
        shutdown: ShutdownSignal | None = None,
        reap_orphans: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stdout = stdout
        self._stderr = stderr
        self._search_path = search_path
        self._shutdown = shutdown
        self._reap_orphans = reap_orphans
        self._clock = clock

    def execute(
        self, spec: CommandSpec, *, environment: Mapping[str, str], stop: StopPlan
    ) -> ExecutionResult:
        started = self._clock()
        if spec.directory is not None:
            _check_directory(spec.directory)
        executable = resolve_program(
            spec.program, search_path=self._search_path, directory=spec.directory
        )
        if isinstance(executable, Unrunnable):
            return ExecutionResult(
                program=spec.program, ending=executable.ending, detail=executable.detail
            )
        try:
            process = subprocess.Popen(
                spec.argv,
                executable=executable,
                env=dict(environment),
                cwd=spec.directory,
                stdin=subprocess.DEVNULL if spec.input is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            return _unstartable(spec.program, executable, error)
        run = _Run(self, spec, process, stop, started)
        return run.supervise()


class _Run:
    """One supervised child: the event loop over its pipes, its exit, ports and the clock."""

    def __init__(
        self,
        executor: ProcessExecutor,
        spec: CommandSpec,
        process: subprocess.Popen[bytes],
        stop: StopPlan,
        started: float,
    ) -> None:
        assert process.stdout is not None
        assert process.stderr is not None
        self.executor = executor
        self.spec = spec
        self.process = process
        self.plan = stop
        self.started = started
        self.clock = executor._clock
        self.group = ProcessGroup(process.pid, reap_orphans=executor._reap_orphans)
        self.pump = OutputPump()
        self.probe = PortProbe(spec.ports)
        self.selector = selectors.DefaultSelector()
        self.pidfd = os.pidfd_open(process.pid)
        self.selector.register(self.pidfd, selectors.EVENT_READ, "exit")
        self.selector.register(process.stdout, selectors.EVENT_READ, executor._stdout)
        self.selector.register(process.stderr, selectors.EVENT_READ, executor._stderr)
        shutdown = executor._shutdown
        if shutdown is not None:
            self.selector.register(shutdown.fileno(), selectors.EVENT_READ, "shutdown")
        self.stdin_data = memoryview((spec.input or "").encode())
        if process.stdin is not None:
            os.set_blocking(process.stdin.fileno(), False)
            self.selector.register(process.stdin, selectors.EVENT_WRITE, "stdin")
        self.ending: Ending | None = None
        self.port: int | None = None
        self.kill_at: float | None = None
        self.killed = False

    def supervise(self) -> ExecutionResult:
        try:
            self._wait_for_exit()
            self.group.stop_leftovers(self.grace_deadline(), self._forward_ready)
            self._drain()
        finally:
            self._close()
        if self.ending is None:
            self.ending = Ending.EXITED
        return ExecutionResult(
            program=self.spec.program,
            ending=self.ending,
            returncode=self.process.returncode,
            port=self.port,
            duration_ms=round((self.clock() - self.started) * 1000),
            output=self.pump.tail,
            output_truncated=self.pump.truncated,
        )

    def grace_deadline(self) -> float:
        return self.plan.kill_deadline(self.clock())

    def _wait_for_exit(self) -> None:
        while self.process.returncode is None:
            now = self.clock()
            self._check_clock(now)
            if self.process.returncode is not None:
                break
            for key, _ in self.selector.select(self._next_wakeup(now)):
                self._dispatch(key)

    def _check_clock(self, now: float) -> None:
        if self.kill_at is not None and now >= self.kill_at and not self.killed:
            self.group.kill()
            self.killed = True
        elif self.ending is None:
            if self.plan.term_at is not None and now >= self.plan.term_at:
                self._begin_stop(Ending.TIMED_OUT, self.plan.grace)
            elif self.probe.due(now):
                port = self.probe.poll(now)
                if port is not None:
                    self.port = port
                    self._begin_stop(Ending.PORT_READY, self.plan.grace)

    def _begin_stop(self, ending: Ending, grace: float) -> None:
        self.ending = ending
        now = self.clock()
        self.kill_at = min(self.plan.kill_deadline(now), now + grace)
        self.group.terminate()

    def _next_wakeup(self, now: float) -> float | None:
        moments = []
        if self.killed:
            moments.append(now + 0.05)
        elif self.kill_at is not None:
            moments.append(self.kill_at)
        elif self.ending is None:
            if self.plan.term_at is not None:
                moments.append(self.plan.term_at)
            if self.probe.active:
                moments.append(self.probe.next_at)
        # Capped: epoll cannot wait for ~25 days, and a deadline may lie years ahead.
        return min(MAX_WAIT, max(0.0, min(moments) - now)) if moments else None

    def _dispatch(self, key: selectors.SelectorKey) -> None:
        if key.data == "exit":
            self.process.wait()
            self.selector.unregister(self.pidfd)
        elif key.data == "shutdown":
            self.selector.unregister(key.fileobj)
            if self.ending is None:
                self._begin_stop(Ending.INTERRUPTED, SHUTDOWN_GRACE)
        elif key.data == "stdin":
            self._feed_stdin(key)
        else:
            self._forward(key)

    def _forward(self, key: selectors.SelectorKey) -> None:
        if not self.pump.forward(key.fd, key.data):
            self.selector.unregister(key.fileobj)

    def _forward_ready(self, timeout: float) -> None:
        """Forward whatever output arrives within `timeout` seconds (while leftovers stop)."""
        for key, _ in self.selector.select(timeout):
            if key.data not in ("exit", "shutdown", "stdin"):
                self._forward(key)

    def _feed_stdin(self, key: selectors.SelectorKey) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            written = os.write(stdin.fileno(), self.stdin_data[:_STDIN_CHUNK])
        except BlockingIOError:
            return
        except OSError:  # the child closed its stdin or ended: what it did not read is dropped
            written = len(self.stdin_data)
        self.stdin_data = self.stdin_data[written:]
        if not self.stdin_data:
            self.selector.unregister(key.fileobj)
            stdin.close()

    def _drain(self) -> None:
        """Forward what is still in the pipes; give up on pipes a stray process holds open."""
        quiet_until = self.clock() + 0.1
        while self._open_pipes() and self.clock() < quiet_until:
            events = self.selector.select(max(0.0, quiet_until - self.clock()))
            for key, _ in events:
                if key.data not in ("exit", "shutdown", "stdin"):
                    self._forward(key)
                    quiet_until = self.clock() + 0.1

    def _open_pipes(self) -> bool:
        return any(
            key.data not in ("exit", "shutdown", "stdin")
            for key in self.selector.get_map().values()
        )

    def _close(self) -> None:
        self.selector.close()
        os.close(self.pidfd)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        if self.process.returncode is None:  # only after an exception in the loop itself
            self.group.kill()
            self.process.wait()


def _check_directory(directory: str) -> None:
    if not os.path.isdir(directory):
        what = "is not a directory" if os.path.exists(directory) else "does not exist"
        raise InvalidEvent(
            f'"directory" {directory!r} {what}. Give an existing directory, for example "/tmp".'
        )
    if not os.access(directory, os.X_OK):
        raise InvalidEvent(
            f'"directory" {directory!r} cannot be entered by the runtime\'s user '
            "(permission denied)."
        )


def _unstartable(program: str, executable: str, error: OSError) -> ExecutionResult:
    if error.errno == errno.ENOENT:
        # The file exists (we resolved it), so this is a missing interpreter or loader.
        detail = (
            f"{executable} needs an interpreter or loader that does not exist ({error.strerror})"
        )
        return ExecutionResult(program=program, ending=Ending.NOT_FOUND, detail=detail)
    detail = f"{executable}: {error.strerror}"
    return ExecutionResult(program=program, ending=Ending.NOT_EXECUTABLE, detail=detail)
