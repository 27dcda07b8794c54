"""Unit: the event-stream encoder, decoded by botocore's own decoder (the oracle)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from run_command_on_aws_lambda.adapters.emulator.event_stream import (
    event_message,
    invoke_complete,
    payload_chunk,
)


@dataclass(frozen=True)
class Message:
    headers: dict[str, str]
    payload: bytes


def messages_of(buffer: EventStreamBuffer) -> list[Message]:
    """What botocore decoded (through `to_response_dict`: its stubs mistype the attributes)."""
    return [
        Message(response["headers"], response["body"])
        for response in (message.to_response_dict() for message in buffer)
    ]


def decoded(data: bytes) -> list[Message]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return messages_of(buffer)


@pytest.mark.parametrize(
    "data", [b"", b"one line\n", bytes(range(256)) * 4, "π ≠ 3\n".encode(), b"x" * 1_000_000]
)
def test_a_payload_chunk_carries_its_bytes_unchanged(data: bytes) -> None:
    """botocore decodes a PayloadChunk event with the exact bytes, whatever they are."""
    (message,) = decoded(payload_chunk(data))
    assert message.headers == {
        ":message-type": "event",
        ":event-type": "PayloadChunk",
        ":content-type": "application/octet-stream",
    }
    assert message.payload == data


def test_messages_written_back_to_back_decode_one_by_one_even_split_anywhere() -> None:
    """A stream cut at arbitrary points (as TCP delivers it) still decodes to the same events."""
    stream = payload_chunk(b"one\n") + payload_chunk(b"two\n") + invoke_complete()
    buffer = EventStreamBuffer()
    messages: list[Message] = []
    for start in range(0, len(stream), 7):
        buffer.add_data(stream[start : start + 7])
        messages.extend(messages_of(buffer))
    assert [m.headers[":event-type"] for m in messages] == [
        "PayloadChunk",
        "PayloadChunk",
        "InvokeComplete",
    ]
    assert [m.payload for m in messages[:2]] == [b"one\n", b"two\n"]


def test_invoke_complete_is_an_empty_json_object_on_success() -> None:
    """Success: `{}`, as application/json."""
    (message,) = decoded(invoke_complete())
    assert message.headers[":event-type"] == "InvokeComplete"
    assert message.headers[":content-type"] == "application/json"
    assert json.loads(message.payload) == {}


def test_invoke_complete_carries_the_error_and_the_log_tail() -> None:
    """ErrorCode, ErrorDetails as given, LogResult as base64 of the log."""
    details = '{"errorType": "CommandFailed", "exitCode": 3}'
    (message,) = decoded(
        invoke_complete(error_code="Function.CommandFailed", error_details=details, log=b"END\n")
    )
    document = json.loads(message.payload)
    assert document["ErrorCode"] == "Function.CommandFailed"
    assert json.loads(document["ErrorDetails"]) == {"errorType": "CommandFailed", "exitCode": 3}
    assert base64.b64decode(document["LogResult"]) == b"END\n"


def test_a_corrupted_message_fails_botocores_checksum() -> None:
    """The trailing CRC covers the payload: a flipped payload byte is caught."""
    message = bytearray(event_message("PayloadChunk", b"abc", "application/octet-stream"))
    message[-5] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        decoded(bytes(message))
