"""Domain: `--map`'s items: JSON Lines parsed and merged into the command line's event.

An item is a line of the map file: its physical line number, a hash of its content, and the
fields that replace those of the command line's event (a shallow merge). Everything here is
checked before anything is invoked, so that a bad line stops the map before it starts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import RunCommandError

IDEMPOTENCY_KEY_FIELD = "idempotencyKey"
"""The event field the function's idempotency guard reads."""


class MapFileError(RunCommandError):
    """The map file cannot be used; the message names the line and how to fix it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MapItem:
    """One line of the map file: its number (from 1), its content's hash, and its fields."""

    line: int
    digest: str
    """SHA-256 of the line without its surrounding whitespace, in hex: what the item is."""
    fields: Mapping[str, object]


def parse_items(lines: Iterable[bytes]) -> list[MapItem]:
    """The items of the JSON Lines in `lines`; blank lines are skipped, numbers stay physical.

    Raises `MapFileError` naming the first line that is not a JSON object.
    """
    items = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as error:
            reason = getattr(error, "msg", None) or type(error).__name__
            raise MapFileError(
                f"line {number} of the map file is not valid JSON ({reason}): give one JSON "
                'object a line, such as {"arguments": ["in/1.png", "out/1.jpg"]}.'
            ) from None
        if not isinstance(value, dict):
            raise MapFileError(
                f"line {number} of the map file is a JSON {_kind(value)}, not an object: give "
                'one JSON object a line, such as {"arguments": ["in/1.png", "out/1.jpg"]}.'
            )
        items.append(MapItem(line=number, digest=hashlib.sha256(text).hexdigest(), fields=value))
    return items


def item_event(
    base: Mapping[str, object],
    item: MapItem,
    *,
    stream: bool,
    idempotency_prefix: str | None = None,
) -> dict[str, object]:
    """The event of `item`: its fields replace the base event's (a shallow merge).

    With `stream`, the event asks for a streamed response. With `idempotency_prefix`, its
    `idempotencyKey` is the prefix and the item's hash, the same for the same line on every
    run; a line that sets a key of its own is refused, rather than silently overridden.
    """
    event = {**base, **item.fields}
    if stream:
        event["stream"] = True
    if idempotency_prefix is not None:
        if IDEMPOTENCY_KEY_FIELD in item.fields:
            raise MapFileError(
                f'line {item.line} sets "{IDEMPOTENCY_KEY_FIELD}" and --idempotency-key gives '
                "every item its key: remove one of them."
            )
        event[IDEMPOTENCY_KEY_FIELD] = idempotency_key(idempotency_prefix, item)
    return event


def idempotency_key(prefix: str, item: MapItem) -> str:
    """PREFIX + the hash of the item's line: a rerun of the same line gets the same key."""
    return prefix + item.digest


def check_prefix(prefix: str) -> None:
    """An empty prefix would make keys that collide with other maps' keys: refused."""
    if not prefix.strip():
        raise MapFileError(
            "--idempotency-key must not be empty: name what this map is for, such as "
            "thumbnails-2024-06-."
        )


def _kind(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
