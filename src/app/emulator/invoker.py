"""App: the Lambda emulator. Invocations run one at a time, in order, like in one Lambda sandbox.

The sandbox (runtime process plus its Runtime API) starts at the first invocation and is kept
while the runtime answers; one that exits, times out or fails its init is destroyed, and the
next invocation starts a new one. A sandbox serves one tenant only (or only invocations
without one): an invocation of another tenant gets a new sandbox. Outcomes are reported
with Lambda's bodies and log lines.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import BinaryIO

from ...adapters.emulator.invoke_api import InvokeRequest, InvokeResult
from ...adapters.emulator.outcomes import Answered, Event, Outcome, TimedOut
from ...adapters.emulator.sandbox_log import InvocationTail, SandboxLog
from .job import Job
from .reports import conclude, error_code, failure, new_trace_id
from .sandbox import SHUTDOWN_GRACE, Sandbox, SandboxConfig

log = logging.getLogger("run_command_on_aws_lambda")

ACCOUNT_ID = "012345678912"
"""The account in invoked function ARNs (the one AWS's emulator uses)."""


class Emulator:
    """Implements the Invoke API's `Invoker` port on top of restartable sandboxes."""

    def __init__(
        self,
        config: SandboxConfig,
        *,
        output: BinaryIO | None,
        region: str = "us-east-1",
        whole_lines: bool = False,
    ) -> None:
        """With `config.per_environment`, that many invocations run at once in the sandbox."""
        self._config = config
        self._slots = config.per_environment or 1
        self._region = region
        self._memory = config.environment.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
        self._log = SandboxLog(output, whole_lines=whole_lines)
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._sandbox: Sandbox | None = None
        self._state = threading.Lock()
        self._quiet = threading.Condition(self._state)  # notified when an invocation ends
        self._running = 0  # invocations in the sandbox now (up to per_environment)
        self._closing = False
        self._workers = [
            threading.Thread(target=self._work, name="emulator", daemon=True)
            for _ in range(self._slots)
        ]
        for worker in self._workers:
            worker.start()

    def invoke(
        self,
        request: InvokeRequest,
        on_output: Callable[[bytes], None] | None = None,
        on_admitted: Callable[[], None] | None = None,
    ) -> InvokeResult:
        """Queue the invocation and wait for its end; it is never throttled."""
        job = self._submit(request, streaming=on_output is not None)
        if on_admitted is not None:
            on_admitted()
        if on_output is not None:
            for piece in job.pieces():
                on_output(piece)
        return job.result()

    def enqueue(self, request: InvokeRequest) -> None:
        self._submit(request)

    def close(self) -> None:
        """Stop taking invocations, stop the runtime (SIGTERM, then SIGKILL), end the worker."""
        with self._state:
            self._closing = True
            self._quiet.notify_all()
            sandbox = self._sandbox
        for _ in self._workers:
            self._jobs.put(None)
        if sandbox is not None:
            sandbox.destroy(SHUTDOWN_GRACE)
        for worker in self._workers:
            worker.join()

    def _submit(self, request: InvokeRequest, *, streaming: bool = False) -> Job:
        job = Job(request, streaming=streaming)
        with self._state:
            if self._closing:
                job.finish(failure("Sandbox.Shutdown", "The emulator is shutting down."))
            else:
                self._jobs.put(job)
        return job

    def _work(self) -> None:
        # `close` queues None after every job submitted before it: each gets an answer.
        while (job := self._jobs.get()) is not None:
            job.finish(self._run_safely(job.request, job.sink))

    def _run_safely(
        self, request: InvokeRequest, sink: Callable[[bytes], None] | None
    ) -> InvokeResult:
        try:
            return self._run(request, sink)
        except Exception as error:  # a fault of the emulator: answer it, keep serving
            log.exception("The emulator failed while invoking the function.")
            self._discard()
            return failure("Runtime.Unknown", f"The emulator failed: {error}")

    def _run(self, request: InvokeRequest, sink: Callable[[bytes], None] | None) -> InvokeResult:
        try:
            sandbox = self._current_sandbox(request.tenant_id)
        except OSError as error:
            return failure("Runtime.InvalidEntrypoint", f"The runtime cannot start: {error}")
        if sandbox is None:
            return failure("Sandbox.Shutdown", "The emulator is shutting down.")
        start = f"START RequestId: {request.request_id} Version: $LATEST"
        tail = self._log.begin(request.request_id, start)
        try:
            return self._run_in(sandbox, request, sink, tail)
        finally:
            self._log.end(tail)  # kept no more, even after a fault of the emulator
            with self._state:
                self._running -= 1
                self._quiet.notify_all()

    def _run_in(
        self,
        sandbox: Sandbox,
        request: InvokeRequest,
        sink: Callable[[bytes], None] | None,
        tail: InvocationTail,
    ) -> InvokeResult:
        """Run the invocation; its log `tail` holds its own lines (START to REPORT) only."""
        request_id = request.request_id
        started = time.monotonic()
        cold = sandbox.exchange.init_seconds is None
        outcome = sandbox.exchange.run(self._event(request_id, request), sink)
        sandbox.process.drain()
        # Managed Instances: a timeout is the runtime's to handle, the others run on.
        if not isinstance(outcome, Answered) and (
            self._slots == 1 or not isinstance(outcome, TimedOut)
        ):
            self._discard()
        body, lines = conclude(outcome, request_id)
        for line in lines:
            self._log.line(line, tail)
        init = sandbox.exchange.init_seconds if cold else None
        self._report(tail, time.monotonic() - started, outcome, init)
        return InvokeResult(body=body, error_type=error_code(outcome), log=self._log.end(tail))

    def serves(self, tenant_id: str | None) -> bool:
        """Whether an invocation of `tenant_id` would find its sandbox warm (or none yet)."""
        with self._state:
            return self._sandbox is None or self._sandbox.tenant_id == tenant_id

    def _current_sandbox(self, tenant_id: str | None) -> Sandbox | None:
        """The sandbox for `tenant_id`, counted as running one more invocation until `_run`
        ends; one that serves another tenant is replaced once its invocations have ended."""
        with self._state:
            while self._running and self._serves_other(tenant_id) and not self._closing:
                self._quiet.wait()
            if self._closing:
                return None
            if self._sandbox is not None and self._sandbox.exited:
                log.info("The runtime had exited; starting a new one.")
                self._sandbox.destroy()
                self._sandbox = None
            if self._sandbox is not None and self._sandbox.tenant_id != tenant_id:
                # Like Lambda's tenant isolation: no sandbox serves two tenants.
                log.info("The sandbox served another tenant; starting a new one.")
                self._sandbox.destroy()
                self._sandbox = None
            if self._sandbox is None:
                self._sandbox = Sandbox(self._config, self._log, tenant_id=tenant_id)
            self._running += 1
            return self._sandbox

    def _serves_other(self, tenant_id: str | None) -> bool:
        return self._sandbox is not None and self._sandbox.tenant_id != tenant_id

    def _discard(self) -> None:
        with self._state:
            sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.destroy()

    def _event(self, request_id: str, request: InvokeRequest) -> Event:
        name = request.function_name
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{name}"
        )
        return Event(
            request_id=request_id,
            payload=request.payload,
            function_arn=arn,
            trace_id=request.trace_header or new_trace_id(),
            client_context=request.client_context,
            tenant_id=request.tenant_id,
        )

    def _report(
        self, tail: InvocationTail, seconds: float, outcome: Outcome, init: float | None
    ) -> None:
        """Lambda's END and REPORT lines; a cold start's init time is reported apart."""
        request_id = tail.request_id
        milliseconds = max(seconds - (init or 0), 0) * 1000
        extra = f"\tInit Duration: {init * 1000:.2f} ms" if init is not None else ""
        if isinstance(outcome, TimedOut):
            extra += "\tStatus: timeout"
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {milliseconds:.2f} ms\t"
            f"Billed Duration: {math.ceil(milliseconds)} ms\tMemory Size: {self._memory} MB"
        )
        self._log.line(f"END RequestId: {request_id}", tail)
        self._log.line(report + extra, tail)
