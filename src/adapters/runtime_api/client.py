"""Adapter: the Lambda Runtime API over HTTP (urllib3), and the transport built on it.

The only module that imports urllib3, so local mode never pays for it. One method per
endpoint; headers are parsed once into a frozen `Invocation`; urllib3's exceptions are
translated into our own at this boundary::

    TransportError
    ├── ApiConnectionError    refused, reset, or no answer within the connect timeout
    ├── ApiStatusError        the API answered with a status the contract does not expect
    └── ApiContractError      the API's answer is not what the contract says
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError

from ...domain.errors import ConfigurationError, ErrorType, TransportError
from ...domain.invocation import Invocation
from ...domain.policy import Failure, Verdict
from ...domain.streaming import DEFAULT_STREAM_LIMIT
from ..wire import encode_verdict

if TYPE_CHECKING:  # loaded on the first streamed response only
    from .response_stream import StreamedResponse
    from .streamed_post import StreamedPost

log = logging.getLogger("run_command_on_aws_lambda")

RUNTIME_PREFIX = "/2018-06-01/runtime"
NEXT_PATH = f"{RUNTIME_PREFIX}/invocation/next"
RESPONSE_PATH = RUNTIME_PREFIX + "/invocation/{request_id}/response"
ERROR_PATH = RUNTIME_PREFIX + "/invocation/{request_id}/error"
INIT_ERROR_PATH = f"{RUNTIME_PREFIX}/init/error"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

CONNECT_TIMEOUT = 2.0
POST_TIMEOUT = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=10.0)
# No read timeout on `next`: the sandbox is frozen between invocations, and Lambda answers
# only when an event arrives.
NEXT_TIMEOUT = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=None)
NEXT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
_JSON = {"Content-Type": "application/json"}


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


class RuntimeApiClient(HttpApi):
    """The Runtime API's endpoints (base `/2018-06-01/runtime`), one method each."""

    def next(self) -> Invocation:
        """Block until the next event arrives; raises `ApiContractError` for bad headers."""
        response = self.call("GET", NEXT_PATH, expect=200, timeout=NEXT_TIMEOUT)
        return parse_invocation(response.headers, response.data)

    def response(self, request_id: str, body: bytes) -> None:
        path = RESPONSE_PATH.format(request_id=quote(request_id, safe=""))
        self.call("POST", path, expect=202, body=body, headers=_JSON)

    def streamed_response(self, request_id: str) -> StreamedPost:
        """Begin a streamed response (headers sent); raises `StreamUnreachedError` if it cannot."""
        from .chunked import STREAM_HEADERS  # noqa: PLC0415 - streamed responses only
        from .streamed_post import StreamedPost, Timeouts  # noqa: PLC0415

        path = RESPONSE_PATH.format(request_id=quote(request_id, safe=""))
        read = POST_TIMEOUT.read_timeout
        assert isinstance(read, float)
        timeouts = Timeouts(connect=CONNECT_TIMEOUT, send=read, answer=read)
        return StreamedPost(self._pool, path, STREAM_HEADERS, timeouts)

    def error(self, request_id: str, body: bytes, error_type: str) -> None:
        headers = {**_JSON, ERROR_TYPE_HEADER: f"Function.{error_type}"}
        path = ERROR_PATH.format(request_id=quote(request_id, safe=""))
        self.call("POST", path, expect=202, body=body, headers=headers)

    def init_error(self, body: bytes, reason: str) -> None:
        headers = {**_JSON, ERROR_TYPE_HEADER: f"Runtime.{reason}"}
        self.call("POST", INIT_ERROR_PATH, expect=202, body=body, headers=headers)


