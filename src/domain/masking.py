"""Domain: mask secret values in a stream of output bytes, even when split across reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .command import os_bytes

MASK = b"***"
_SECRET_WORDS = frozenset({"PASSWORD", "SECRET", "TOKEN", "KEY"})


def is_secret_name(name: str) -> bool:
    """Whether a variable's name marks its value as secret.

    PASSWORD, SECRET, TOKEN or KEY as a whole `_`-separated word, in any case:
    `DB_PASSWORD` and `api_key` are secret, `MONKEY` is not.
    """
    return any(word.upper() in _SECRET_WORDS for word in name.split("_"))


def secret_values(environment: Mapping[str, str]) -> tuple[bytes, ...]:
    """The non-empty values of the secret-named variables, longest first, as bytes (`os_bytes`)."""
    values = {
        os_bytes(value) for name, value in environment.items() if value and is_secret_name(name)
    }
    return tuple(sorted(values, key=len, reverse=True))


def mask_text(text: str, values: Iterable[bytes]) -> str:
    """`text` with each secret value replaced by `***` (a log line, say)."""
    masker = Masker(values)
    if not masker.active:
        return text
    data = os_bytes(text)
    return (masker.feed(data) + masker.flush()).decode("utf-8", "surrogateescape")


class Masker:
    """Replaces each secret value with `***` in a byte stream fed in arbitrary chunks.

    Holds back at most the longest value's length minus one byte: only what could still be
    the start of a secret. Feed every chunk through `feed`, then `flush` at the end. Where
    values overlap, the leftmost wins, and the longest of those starting there.
    """

    def __init__(self, values: Iterable[bytes]) -> None:
        self._values = tuple(sorted({v for v in values if v}, key=len, reverse=True))
        self._held = b""

    @property
    def active(self) -> bool:
        return bool(self._values)

    def feed(self, chunk: bytes | memoryview) -> bytes:
        """Mask `chunk` (after what was held back) and return what is safe to emit now."""
        if not self._values:
            return bytes(chunk)
        data = self._mask(self._held + chunk)
        keep = self._pending_prefix(data)
        self._held = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep]

    def flush(self) -> bytes:
        """What was held back, at the end of the stream (it cannot be a whole secret)."""
        held, self._held = self._held, b""
        return held

    def _mask(self, data: bytes) -> bytes:
        # bytes.find per value, not one regular expression of alternatives: that one is
        # tried at every position, some 20 times slower.
        found = [data.find(value) for value in self._values]
        if max(found) < 0:
            return data
        pieces: list[bytes] = []
        position = 0
        while True:
            starts = [(at, index) for index, at in enumerate(found) if at >= 0]
            if not starts:
                break
            at, index = min(starts)  # leftmost; then the lowest index, the longest value
            pieces += (data[position:at], MASK)
            position = at + len(self._values[index])
            found = [
                data.find(value, position) if 0 <= found[i] < position else found[i]
                for i, value in enumerate(self._values)
            ]
        pieces.append(data[position:])
        return b"".join(pieces)

    def _pending_prefix(self, data: bytes) -> int:
        """The length of the longest end of `data` that is the start of a value (not all of it)."""
        longest = 0
        for value in self._values:
            start = max(len(data) - len(value) + 1, 0)  # the earliest start is the longest end
            while 0 <= (start := data.find(value[:1], start)) < len(data) - longest:
                if value.startswith(data[start:]):
                    longest = len(data) - start
                    break
                start += 1
        return longest
