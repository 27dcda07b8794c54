"""Adapter: HTTP/1.1 chunked framing with trailers (RFC 9112 section 7.1), which neither
urllib3 nor http.client can send, and the error trailers of a streamed Lambda response."""

from __future__ import annotations

import base64
from collections.abc import Mapping

ERROR_TYPE_TRAILER = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY_TRAILER = "Lambda-Runtime-Function-Error-Body"
STREAM_HEADERS = {
    "Lambda-Runtime-Function-Response-Mode": "streaming",
    "Transfer-Encoding": "chunked",
    "Content-Type": "application/octet-stream",
    "Trailer": f"{ERROR_TYPE_TRAILER}, {ERROR_BODY_TRAILER}",
}


def chunk(data: bytes | memoryview) -> bytes:
    """One chunk: its size in hex, CRLF, the bytes, CRLF. Empty data frames nothing (an empty
    chunk would end the body)."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), bytes(data))


def last_chunk(trailers: Mapping[str, str] | None = None) -> bytes:
    """The zero-length chunk that ends the body, with its trailer fields, then the empty line."""
    fields = b"".join(
        f"{name}: {value}\r\n".encode("latin-1") for name, value in (trailers or {}).items()
    )
    return b"0\r\n" + fields + b"\r\n"


def error_trailers(error_type: str, body: bytes) -> dict[str, str]:
    """The trailers of a failed streamed response: `Function.<errorType>` and the error body
    as base64 (standard alphabet, padded), as Lambda reads them."""
    return {
        ERROR_TYPE_TRAILER: f"Function.{error_type}",
        ERROR_BODY_TRAILER: base64.b64encode(body).decode("ascii"),
    }
