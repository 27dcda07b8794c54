"""App: the handler for AWS's managed Python runtime (zip deployments, no container).

`handler(event, context)` runs the event like the custom runtime does: it returns the result
body on success and raises an exception whose type name is the `errorType` on failure, which
the managed runtime turns into the same error body (`errorType`, `errorMessage`).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Protocol

from ..adapters.documents import error_document, result_document
from ..domain.environment import TRACE_VARIABLE
from ..domain.errors import ErrorType, RunCommandError
from ..domain.invocation import Invocation
from ..domain.policy import Failure
from .compose import build_runner
from .logs import LOGGER_NAME
from .settings import Settings

log = logging.getLogger(LOGGER_NAME)


class LambdaContext(Protocol):
    """The part of the managed runtime's context object the handler uses."""

    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class InvocationError(RunCommandError):
    """Raised by `handler` when the command failed; subclassed once per `ErrorType`.

    `body` is the error body the custom runtime would have posted.
    """

    error_type: ErrorType

    def __init__(self, message: str, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = body


# The managed runtime reports `type(exception).__name__` as the errorType.
FAILURES: dict[ErrorType, type[InvocationError]] = {
    error_type: type(
        error_type.value,
        (InvocationError,),
        {"error_type": error_type, "__module__": __name__, "__doc__": f"errorType {error_type}."},
    )
    for error_type in ErrorType
}


def handler(event: object, context: LambdaContext) -> dict[str, Any]:
    """Run the command the event describes; return its result body or raise its error."""
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() != "JSON":
        log.setLevel(logging.INFO)  # the managed runtime's root logger shows warnings only
    environ = dict(os.environ)
    settings = Settings.from_environment(environ)
    remaining_ms = context.get_remaining_time_in_millis()
    invocation = Invocation(
        request_id=context.aws_request_id,
        payload=b"",
        deadline_ms=int(time.time() * 1000) + remaining_ms,
        trace_id=environ.get(TRACE_VARIABLE),
        # AWS's client gives a tenant's invocation a `tenant_id` (older ones have none).
        tenant_id=getattr(context, "tenant_id", None) or None,
    )
    verdict = build_runner(settings, environ, private_tmp=True).handle_event(event, invocation)
    tenant_id = invocation.tenant_id
    if isinstance(verdict, Failure):
        document = error_document(verdict, invocation.request_id, tenant_id)
        raise FAILURES[verdict.error_type](verdict.message, document.to_dict(encode_json=False))
    return result_document(verdict, tenant_id).to_dict(encode_json=False)
