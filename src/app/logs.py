"""App: the runtime's own log lines. Plain text by default, one JSON object per line on demand."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from typing import TextIO

LOGGER_NAME = "run_command_on_aws_lambda"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("requestId", default=None)
_tenant_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenantId", default=None)


@contextlib.contextmanager
def request_context(request_id: str, tenant_id: str | None = None) -> Iterator[None]:
    """Tag the runtime's log lines with `request_id` (and the tenant's id, if any) while an
    invocation is handled."""
    token = _request_id.set(request_id)
    tenant_token = _tenant_id.set(tenant_id)
    try:
        yield
    finally:
        _tenant_id.reset(tenant_token)
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds the current invocation's request id (or `None` between invocations) to records,
    and its tenant's id when it has one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.requestId = _request_id.get()
        record.tenantId = _tenant_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """Lambda's JSON log format: `timestamp`, `level`, `message`, `requestId`, and `tenantId`
    for an invocation that has a tenant."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "requestId": getattr(record, "requestId", None),
        }
        if tenant_id := getattr(record, "tenantId", None):
            document["tenantId"] = tenant_id
        if record.exc_info:
            document["stackTrace"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(document, ensure_ascii=False)


class TaggedTextFormatter(logging.Formatter):
    """The text format with commands running at once: a line prefixed with its request id."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "requestId", None)
        message = super().format(record)
        return message if request_id is None else f"{request_id} {message}"


def tag_request_ids(logger: logging.Logger) -> None:
    """In the text format, prefix each line of an invocation with its request id (the JSON
    format has it already): several invocations' lines then never read as one's."""
    for handler in logger.handlers:
        if not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(TaggedTextFormatter("%(message)s"))
            handler.addFilter(RequestIdFilter())


def configure_logging(environ: Mapping[str, str], stream: TextIO | None = None) -> logging.Logger:
    """Send the runtime's lines to `stream` (stderr by default), honouring Lambda's settings."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    if environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        level = environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper()
        level = "DEBUG" if level == "TRACE" else level  # Lambda's lowest level; Python has none
        logger.setLevel(level if level in logging.getLevelNamesMapping() else logging.INFO)
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.setLevel(logging.INFO)
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger
