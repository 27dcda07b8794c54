"""Adapter: end an invocation's streamed response with its verdict, and act on the API's answer.

As careful as the buffered posts (`client.RuntimeApiTransport`): whatever happens, the
invocation gets one answer the API can take, and only a fault the runtime cannot go on after
(a 500, or an end that may or may not have been taken) is raised:

| how the stream ended | then |
|---|---|
| 202 | done |
| never reached the API | the verdict is posted as usual (a buffered response or error) |
| cut off before its end | logged; the verdict posted as an error (a success: `RuntimeFailure`) |
| refused with a 4xx | logged; after a 413, the same error post follows (Lambda may refuse it) |
| refused with 410 | one line: the invocation had timed out, the loop serves on |
| 500 (any other status) | `ApiStatusError`: the runtime exits |
| ended, then no answer | `ApiConnectionError`: it may have been taken, so it is not posted again |
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ...domain.errors import ErrorType
from ...domain.invocation import Invocation
from ...domain.policy import Failure, Verdict
from ...domain.result import Ending
from ..wire import encode_verdict
from .chunked import error_trailers
from .http_api import GONE, ApiConnectionError, ApiStatusError, log_gone
from .response_stream import StreamedResponse
from .streamed_post import StreamCutError, StreamLostError, StreamUnreachedError

DRAIN_SECONDS = 1.0  # at most this long for queued output once the command ended
DEADLINE_ROOM = 0.1  # the end is sent at least this long before the invocation's deadline

log = logging.getLogger("run_command_on_aws_lambda")

Post = Callable[[Verdict], None]  # a buffered post of a verdict, as the transport makes it


def end_stream(
    stream: StreamedResponse,
    invocation: Invocation,
    verdict: Verdict,
    post: Post,
    *,
    wall_clock: Callable[[], float] = time.time,
) -> None:
    """End `stream` with `verdict` (trailers on failure); `post` sends a buffered fallback."""
    request_id = invocation.request_id
    trailers = None
    if isinstance(verdict, Failure):
        body = encode_verdict(verdict, request_id=request_id, tenant_id=invocation.tenant_id)
        trailers = error_trailers(verdict.error_type.value, body)
    end = stream.end(trailers, drain=_drain(invocation, verdict, wall_clock()))
    if isinstance(end.failure, StreamUnreachedError):
        log.warning("%s; posting the outcome of request %s unstreamed.", end.failure, request_id)
        post(verdict)
    elif isinstance(end.failure, StreamCutError):
        log.error("%s; posting the outcome of request %s as an error.", end.failure, request_id)
        post(_as_error(verdict, "the streamed response was cut off"))
    elif isinstance(end.failure, StreamLostError):
        raise ApiConnectionError(str(end.failure)) from end.failure
    elif end.failure is not None:
        raise end.failure
    elif end.answer is not None and end.answer.status != 202:
        status, excerpt = end.answer.status, end.answer.excerpt
        message = f"the streamed response for request {request_id} was answered {status}: {excerpt}"
        if not 400 <= status < 500:
            raise ApiStatusError(message[0].upper() + message[1:], status)
        if status == GONE:
            log_gone(request_id, "streamed response")
            return
        log.error("The Runtime API refused %s", message)
        if status == 413:  # as after a buffered 413: Lambda has likely closed the invocation
            post(_as_error(verdict, "the streamed response is larger than Lambda accepts (413)"))


def _drain(invocation: Invocation, verdict: Verdict, now: float) -> float:
    """How long queued output may still take: not at all after a shutdown (Lambda allows
    300 ms), and never past the invocation's deadline."""
    result = verdict.result if isinstance(verdict, Failure) else None
    if result is not None and result.ending is Ending.INTERRUPTED:
        return 0.0
    if invocation.deadline_ms is None:
        return DRAIN_SECONDS
    left = invocation.deadline_ms / 1000 - now - DEADLINE_ROOM
    return max(0.0, min(DRAIN_SECONDS, left))


def _as_error(verdict: Verdict, what: str) -> Failure:
    if isinstance(verdict, Failure):
        return verdict
    return Failure(
        error_type=ErrorType.RUNTIME_FAILURE,
        message=f"The command succeeded, but {what}; the function's log has its output.",
        result=None,
    )