def parse_invocation(headers: Mapping[str, str], payload: bytes) -> Invocation:
    """The `next` answer as an `Invocation`; a missing request id or bad deadline is fatal."""
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
    if not request_id:
        raise ApiContractError("The next invocation has no Lambda-Runtime-Aws-Request-Id header.")
    deadline = headers.get("Lambda-Runtime-Deadline-Ms")
    if deadline is not None and not deadline.strip().isdigit():
        raise ApiContractError(
            f"The next invocation's Lambda-Runtime-Deadline-Ms is not a number: {deadline[:40]!r}."
        )
    return Invocation(
        request_id=request_id,
        payload=payload,
        deadline_ms=None if deadline is None else int(deadline),
        function_arn=headers.get("Lambda-Runtime-Invoked-Function-Arn"),
        trace_id=headers.get("Lambda-Runtime-Trace-Id"),
        client_context=headers.get("Lambda-Runtime-Client-Context"),
        cognito_identity=headers.get("Lambda-Runtime-Cognito-Identity"),
        tenant_id=headers.get("Lambda-Runtime-Aws-Tenant-Id"),
    )


class RuntimeApiTransport:
    """The `Transport` of a Lambda custom runtime: `next` in, `response` or `error` out.

    `next` is retried on connection failures after each of `retry_delays` (then the fault is
    fatal). A 4xx on posting is logged and the loop goes on; anything else is fatal. Streamed
    responses carry at most `stream_limit` bytes; how they end is `stream_outcome.py`'s.
    """

    def __init__(
        self,
        client: RuntimeApiClient,
        *,
        retry_delays: Sequence[float] = NEXT_RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        stream_limit: int = DEFAULT_STREAM_LIMIT,
    ) -> None:
        self._client = client
        self._retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._stream_limit = stream_limit
        self._stream: tuple[str, StreamedResponse] | None = None

    def next_invocation(self) -> Invocation:
        for delay in self._retry_delays:
            try:
                return self._client.next()
            except ApiConnectionError as error:
                log.warning("%s; retrying in %g s.", error, delay)
                self._sleep(delay)
        try:
            return self._client.next()
        except ApiConnectionError as error:
            attempts = len(self._retry_delays) + 1
            raise ApiConnectionError(f"{error} (gave up after {attempts} attempts)") from error

    def open_stream(self, invocation: Invocation) -> StreamedResponse:
        from .response_stream import StreamedResponse  # noqa: PLC0415 - streamed responses only

        request_id = invocation.request_id
        stream = StreamedResponse(
            lambda: self._client.streamed_response(request_id), limit=self._stream_limit
        )
        self._stream = (request_id, stream)
        return stream

    def report(self, invocation: Invocation, verdict: Verdict) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and stream[0] == invocation.request_id and stream[1].begun:
            from .stream_outcome import end_stream  # noqa: PLC0415 - streamed responses only

            end_stream(
                stream[1], invocation, verdict, lambda outcome: self._report(invocation, outcome)
            )
            return
        self._report(invocation, verdict)

    def _report(self, invocation: Invocation, verdict: Verdict) -> None:
        status = self._post(invocation.request_id, verdict)
        if status == 413:
            # A response refused as too large closes the invocation on Lambda: this error is
            # then refused (403) and only logged. Anywhere else it is the invocation's answer.
            too_large = Failure(
                error_type=ErrorType.RUNTIME_FAILURE,
                message=f"The {'error' if isinstance(verdict, Failure) else 'result'} body is "
                "larger than Lambda accepts (413).",
            )
            self._post(invocation.request_id, too_large)

    def _post(self, request_id: str, verdict: Verdict) -> int | None:
        """Post an outcome; returns the 4xx status the API refused it with, else `None`."""
        body = encode_verdict(verdict, request_id=request_id)
        try:
            if isinstance(verdict, Failure):
                self._client.error(request_id, body, verdict.error_type.value)
            else:
                self._client.response(request_id, body)
        except ApiStatusError as error:
            if not 400 <= error.status < 500:
                raise
            what = "error" if isinstance(verdict, Failure) else "response"
            log.error(
                "The Runtime API refused the %s for request %s (%d bytes): %s",
                what, request_id, len(body), error,
            )  # fmt: skip
            return error.status
        return None


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
            headers={**_JSON, EXTENSION_NAME_HEADER: name},
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
