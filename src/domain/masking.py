"""Domain: mask secret values in a stream of output bytes, even when split across reads."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = b"***"
_SECRET_WORDS = frozenset({"PASSWORD", "SECRET", "TOKEN", "KEY"})


def is_secret_name(name: str) -> bool:
    """Whether a variable's name marks its value as secret.

    PASSWORD, SECRET, TOKEN or KEY as a whole `_`-separated word, in any case:
    `DB_PASSWORD` and `api_key` are secret, `MONKEY` is not.
    """
    return any(word.upper() in _SECRET_WORDS for word in name.split("_"))


def secret_values(environment: Mapping[str, str]) -> tuple[bytes, ...]:
    """The non-empty values of the secret-named variables, longest first, as UTF-8."""
    values = {
        value.encode() for name, value in environment.items() if value and is_secret_name(name)
    }
    return tuple(sorted(values, key=len, reverse=True))


class Masker:
    """Replaces each secret value with `***` in a byte stream fed in arbitrary chunks.

    Holds back at most the longest value's length minus one byte: only what could still be
    the start of a secret. Feed every chunk through `feed`, then `flush` at the end.
    """

    def __init__(self, values: Iterable[bytes]) -> None:
        self._values = tuple(sorted({v for v in values if v}, key=len, reverse=True))
        self._pattern = re.compile(b"|".join(re.escape(v) for v in self._values))
        self._prefixes = {v[:n] for v in self._values for n in range(1, len(v))}
        self._longest_prefix = max((len(v) - 1 for v in self._values), default=0)
        self._held = b""

    @property
    def active(self) -> bool:
        return bool(self._values)

    def feed(self, chunk: bytes) -> bytes:
        """Mask `chunk` (after what was held back) and return what is safe to emit now."""
        if not self._values:
            return chunk
        data = self._pattern.sub(MASK, self._held + chunk)
        keep = self._pending_prefix(data)
        self._held = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep]

    def flush(self) -> bytes:
        """What was held back, at the end of the stream (it cannot be a whole secret)."""
        held, self._held = self._held, b""
        return held

    def _pending_prefix(self, data: bytes) -> int:
        for size in range(min(self._longest_prefix, len(data)), 0, -1):
            if data[-size:] in self._prefixes:
                return size
        return 0
