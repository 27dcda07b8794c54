"""Unit: the chunked framing and error trailers of a streamed response, as bytes on the wire."""

from __future__ import annotations

import base64
import json

from run_command_on_aws_lambda.adapters.runtime_api.chunked import chunk, error_trailers, last_chunk


def test_a_chunk_is_its_size_in_hex_then_the_bytes_each_line_ended_by_crlf() -> None:
    """RFC 9112: `1a\\r\\n` + 26 bytes + `\\r\\n`; a memoryview frames like bytes."""
    data = b"abcdefghijklmnopqrstuvwxyz"
    assert chunk(data) == b"1a\r\n" + data + b"\r\n"
    assert chunk(memoryview(data)[:3]) == b"3\r\nabc\r\n"


def test_empty_data_frames_nothing_since_an_empty_chunk_would_end_the_body() -> None:
    """Writing nothing never ends the stream by accident."""
    assert chunk(b"") == b""


def test_the_last_chunk_without_trailers_is_zero_and_an_empty_line() -> None:
    """Success: `0\\r\\n\\r\\n`."""
    assert last_chunk() == last_chunk({}) == b"0\r\n\r\n"


def test_the_last_chunk_carries_the_trailers_then_an_empty_line() -> None:
    """Failure: each trailer a header line after the zero-length chunk."""
    assert last_chunk({"A": "1", "B": "two"}) == b"0\r\nA: 1\r\nB: two\r\n\r\n"


def test_error_trailers_name_the_function_error_and_carry_the_body_as_standard_base64() -> None:
    """`Function.<errorType>`, and the error body JSON in the standard, padded alphabet."""
    body = json.dumps({"errorType": "CommandFailed", "errorMessage": "?>?>?"}).encode()
    trailers = error_trailers("CommandFailed", body)
    assert trailers["Lambda-Runtime-Function-Error-Type"] == "Function.CommandFailed"
    encoded = trailers["Lambda-Runtime-Function-Error-Body"]
    assert base64.b64decode(encoded, validate=True) == body
    assert "-" not in encoded
    assert "_" not in encoded
