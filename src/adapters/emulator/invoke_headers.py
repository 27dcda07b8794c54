"""Adapter: the Invoke API's request headers, checked as Lambda checks them, and its refusal."""

from __future__ import annotations

import base64
import binascii
import json
import re

_TENANT_ID = re.compile(r"[a-zA-Z0-9._:/=+\-@ ]{1,256}")
"""What Lambda accepts as a tenant id."""
TENANT_HEADER = "X-Amz-Tenant-Id"


class RejectedError(Exception):
    """A request the Invoke API refuses: its status, Lambda's error type, and why."""

    def __init__(
        self, status: int, error_type: str, message: str, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.reason = reason


def tenant_id(header: str | None) -> str | None:
    if header is None:
        return None
    if not _TENANT_ID.fullmatch(header):
        message = (
            f"{TENANT_HEADER} {header[:300]!r} is not a tenant id: 1 to 256 letters, digits, "
            "spaces or ._:/=+-@ characters."
        )
        raise RejectedError(400, "InvalidParameterValueException", message)
    return header


def client_context(header: str | None) -> str | None:
    if header is None:
        return None
    try:
        text = base64.b64decode(header, validate=True).decode()
        json.loads(text)
    except (binascii.Error, ValueError):
        message = "Client context must be a valid Base64-encoded JSON object."
        raise RejectedError(400, "InvalidRequestContentException", message) from None
    return text
