"""Adapter: the Extensions API's endpoints (base `/2020-01-01/extension`) that an internal
extension of the runtime calls, over `http_api`."""

from __future__ import annotations

import urllib3

from .http_api import CONNECT_TIMEOUT, JSON_HEADERS, NEXT_TIMEOUT, ApiContractError, HttpApi

EXTENSION_PREFIX = "/2020-01-01/extension"
REGISTER_PATH = f"{EXTENSION_PREFIX}/register"
EXTENSION_NEXT_PATH = f"{EXTENSION_PREFIX}/event/next"
EXTENSION_NAME_HEADER = "Lambda-Extension-Name"
EXTENSION_ID_HEADER = "Lambda-Extension-Identifier"
# The answer is waited for (in the extension's own thread) as long as Lambda's init may take:
# a registration given up on may still have been taken, and init then waits for that
# extension's `event/next` until it times out, with no invocation served (a slow emulator,
# under load). The runtime's main thread waits for it only REGISTER_WAIT (extension.py).
REGISTER_TIMEOUT = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=10.0)


class ExtensionsApiClient(HttpApi):
    """The Extensions API's endpoints (base `/2020-01-01/extension`) used by an internal one."""

    def __init__(
        self,
        pool: urllib3.HTTPConnectionPool,
        *,
        register_timeout: urllib3.Timeout = REGISTER_TIMEOUT,
    ) -> None:
        super().__init__(pool)
        self._register_timeout = register_timeout

    def register(self, name: str) -> str:
        """Register for no events; returns the extension's identifier."""
        response = self.call(
            "POST",
            REGISTER_PATH,
            expect=200,
            body=b'{"events": []}',
            headers={**JSON_HEADERS, EXTENSION_NAME_HEADER: name},
            timeout=self._register_timeout,
        )
        identifier = response.headers.get(EXTENSION_ID_HEADER, "")
        if not identifier:
            raise ApiContractError(f"The registration answer has no {EXTENSION_ID_HEADER} header.")
        return identifier

    def next_event(self, identifier: str) -> bytes:
        """Block until Lambda sends this extension an event (never, for no events)."""
        headers = {EXTENSION_ID_HEADER: identifier}
        response = self.call(
            "GET", EXTENSION_NEXT_PATH, expect=200, headers=headers, timeout=NEXT_TIMEOUT
        )
        return response.data
