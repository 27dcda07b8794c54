"""Adapter: the process executor. Starts a `CommandSpec` as a child in its own session.

Supervision (`supervisor.py`) then forwards the child's stdout and stderr as they come,
keeping only the last bytes for the result (with any secret values masked), and stops the
whole process group: SIGTERM, a grace period, SIGKILL. Whatever the command left behind is
stopped the same way once it ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
from collections.abc import Callable, Mapping

from ...domain.allowlist import AllowList
from ...domain.command import CommandSpec
from ...domain.deadline import StopPlan
from ...domain.errors import InvalidEvent
from ...domain.protocols import ResponseStream
from ...domain.result import Ending, ExecutionResult
from .command_output import Forwarder
from .process_group import RunningCommands
from .program_lookup import Unrunnable, allowed_program, resolve_program
from .shutdown_signal import ShutdownSignal
from .supervisor import Supervisor

# Linux's limit on one argument or environment string (MAX_ARG_STRLEN, 32 pages of 4 KiB).
MAX_ARG_STRLEN = 131072


class ProcessExecutor:
    """Runs commands as real child processes. Implements the `Executor` port.

    `stdout`/`stderr` are the file descriptors the child's streams are forwarded to.
    `search_path` is the PATH programs are looked up on (the runtime's own). With
    `reap_orphans`, the caller is a child subreaper that owns all its children: processes
    the command orphaned are reaped and stopped too (the runtime's CLI sets this). With
    `allowed_programs`, only the files it names are started, by their real path. With
    `concurrent`, commands may be executed from several threads at once. With
    `output_records` ("json" or "text"), each line of a command's output is written as a log
    record of its invocation, named by the `RUN_COMMAND_REQUEST_ID` of its environment.
    """

    def __init__(
        self,
        *,
        stdout: int = 1,
        stderr: int = 2,
        search_path: str | None = None,
        shutdown: ShutdownSignal | None = None,
        reap_orphans: bool = False,
        allowed_programs: AllowList | None = None,
        clock: Callable[[], float] = time.monotonic,
        concurrent: bool = False,
        output_records: str | None = None,
    ) -> None:
        self._search_path = search_path
        self._allowed = allowed_programs
        self._clock = clock
        self._running = RunningCommands() if concurrent else None
        self._supervisor = Supervisor(
            stdout=stdout,
            stderr=stderr,
            forwarder=Forwarder(clock),
            shutdown=shutdown,
            reap_orphans=reap_orphans,
            clock=clock,
            running=self._running,
            records=output_records,
        )

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
    ) -> ExecutionResult:
        started = self._clock()
        executable = self._program_file(spec)
        if isinstance(executable, ExecutionResult):
            return executable
        if starting is not None:  # before the child: its output, or its end, may come at once
            starting()
        output = self._supervisor.forwarding(
            mask,
            None if stream is None else stream.write,
            request_id=request_id,
            tenant_id=tenant_id,
        )
        try:
            with self._starting() as leaders:
                process = subprocess.Popen(
                    spec.argv,
                    executable=executable,
                    env=dict(environment),
                    cwd=spec.directory,
                    stdin=subprocess.DEVNULL if spec.input is None else subprocess.PIPE,
                    stdout=output.child_ends[0],
                    stderr=output.child_ends[1],
                    start_new_session=True,
                )
                leaders.add(process.pid)
        except OSError as error:
            output.close()
            if error.errno == errno.E2BIG:
                raise InvalidEvent(_too_large(spec, environment)) from None
            return _unstartable(spec.program, executable, error)
        except BaseException:
            output.close()
            raise
        output.release_child_ends()  # the child has them: its exit is their end
        if stream is not None:
            stream.begin()  # never raises: a stream that cannot begin is the transport's
        return self._supervisor.supervise(process, spec, stop, started, output=output)

    def _starting(self) -> contextlib.AbstractContextManager[set[int]]:
        """Where a command is started: its leader's pid goes into the set."""
        if self._running is None:
            return contextlib.nullcontext(set())
        return self._running.starting()

    def _program_file(self, spec: CommandSpec) -> str | ExecutionResult:
        """The file to run, or the result of a command that cannot start.

        Under an allow-list the program is checked first, and a refusal says nothing but the
        event's own words: neither the program's nor the directory's existence leaks.
        """
        program, directory, search_path = spec.program, spec.directory, self._search_path
        if self._allowed is None:
            if directory is not None:
                _check_directory(directory)
            found = resolve_program(program, search_path=search_path, directory=directory)
        else:
            found = allowed_program(
                program, self._allowed, search_path=search_path, directory=directory
            )
            if not isinstance(found, Unrunnable) and directory is not None:
                _check_directory(directory)
        if isinstance(found, Unrunnable):
            return ExecutionResult(program=program, ending=found.ending, detail=found.detail)
        return found


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


def _too_large(spec: CommandSpec, environment: Mapping[str, str]) -> str:
    """Why exec refused the command line: too long in all, or one string too long."""
    sizes = [len(os.fsencode(text)) + 1 for text in spec.argv]
    sizes += [len(os.fsencode(f"{k}={v}")) + 1 for k, v in environment.items()]
    longest = max(sizes) - 1
    if longest >= MAX_ARG_STRLEN:  # the limit counts the terminating NUL byte
        why = f"one of them is {longest} bytes, over Linux's limit of {MAX_ARG_STRLEN} for each"
    else:
        why = f"over Linux's limit of about {os.sysconf('SC_ARG_MAX')} bytes in all"
    return (
        f'"arguments" and "environment" are too large to start a command: '
        f"{len(spec.arguments)} arguments and {len(environment)} variables "
        f"take {sum(sizes)} bytes, {why}. "
        'Pass large data through "input" (standard input) or a file instead.'
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
