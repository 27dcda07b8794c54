"""Adapter: what the emulator's Runtime API exchanges: events handed out, and how each ended."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ERROR_TYPE = re.compile(r"(Runtime|Function)\.[A-Z][a-zA-Z]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One invocation as the invoker hands it over."""

    request_id: str
    payload: bytes
    function_arn: str
    trace_id: str | None = None
    client_context: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """What `next` gives the runtime: the event and its deadline (Unix time, milliseconds)."""

    event: Event
    deadline_ms: int


@dataclass(frozen=True, slots=True)
class Answered:
    """The runtime answered; `error_type` is None for a response, else the kept error type."""

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
