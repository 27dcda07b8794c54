"""App: one setting read from the environment: a number, a byte count or a switch.

Every error names the variable and the value it had, and says what to give instead: the
person reading it is editing a function's configuration, not this code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..domain.errors import ConfigurationError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def number_setting(environ: Mapping[str, str], name: str, default: float, unit: str) -> float:
    """The variable `name` as a number of `unit`, 0 or more; `default` when it is unset."""
    text = environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigurationError(
            f"{name}={text!r} is not valid: give a number of {unit}, 0 or more "
            f"(the default is {default:g})."
        )
    return value


def byte_count_setting(environ: Mapping[str, str], name: str, default: int) -> int:
    """The variable `name` as a whole number of bytes, 0 or more; `default` when it is unset."""
    text = environ.get(name)
    if text is None:
        return default
    if not text.strip().isdigit():
        raise ConfigurationError(
            f"{name}={text!r} is not valid: give a whole number of bytes, 0 or more "
            f"(the default is {default})."
        )
    return int(text)


def switch_setting(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    """The variable `name` as true or false; `default` when it is unset or blank."""
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ConfigurationError(f"{name}={text!r} is not valid: use true or false.")
