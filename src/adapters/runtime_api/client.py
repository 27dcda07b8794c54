"""Adapter: the Lambda Runtime API's endpoints over HTTP (urllib3), and the transport built on it.

The only modules that import urllib3 are this package's, so local mode never pays for it. One
method per endpoint; headers are parsed once into a frozen `Invocation`; the HTTP calls and
their errors are `http_api`'s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from ...domain.errors import ErrorType
from ...domain.invocation import Invocation
from ...domain.policy import Failure, Verdict
from ...domain.streaming import DEFAULT_STREAM_LIMIT
from ..wire import encode_verdict
from .extensions_api import ExtensionsApiClient
from .http_api import (
    CONNECT_TIMEOUT,
    GONE,
    JSON_HEADERS,
    NEXT_RETRY_DELAYS,
    NEXT_TIMEOUT,
    POST_TIMEOUT,
    ApiConnectionError,
    ApiContractError,
    ApiStatusError,
    HttpApi,
    log_gone,
    open_pool,
)

if TYPE_CHECKING:  # loaded on the first streamed response only
    from .response_stream import StreamedResponse
    from .streamed_post import StreamedPost

log = logging.getLogger("run_command_on_aws_lambda")

RUNTIME_PREFIX = "/2018-06-01/runtime"
NEXT_PATH = f"{RUNTIME_PREFIX}/invocation/next"
RESPONSE_PATH = RUNTIME_PREFIX + "/invocation/{request_id}/response"
ERROR_PATH = RUNTIME_PREFIX + "/invocation/{request_id}/error"
INIT_ERROR_PATH = f"{RUNTIME_PREFIX}/init/error"
RESTORE_NEXT_PATH = f"{RUNTIME_PREFIX}/restore/next"
RESTORE_ERROR_PATH = f"{RUNTIME_PREFIX}/restore/error"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
INVOCATION_ID_HEADER = "Lambda-Runtime-Invocation-Id"
"""A nonce per invocation, given by `next` and echoed on that invocation's answer: Lambda
answers 410 to the answer of an invocation that timed out, however its request id is reused."""

__all__ = [  # the HTTP layer's names, for the modules and tests that import them from here
    "NEXT_RETRY_DELAYS",
    "ApiConnectionError",
    "ApiContractError",
    "ApiStatusError",
    "ExtensionsApiClient",
    "RuntimeApiClient",
    "RuntimeApiTransport",
    "open_pool",
]


class RuntimeApiClient(HttpApi):
    """The Runtime API's endpoints (base `/2018-06-01/runtime`), one method each."""

    def next(self) -> Invocation:
        """Block until the next event arrives; raises `ApiContractError` for bad headers."""
        response = self.call("GET", NEXT_PATH, expect=200, timeout=NEXT_TIMEOUT)
        return parse_invocation(response.headers, response.data)

    def response(self, request_id: str, body: bytes, invocation_id: str | None = None) -> None:
        path = RESPONSE_PATH.format(request_id=quote(request_id, safe=""))
        headers = _with_invocation_id(JSON_HEADERS, invocation_id)
        self.call("POST", path, expect=202, body=body, headers=headers)

    def streamed_response(self, request_id: str, invocation_id: str | None = None) -> StreamedPost:
        """Begin a streamed response (headers sent); raises `StreamUnreachedError` if it cannot."""
        from .chunked import STREAM_HEADERS  # noqa: PLC0415 - streamed responses only
        from .streamed_post import StreamedPost, Timeouts  # noqa: PLC0415

        path = RESPONSE_PATH.format(request_id=quote(request_id, safe=""))
        read = POST_TIMEOUT.read_timeout
        assert isinstance(read, float)
        timeouts = Timeouts(connect=CONNECT_TIMEOUT, send=read, answer=read)
        headers = _with_invocation_id(STREAM_HEADERS, invocation_id)
        return StreamedPost(self._pool, path, headers, timeouts)

    def error(
        self, request_id: str, body: bytes, error_type: str, invocation_id: str | None = None
    ) -> None:
        headers = {**JSON_HEADERS, ERROR_TYPE_HEADER: f"Function.{error_type}"}
        headers = _with_invocation_id(headers, invocation_id)
        path = ERROR_PATH.format(request_id=quote(request_id, safe=""))
        self.call("POST", path, expect=202, body=body, headers=headers)

    def init_error(self, body: bytes, reason: str) -> None:
        headers = {**JSON_HEADERS, ERROR_TYPE_HEADER: f"Runtime.{reason}"}
        self.call("POST", INIT_ERROR_PATH, expect=202, body=body, headers=headers)

    def restore_next(self) -> None:
        """SnapStart: block until the environment has been restored from its snapshot."""
        self.call("GET", RESTORE_NEXT_PATH, expect=200, timeout=NEXT_TIMEOUT)

    def restore_error(self, body: bytes, error_type: str) -> None:
        """SnapStart: the runtime cannot serve after the restore (it exits next)."""
        headers = {**JSON_HEADERS, ERROR_TYPE_HEADER: error_type}
        self.call("POST", RESTORE_ERROR_PATH, expect=202, body=body, headers=headers)


def _with_invocation_id(headers: Mapping[str, str], invocation_id: str | None) -> dict[str, str]:
    """`headers`, plus the invocation id when `next` gave one (none is sent otherwise)."""
    if invocation_id is None:
        return dict(headers)
    return {**headers, INVOCATION_ID_HEADER: invocation_id}


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
        tenant_id=headers.get("Lambda-Runtime-Aws-Tenant-Id") or None,
        invocation_id=headers.get(INVOCATION_ID_HEADER) or None,
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

        request_id, invocation_id = invocation.request_id, invocation.invocation_id
        stream = StreamedResponse(
            lambda: self._client.streamed_response(request_id, invocation_id),
            limit=self._stream_limit,
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
        status = self._post(invocation, verdict)
        if status == 413:
            # A response refused as too large closes the invocation on Lambda: this error is
            # then refused (403) and only logged. Anywhere else it is the invocation's answer.
            too_large = Failure(
                error_type=ErrorType.RUNTIME_FAILURE,
                message=f"The {'error' if isinstance(verdict, Failure) else 'result'} body is "
                "larger than Lambda accepts (413).",
            )
            self._post(invocation, too_large)

    def _post(self, invocation: Invocation, verdict: Verdict) -> int | None:
        """Post an outcome; returns the 4xx status the API refused it with, else `None`."""
        request_id, invocation_id = invocation.request_id, invocation.invocation_id
        body = encode_verdict(verdict, request_id=request_id, tenant_id=invocation.tenant_id)
        what = "error" if isinstance(verdict, Failure) else "response"
        try:
            if isinstance(verdict, Failure):
                self._client.error(request_id, body, verdict.error_type.value, invocation_id)
            else:
                self._client.response(request_id, body, invocation_id)
        except ApiStatusError as error:
            if not 400 <= error.status < 500:
                raise
            if error.status == GONE:
                log_gone(request_id, what)
            else:
                log.error(
                    "The Runtime API refused the %s for request %s (%d bytes): %s",
                    what, request_id, len(body), error,
                )  # fmt: skip
            return error.status
        return None
