"""Adapter: plain HTTP calls to the Lambda APIs (urllib3), and the errors they raise.

Shared by the Runtime API client (`client`) and what ends a streamed response
(`stream_outcome`), so that neither imports the other. urllib3's exceptions are translated
into our own at this boundary::

    TransportError
    ├── ApiConnectionError    refused, reset, or no answer within the connect timeout
    ├── ApiStatusError        the API answered with a status the contract does not expect
    └── ApiContractError      the API's answer is not what the contract says
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError

from ...domain.errors import ConfigurationError, TransportError

log = logging.getLogger("run_command_on_aws_lambda")

CONNECT_TIMEOUT = 2.0
POST_TIMEOUT = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=10.0)
# No read timeout on `next`: the sandbox is frozen between invocations, and Lambda answers
# only when an event arrives.
NEXT_TIMEOUT = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=None)
NEXT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
JSON_HEADERS = {"Content-Type": "application/json"}
GONE = 410
"""Lambda's answer to an answer that came after its invocation timed out (`InvokeTimeout`)."""


class ApiConnectionError(TransportError):
    """The API could not be reached, or dropped the connection before answering."""


class ApiStatusError(TransportError):
    """The API answered with a status other than the contract's success status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ApiContractError(TransportError):
    """The API answered in a way its contract does not allow (a header missing or malformed)."""


def open_pool(address: str) -> urllib3.HTTPConnectionPool:
    """One keep-alive connection to `host:port` (`AWS_LAMBDA_RUNTIME_API`)."""
    host, colon, port = address.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(
            f"AWS_LAMBDA_RUNTIME_API={address!r} is not valid: expected host:port."
        )
    return urllib3.HTTPConnectionPool(host.strip("[]"), int(port), maxsize=1, retries=False)


class HttpApi:
    """Requests over one pool; urllib3's failures become `TransportError`s."""

    def __init__(self, pool: urllib3.HTTPConnectionPool) -> None:
        self._pool = pool

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: int,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: urllib3.Timeout = POST_TIMEOUT,
    ) -> urllib3.BaseHTTPResponse:
        try:
            response = self._pool.urlopen(
                method,
                path,
                body=body,
                headers=dict(headers or {}),
                retries=False,
                preload_content=True,
                timeout=timeout,
            )
        except (NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as exc:
            raise ApiConnectionError(f"{method} {path}: cannot reach the API: {exc}") from exc
        except ProtocolError as exc:  # connected, then dropped before a whole answer arrived
            raise ApiConnectionError(f"{method} {path}: the connection broke: {exc}") from exc
        except HTTPError as exc:
            raise TransportError(f"{method} {path} failed: {exc}") from exc
        if response.status != expect:
            excerpt = response.data[:200].decode("utf-8", "replace")
            raise ApiStatusError(
                f"{method} {path} answered {response.status}: {excerpt}", response.status
            )
        return response

    def reconnect(self) -> None:
        """Drop every connection of the pool and open new ones from now on (after a restore
        from a snapshot, a connection made before it is shared by every restored copy)."""
        old = self._pool
        self._pool = urllib3.HTTPConnectionPool(old.host, old.port, maxsize=1, retries=False)
        old.close()


def log_gone(request_id: str, what: str) -> None:
    """The one line for an answer refused with 410: not a fault of the runtime, which goes on."""
    log.warning(
        "Lambda refused the %s for request %s (410 Gone): the invocation had already timed "
        "out. Serving the next invocation.",
        what, request_id,
    )  # fmt: skip
