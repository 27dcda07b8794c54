"""Domain: the event's `idempotencyKey`: the field's name, and what makes a key usable.

Its own module because the event's validation checks a key even where no guard runs (a bad
key is the first thing to fix), and the guard's records (`idempotency`) build on the event.
"""

from __future__ import annotations

from .errors import InvalidEvent

IDEMPOTENCY_KEY_FIELD = "idempotencyKey"
MAX_KEY_BYTES = 1024  # DynamoDB allows 2048 bytes in a partition key


def check_idempotency_key(key: object) -> str:
    """`key` itself if it can name a run; raises `InvalidEvent` saying what is wrong."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidEvent(
            f'"{IDEMPOTENCY_KEY_FIELD}" must be a non-empty string that names what this run '
            'is for, for example "migrate-4.2".'
        )
    try:
        size = len(key.encode())
    except UnicodeEncodeError:  # not shown: a key may say more than its owner wants logged
        raise InvalidEvent(
            f'"{IDEMPOTENCY_KEY_FIELD}" contains a lone surrogate (\\ud800 to \\udfff), which '
            "no table can store: send text."
        ) from None
    if size > MAX_KEY_BYTES:
        raise InvalidEvent(
            f'"{IDEMPOTENCY_KEY_FIELD}" is longer than {MAX_KEY_BYTES} bytes: use a shorter key.'
        )
    return key
