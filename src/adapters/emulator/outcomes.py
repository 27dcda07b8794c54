"""Adapter: what the emulator's Runtime API exchanges: events handed out, and how each ended."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

_ERROR_TYPE = re.compile(r"(Runtime|Function)\.[A-Z][a-zA-Z]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One invocation as the invoker hands it over."""

    request_id: str
    payload: bytes
    function_arn: str
    trace_id: str | None = None
    client_context: str | None = None
    tenant_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """What `next` gives the runtime: the event, its deadline (Unix time, milliseconds) and
    the invocation id its answer must carry (if it carries one)."""

    event: Event
    deadline_ms: int
    invocation_id: str | None = None


@dataclass(slots=True)
class ResponseStream:
    """A streamed response under way: its size so far, and what is kept of it for the invoker."""

    request_id: str
    invocation_id: str | None = None
    size: int = 0
    kept: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True, slots=True)
class Answered:
    """The runtime answered; `error_type` is None for a response, else the kept error type.

    `body` is what the invoker was not handed yet: empty after a response streamed to it.
    """

    body: bytes
    error_type: str | None = None


@dataclass(frozen=True, slots=True)
class InitFailed:
    """The runtime reported `init/error` instead of asking for the event."""

    body: bytes
    error_type: str


@dataclass(frozen=True, slots=True)
class Exited:
    """The runtime's process ended without answering; `status` as `Popen.returncode`."""

    status: int


@dataclass(frozen=True, slots=True)
class TimedOut:
    """No answer in time: `during_init` when the runtime never asked for the event."""

    seconds: float
    during_init: bool


Outcome = Answered | InitFailed | Exited | TimedOut


def kept_error_type(header: str | None, fallback: str) -> str:
    """Lambda keeps only `Runtime.Xxx` / `Function.Xxx` error types; others become `fallback`."""
    if header is not None and _ERROR_TYPE.fullmatch(header):
        return header
    return fallback


def streamed_error(error_type: str | None, error_body: str | None) -> Answered:
    """A streamed response that ended in failure: its trailers, the body decoded from base64."""
    kept = kept_error_type(error_type, "Function.Unknown")
    try:
        body = base64.b64decode(error_body or "", validate=True)
    except binascii.Error:
        body = b""
    if not body:
        message = "The streamed response failed; its error body is missing or not base64."
        body = json.dumps({"errorMessage": message, "errorType": kept}).encode()
    return Answered(body, kept)
