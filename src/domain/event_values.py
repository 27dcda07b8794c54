"""Domain: the values of an event's fields, each checked and named in what the error says.

Values of `environment` are never repeated in a message: they are often secrets.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import TypeGuard

from .command import os_bytes
from .errors import InvalidEvent


def optional_text(
    event: Mapping[object, object], name: str, *, allow_empty: bool = False
) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f'"{name}" must be a string, not {kind_of(value)}.')
    if not value and not allow_empty:
        raise InvalidEvent(f'"{name}" must not be empty.')
    _check_text(value, f'"{name}"')
    return value


def unknown_field(name: object, fields: Sequence[str], where: str) -> InvalidEvent:
    """The error for a field of `where` (`the event`, `"onDelete"`) that is none of `fields`:
    the closest valid one, if any, and the whole list."""
    shown = repr(name) if isinstance(name, str) else kind_of(name)
    close = difflib.get_close_matches(str(name), fields, n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    return InvalidEvent(
        f"Unknown field {shown} in {where}.{hint} Valid fields are: {', '.join(fields)}."
    )


def flag(event: Mapping[object, object], name: str) -> bool:
    value = event.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidEvent(f'"{name}" must be true or false, not {kind_of(value)}.')
    return value


def text_list(event: Mapping[object, object], name: str) -> tuple[str, ...] | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidEvent(
            f'"{name}" must be a list of strings, not {kind_of(value)}. '
            f'Example: "{name}": ["-l", "/tmp"]'
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidEvent(
                f'"{name}" must be a list of strings, but item {index} is {kind_of(item)}.'
            )
        _check_text(item, f'"{name}" item {index}')
    return tuple(value)


def environment_of(event: Mapping[object, object]) -> dict[str, str]:
    value = event.get("environment")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent(
            f'"environment" must be an object of strings, not {kind_of(value)}. '
            'Example: "environment": {"DB_HOST": "db.example.com"}'
        )
    for key, item in value.items():
        if not isinstance(key, str) or not key or "=" in key or "\0" in key:
            raise InvalidEvent(
                f'"environment" has an invalid variable name {_quote_name(key)}: '
                'a name must be non-empty and contain no "=" and no NUL byte.'
            )
        _check_text(key, f'"environment" variable name {key!r}')
        if not isinstance(item, str):
            raise InvalidEvent(
                f'"environment" variable {key!r} must be a string, not {kind_of(item)}. '
                'Quote numbers and booleans: "PORT": "5432".'
            )
        _check_text(item, f'"environment" variable {key!r}')
    return dict(value)


def ports_of(event: Mapping[object, object]) -> tuple[int, ...]:
    value = event.get("ports")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEvent(
            f'"ports" must be a list of port numbers, not {kind_of(value)}. '
            'Example: "ports": [8080]'
        )
    for index, item in enumerate(value):
        if not _is_integer(item) or not 1 <= item <= 65535:
            raise InvalidEvent(
                f'"ports" item {index} must be a whole number from 1 to 65535, '
                f"not {_describe_number(item)}."
            )
    return tuple(int(item) for item in value)


def timeout_of(event: Mapping[object, object]) -> float | None:
    value = event.get("timeout")
    if value is None:
        return None
    if not _is_number(value):
        raise InvalidEvent(f'"timeout" must be a number of seconds, not {kind_of(value)}.')
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits: no timeout at all, or negative
        seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidEvent(
            f'"timeout" must be a number of seconds greater than 0, not {_describe_number(value)}.'
        )
    return seconds


def _check_text(value: str, where: str) -> None:
    """Text must reach the command unchanged: no NUL byte, no lone surrogate it cannot carry."""
    if "\0" in value:
        raise InvalidEvent(f"{where} contains a NUL byte, which no command line can carry.")
    try:
        os_bytes(value)
    except UnicodeEncodeError as error:
        raise InvalidEvent(
            # The character is not shown: the value may be a secret.
            f"{where} contains a lone surrogate (\\ud800 to \\udfff) at character {error.start}, "
            "which no command can receive. Send text; only \\udc80 to \\udcff may stand alone, "
            "for the raw bytes 0x80 to 0xff."
        ) from None


def _is_integer(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe_number(value: object) -> str:
    return repr(value) if _is_number(value) else kind_of(value)


def _quote_name(key: object) -> str:
    return repr(key) if isinstance(key, str) else kind_of(key)


def kind_of(value: object) -> str:  # noqa: PLR0911 - a lookup table, one return per JSON type
    """Name a JSON value's type the way a person writing JSON thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"
