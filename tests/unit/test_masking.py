"""Unit: secret values are masked in streamed output, however the stream is cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from run_command_on_aws_lambda.domain.masking import (
    Masker,
    is_secret_name,
    mask_text,
    secret_values,
)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("api_key", True),
        ("GITHUB_TOKEN", True),
        ("Secret", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("MONKEY", False),
        ("KEYBOARD_LAYOUT", False),
        ("PASSWORDLESS", False),
        ("DB_HOST", False),
    ],
)
def test_secret_names_are_those_with_a_whole_secret_word(name: str, secret: bool) -> None:
    """PASSWORD, SECRET, TOKEN or KEY as a whole `_`-separated word, any case."""
    assert is_secret_name(name) is secret


def test_only_non_empty_values_of_secret_names_are_masked() -> None:
    """Empty values would match everywhere; ordinary variables are not secret."""
    values = secret_values({"DB_PASSWORD": "hunter2", "API_KEY": "", "DB_HOST": "db"})
    assert values == (b"hunter2",)


def feed_all(masker: Masker, chunks: list[bytes]) -> bytes:
    return b"".join(masker.feed(chunk) for chunk in chunks) + masker.flush()


def test_a_secret_split_across_two_reads_is_still_masked() -> None:
    """The start of a possible secret is held back until the next read decides."""
    masker = Masker([b"hunter2"])
    assert masker.feed(b"pass=hun") == b"pass="
    assert masker.feed(b"ter2 ok\n") == b"*** ok\n"


def test_no_more_than_the_longest_value_minus_one_byte_is_held_back() -> None:
    """Output is delayed only while it could still become a secret."""
    masker = Masker([b"abcdef", b"xy"])
    assert masker.feed(b"123abcde") == b"123"
    assert masker.flush() == b"abcde"
    assert masker.feed(b"zzz") == b"zzz"


def test_without_secrets_nothing_is_held_back() -> None:
    """Masking costs nothing when it is not active."""
    masker = Masker([])
    assert not masker.active
    assert masker.feed(b"abc") == b"abc"


@settings(max_examples=300, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=12).filter(lambda v: b"*" not in v),
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=6),
)
def test_any_cut_of_the_stream_masks_the_same_as_one_read(
    secret: bytes, before: bytes, after: bytes, cuts: list[int]
) -> None:
    """However the output is split into reads, the secret never gets through whole."""
    stream = before + secret + after
    points = sorted({min(cut, len(stream)) for cut in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    masked = feed_all(Masker([secret]), chunks)
    assert masked == feed_all(Masker([secret]), [stream])
    assert secret not in masked


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.binary(min_size=1, max_size=6).filter(lambda v: b"*" not in v), min_size=1, max_size=4
    ),
    stream=st.binary(max_size=80),
)
def test_several_values_are_masked_leftmost_first_and_longest_first(
    values: list[bytes], stream: bytes
) -> None:
    """Overlapping values: the one starting first wins, and of those the longest."""
    longest_first = sorted(set(values), key=len, reverse=True)
    expected = re.sub(b"|".join(re.escape(v) for v in longest_first), b"***", stream)
    assert feed_all(Masker(values), [stream]) == expected


def test_mask_text_hides_each_value_in_a_log_line_and_keeps_the_rest() -> None:
    """A line that spells out a secret shows `***` in its place, and is otherwise unchanged."""
    line = "Running sh -c 'test \"$PW\" = s3cr3t && echo s3cr3t-é'."
    assert mask_text(line, [b"s3cr3t"]) == "Running sh -c 'test \"$PW\" = *** && echo ***-é'."
    assert mask_text(line, []) == line
