"""Adapter: a no-op internal Lambda extension, so that a sandbox shutdown reaches the runtime.

Lambda sends SIGTERM to a runtime at shutdown only when an extension is registered. This one
registers for no events and keeps a daemon thread parked on `event/next` (Lambda's init waits
until every registered extension has asked for its next event). A registration answered late
is still followed by `event/next`: the API took it, and init waits for that call.
"""

from __future__ import annotations

import logging
import threading

from ...domain.errors import TransportError
from .extensions_api import ExtensionsApiClient

log = logging.getLogger("run_command_on_aws_lambda")

EXTENSION_NAME = "run-command-on-aws-lambda"
REGISTER_WAIT = 0.5  # the longest a slow or failing registration delays the first invocation


class NoOpExtension:
    """Registers in a background thread; `start` returns once registered, or after the wait."""

    def __init__(self, client: ExtensionsApiClient, *, name: str = EXTENSION_NAME) -> None:
        self._client = client
        self._name = name
        self._settled = threading.Event()
        self.identifier: str | None = None

    def start(self, wait: float = REGISTER_WAIT) -> bool:
        """Start the thread; returns whether the extension registered within `wait` seconds."""
        thread = threading.Thread(target=self._run, name="lambda-extension", daemon=True)
        thread.start()
        if not self._settled.wait(wait):
            log.warning(
                "The extension did not register within %g s; going on without waiting.", wait
            )
        return self.identifier is not None

    def _run(self) -> None:
        try:
            identifier = self._client.register(self._name)
        except TransportError as error:
            log.warning(
                "Could not register the shutdown extension (%s); "
                "the runtime will not be told when Lambda shuts the sandbox down.",
                error,
            )
            return
        else:
            self.identifier = identifier
        finally:
            self._settled.set()
        try:
            while True:
                self._client.next_event(identifier)
        except TransportError as error:
            log.warning("The shutdown extension stopped waiting for events: %s", error)
