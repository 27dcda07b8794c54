"""Adapter: the Extensions API's state in one emulated sandbox, and the Runtime API's refusals.

The runtime registers a no-op extension so that Lambda sends it SIGTERM at shutdown; init is
over only once every registered extension has asked for its next event. `Extensions` is the
part of the `Exchange` that keeps them; it shares the exchange's lock and states.
"""

from __future__ import annotations

import threading
import uuid


class ContractError(Exception):
    """A Runtime API call the contract does not allow now; `status` is the HTTP answer."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


class SandboxClosedError(Exception):
    """The sandbox is gone: the runtime must exit (the HTTP answer is 500)."""


class Extensions:
    """The extensions registered in a sandbox, and whether each is waiting for its event."""

    _changed: threading.Condition
    _next_called: bool
    _closed: bool

    def __init__(self) -> None:
        self._extensions: dict[str, bool] = {}

    def register_extension(self) -> str:
        with self._changed:
            if self._next_called:
                raise ContractError(
                    403, "Extension.InvalidState", "Extensions register during init."
                )
            identifier = str(uuid.uuid4())
            self._extensions[identifier] = False
            return identifier

    def extension_next(self, identifier: str) -> None:
        """Park an extension until the sandbox closes (it subscribed to no events)."""
        with self._changed:
            if identifier not in self._extensions:
                raise ContractError(
                    403, "Extension.UnknownExtensionIdentifier", "Unknown extension."
                )
            self._extensions[identifier] = True
            self._changed.notify_all()
            while not self._closed:
                self._changed.wait()
            raise SandboxClosedError

    def _extensions_ready(self) -> bool:
        return all(self._extensions.values())
