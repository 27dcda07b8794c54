"""Unit: `--map`'s lines parsed into items and merged into the command line's event."""

from __future__ import annotations

import hashlib

import pytest

from run_command_on_aws_lambda.domain.map_items import (
    MapFileError,
    MapItem,
    check_prefix,
    item_event,
    parse_items,
)

BASE = {"program": "convert", "arguments": ["-quality", "80"], "environment": {"A": "1"}}


def item(fields: dict[str, object], line: int = 1) -> MapItem:
    return MapItem(line=line, digest="d" * 64, fields=fields)


def test_blank_lines_are_skipped_and_line_numbers_stay_physical() -> None:
    """Items carry the line number a text editor shows, blank lines counted."""
    items = parse_items([b'{"a": 1}', b"", b"   \r", b'{"a": 2}\r', b""])
    assert [(found.line, found.fields) for found in items] == [(1, {"a": 1}), (4, {"a": 2})]


def test_the_hash_is_the_lines_content_without_surrounding_whitespace() -> None:
    """The same line hashes alike wherever it stands and however it ends."""
    first, second = parse_items([b'{"a": 1}', b'  {"a": 1}\r'])
    assert first.digest == second.digest == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert parse_items([b'{"a": 2}'])[0].digest != first.digest


def test_a_line_that_is_not_json_is_reported_with_its_number() -> None:
    """The error names the physical line and shows what a line should look like."""
    with pytest.raises(MapFileError, match=r"line 3 of the map file is not valid JSON") as error:
        parse_items([b'{"a": 1}', b"", b'{"a": '])
    assert '{"arguments"' in str(error.value)


@pytest.mark.parametrize(
    ("line", "kind"), [(b"[1, 2]", "array"), (b'"text"', "string"), (b"null", "null")]
)
def test_a_line_that_is_not_an_object_is_reported_with_its_number(line: bytes, kind: str) -> None:
    """A JSON value that is no object is refused, naming its line and kind."""
    with pytest.raises(MapFileError, match=rf"line 2 of the map file is a JSON {kind}, not an"):
        parse_items([b"{}", line])


def test_a_lines_fields_replace_the_events_shallowly() -> None:
    """Arguments and environment of the line replace the command line's wholesale."""
    event = item_event(
        BASE,
        item({"arguments": ["in/1.png", "out/1.jpg"], "environment": {"B": "2"}}),
        stream=False,
    )
    assert event == {
        "program": "convert",
        "arguments": ["in/1.png", "out/1.jpg"],
        "environment": {"B": "2"},
    }
    assert BASE["arguments"] == ["-quality", "80"]  # the base event is left as it was


def test_a_streamed_map_asks_every_item_for_a_streamed_response() -> None:
    """With streaming, each event carries "stream": true."""
    assert item_event(BASE, item({}), stream=True)["stream"] is True
    assert "stream" not in item_event(BASE, item({}), stream=False)


def test_the_idempotency_key_is_the_prefix_and_the_hash_of_the_line() -> None:
    """Each item's idempotencyKey is PREFIX + its line's hash: the same on every run."""
    first, second = parse_items([b'{"arguments": ["1"]}', b'{"arguments": ["2"]}'])
    key = item_event(BASE, first, stream=False, idempotency_prefix="thumbs-")["idempotencyKey"]
    assert key == "thumbs-" + hashlib.sha256(b'{"arguments": ["1"]}').hexdigest()
    other = item_event(BASE, second, stream=False, idempotency_prefix="thumbs-")
    assert other["idempotencyKey"] != key


def test_a_line_with_a_key_of_its_own_is_refused_with_a_prefix() -> None:
    """A line's own idempotencyKey and --idempotency-key conflict: refused, naming the line."""
    with pytest.raises(MapFileError, match=r"line 7 sets \"idempotencyKey\""):
        item_event(
            BASE, item({"idempotencyKey": "k"}, line=7), stream=False, idempotency_prefix="p-"
        )


def test_an_empty_prefix_is_refused() -> None:
    """--idempotency-key '' would give keys that collide across maps: refused."""
    with pytest.raises(MapFileError, match="must not be empty"):
        check_prefix(" ")
    check_prefix("thumbs-")
