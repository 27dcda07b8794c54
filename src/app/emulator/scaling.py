"""App: `--serve --concurrency N`, up to N sandboxes serving one invocation each, as Lambda scales.

With `--per-environment M` (Managed Instances) each sandbox serves up to M at once: it has M
slots, and N x M invocations run at most.

A sandbox (an `Emulator`: one runtime process, one invocation at a time) is started when an
invocation finds none idle, and kept for the next; the most recently used idle one is reused,
so that warm sandboxes stay warm; one warm for the invocation's tenant comes first. An
invocation that finds N busy is throttled at once (`ThrottledError`: Lambda's 429), before
anything of it runs. Asynchronous invocations wait for a free sandbox instead, as Lambda's
queue retries throttled events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import BinaryIO

from ...adapters.emulator.invoke_api import InvokeRequest, InvokeResult, ThrottledError
from .invoker import Emulator
from .reports import failure
from .sandbox import SandboxConfig


class ScaledEmulator:
    """Implements the Invoke API's `Invoker` port with up to `concurrency` sandboxes."""

    def __init__(
        self,
        config: SandboxConfig,
        *,
        concurrency: int,
        output: BinaryIO | None,
        region: str = "us-east-1",
        throttle: bool = True,
    ) -> None:
        """Without `throttle`, an invocation waits for a free slot instead of a 429."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._slots = config.per_environment or 1
        self._throttle = throttle
        self._config = config
        self._concurrency = concurrency
        self._output = output
        self._region = region
        self._sandboxes: list[Emulator] = []
        self._idle: list[Emulator] = []  # one entry per free slot
        self._changed = threading.Condition()
        self._closing = False
        self._waiting: list[threading.Thread] = []

    def invoke(
        self,
        request: InvokeRequest,
        on_output: Callable[[bytes], None] | None = None,
        on_admitted: Callable[[], None] | None = None,
    ) -> InvokeResult:
        """Run in an idle or new sandbox; `ThrottledError` when all are busy."""
        with self._changed:
            if self._closing:
                return failure("Sandbox.Shutdown", "The emulator is shutting down.")
            sandbox = self._take(request.tenant_id)
            while sandbox is None and not self._throttle and not self._closing:
                self._changed.wait()
                sandbox = self._take(request.tenant_id)
        if sandbox is None:
            if self._closing:
                return failure("Sandbox.Shutdown", "The emulator is shutting down.")
            raise ThrottledError
        try:
            return sandbox.invoke(request, on_output, on_admitted)
        finally:
            self._give_back(sandbox)

    def enqueue(self, request: InvokeRequest) -> None:
        """Run the invocation in the background as soon as a sandbox is free."""
        waiting = threading.Thread(
            target=self._run_when_free, args=(request,), name="emulator-event", daemon=True
        )
        with self._changed:
            if self._closing:
                return
            self._waiting.append(waiting)
        waiting.start()

    def close(self) -> None:
        """Stop taking invocations; stop every sandbox (the running ones end with a failure)."""
        with self._changed:
            self._closing = True
            sandboxes = list(self._sandboxes)
            self._changed.notify_all()
        for sandbox in sandboxes:
            sandbox.close()
        for waiting in self._waiting:
            waiting.join()

    def _take(self, tenant_id: str | None) -> Emulator | None:
        """An idle sandbox (the last one used) warm for the tenant, a new one while fewer than N
        exist, another wholly idle one (which restarts for the tenant), or None."""
        for index in range(len(self._idle) - 1, -1, -1):
            if self._idle[index].serves(tenant_id):
                return self._idle.pop(index)
        if len(self._sandboxes) >= self._concurrency:
            # Not one whose other slots still serve another tenant: it cannot restart yet.
            for index in range(len(self._idle) - 1, -1, -1):
                if self._idle.count(self._idle[index]) == self._slots:
                    return self._idle.pop(index)
            return None
        # The log writes whole lines only: sandboxes share the output, as Lambda's log group.
        sandbox = Emulator(self._config, output=self._output, region=self._region, whole_lines=True)
        self._sandboxes.append(sandbox)
        self._idle[:0] = [sandbox] * (self._slots - 1)  # its other slots, used after warm ones
        return sandbox

    def _give_back(self, sandbox: Emulator) -> None:
        with self._changed:
            self._idle.append(sandbox)
            self._changed.notify()

    def _run_when_free(self, request: InvokeRequest) -> None:
        sandbox: Emulator | None = None
        with self._changed:
            while not self._closing and (sandbox := self._take(request.tenant_id)) is None:
                self._changed.wait()
        if sandbox is None:
            return
        try:
            sandbox.invoke(request)
        finally:
            self._give_back(sandbox)
