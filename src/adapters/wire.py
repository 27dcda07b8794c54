"""Adapter: the JSON wire format of events, result bodies and error bodies.

Events are parsed here and validated strictly by the domain (dataclasses-json would coerce
`"arguments": "abc"` into `["a", "b", "c"]`). Result and error bodies are dataclasses-json
documents (`documents.py`), loaded on first use: dataclasses-json costs about 25 ms of start-up
and 7 MiB, which the local transport and the way to the first `invocation/next` do not pay.
"""

from __future__ import annotations

import json

from ..domain.errors import InvalidEvent
from ..domain.policy import Success, Verdict


def decode_event(payload: bytes) -> object:
    """Parse an event; empty input counts as `{}`. Raises `InvalidEvent` for what is not JSON."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidEvent(
            f"The event is not valid UTF-8 (byte {error.start}). Send a JSON object."
        ) from None
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidEvent(
            f"The event is not valid JSON: {error.msg} "
            f"at line {error.lineno} column {error.colno}. "
            'Send a JSON object such as {"program": "id"}.'
        ) from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise InvalidEvent(f"The event is not valid JSON: {error}.") from None
    except RecursionError:
        raise InvalidEvent("The event is nested too deeply to be a command.") from None


def encode_verdict(
    verdict: Verdict, *, request_id: str | None = None, tenant_id: str | None = None
) -> bytes:
    """The body to report: a result document on success, an error document on failure.

    `tenantId` is in either when the invocation has a tenant.
    """
    from . import documents  # noqa: PLC0415 - loaded on first use, see the module docstring

    if isinstance(verdict, Success):
        return documents.encode_document(documents.result_document(verdict, tenant_id))
    return documents.encode_document(documents.error_document(verdict, request_id, tenant_id))


def encode_error(error_type: str, message: str) -> bytes:
    """An error body that is not about a command: an init error of the runtime itself."""
    from . import documents  # noqa: PLC0415 - loaded on first use, see the module docstring

    document = documents.ErrorDocument(error_type=error_type, error_message=message, stack_trace=[])
    return documents.encode_document(document)
