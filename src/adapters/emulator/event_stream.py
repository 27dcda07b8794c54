"""Adapter: AWS's event-stream framing, the body of an `InvokeWithResponseStream` answer.

Each message: a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes, all
big-endian u32), the headers, the payload, and a CRC32 of everything before it. Headers are
typed; only strings (type 7: u16 length, UTF-8) are needed here.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib

PAYLOAD_CHUNK = "PayloadChunk"
INVOKE_COMPLETE = "InvokeComplete"
CONTENT_TYPE = "application/vnd.amazon.eventstream"
"""The HTTP Content-Type of a body made of these messages."""

_STRING = 7
_PRELUDE = struct.Struct(">II")


def event_message(event_type: str, payload: bytes, content_type: str) -> bytes:
    """One `:message-type: event` message of `event_type` carrying `payload`."""
    headers = b"".join(
        _string_header(name, value)
        for name, value in (
            (":event-type", event_type),
            (":content-type", content_type),
            (":message-type", "event"),
        )
    )
    prelude = _PRELUDE.pack(12 + len(headers) + len(payload) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def payload_chunk(data: bytes) -> bytes:
    """A `PayloadChunk` event: a piece of the function's response, raw bytes."""
    return event_message(PAYLOAD_CHUNK, data, "application/octet-stream")


def invoke_complete(
    *, error_code: str | None = None, error_details: str | None = None, log: bytes | None = None
) -> bytes:
    """The final `InvokeComplete` event: `{}` on success; the error and log tail when given."""
    document: dict[str, str] = {}
    if error_code is not None:
        document["ErrorCode"] = error_code
    if error_details is not None:
        document["ErrorDetails"] = error_details
    if log is not None:
        document["LogResult"] = base64.b64encode(log).decode()
    return event_message(INVOKE_COMPLETE, json.dumps(document).encode(), "application/json")


def _string_header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(encoded_name))
        + encoded_name
        + struct.pack(">BH", _STRING, len(encoded_value))
        + encoded_value
    )
