"""Domain: one request to run a command, as a transport delivers it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """An event plus the context Lambda sends with it (headers of `invocation/next`).

    `deadline_ms` is the Unix time in milliseconds by which the invocation must be answered;
    `None` means no deadline (local runs). `tenant_id` names the tenant of a function with
    tenant isolation; `invocation_id` is the nonce Lambda wants echoed on the answer.
    """

    request_id: str
    payload: bytes
    deadline_ms: int | None = None
    function_arn: str | None = None
    trace_id: str | None = None
    client_context: str | None = None
    cognito_identity: str | None = None
    tenant_id: str | None = None
    invocation_id: str | None = None
