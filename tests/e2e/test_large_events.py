"""End to end: events at and beyond the limits, through the console script as a Lambda runtime.

Each case is served by one runtime process, one after another: a case that broke the loop
would leave the ones after it unanswered.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fake_runtime_api import FakeRuntimeApi
from tests.runtime_process import RuntimeProcess

EVENT_LIMIT = 6 * 1024 * 1024  # Lambda's limit on a synchronous invocation's payload
COUNT_ARGUMENTS = ["-c", 'echo "$# ${1-} ${100000-}"', "sh"]


def event_of_size(size: int) -> bytes:
    """`wc -c` over an input that makes the JSON event exactly `size` bytes long."""
    shell = b'{"program": "wc", "arguments": ["-c"], "input": "'
    end = b'"}'
    return shell + b"x" * (size - len(shell) - len(end)) + end


def nested(depth: int, opening: str, closing: str) -> str:
    return opening * depth + closing * depth


CASES: list[tuple[str, bytes, str | None, str]] = [
    # (what, event, errorType or None, the output or a part of the errorMessage)
    (
        "a 6 MiB event",
        event_of_size(EVENT_LIMIT),
        None,
        f"{EVENT_LIMIT - len(event_of_size(0))}\n",
    ),
    (
        "100,000 arguments",
        json.dumps(
            {"program": "sh", "arguments": COUNT_ARGUMENTS + [f"a{n}" for n in range(1, 100_001)]}
        ).encode(),
        None,
        "100000 a1 a100000\n",
    ),
    (
        "6 MiB of arguments, three times ARG_MAX",
        json.dumps({"program": "sh", "arguments": ["y" * 98] * 60_000}).encode(),
        "InvalidEvent",
        "60000 arguments and ",
    ),
    (
        "one argument of 1 MiB",
        json.dumps({"program": "sh", "arguments": ["z" * 1024 * 1024]}).encode(),
        "InvalidEvent",
        "one of them is 1048576 bytes, over Linux's limit of 131072 for each",
    ),
    (
        "one variable of 1 MiB",
        json.dumps({"program": "true", "environment": {"BIG": "v" * 1024 * 1024}}).encode(),
        "InvalidEvent",
        "one of them is 1048580 bytes",
    ),
    (
        "arguments nested 100,000 deep",
        f'{{"program": "true", "arguments": {nested(100_000, "[", "]")}}}'.encode(),
        "InvalidEvent",
        "The event is nested too deeply to be a command.",
    ),
    (
        "an environment nested 100,000 deep",
        b'{"program": "true", "environment": ' + nested(100_000, '{"a": ', "}").encode() + b"}",
        "InvalidEvent",
        "The event is nested too deeply to be a command.",
    ),
    (
        "a list nested 500 deep, within what JSON parsers accept",
        f'{{"program": "true", "arguments": {nested(500, "[", "]")}}}'.encode(),
        "InvalidEvent",
        '"arguments" must be a list of strings, but item 0 is a list.',
    ),
    (
        "a variable name with '='",
        json.dumps({"program": "true", "environment": {"A=B": "c"}}).encode(),
        "InvalidEvent",
        "\"environment\" has an invalid variable name 'A=B'",
    ),
    (
        "an empty variable name",
        json.dumps({"program": "true", "environment": {"": "c"}}).encode(),
        "InvalidEvent",
        "\"environment\" has an invalid variable name ''",
    ),
    (
        "a variable name with a NUL byte",
        json.dumps({"program": "true", "environment": {"A\0B": "c"}}).encode(),
        "InvalidEvent",
        "\"environment\" has an invalid variable name 'A\\x00B'",
    ),
    ("the next invocation after all of them", b'{"program": "echo"}', None, "\n"),
]


def test_events_at_and_beyond_the_limits_get_a_clear_answer_and_the_loop_goes_on(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A 6 MiB event runs; too many, too long or too deep is a clear InvalidEvent, not a crash."""
    ids = [runtime_api.enqueue(event) for _, event, _, _ in CASES]
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        posts = [runtime_api.outcome(request_id, timeout=120) for request_id in ids]
        runtime_api.wait_until_polling()
    for post, (what, _, error_type, expected) in zip(posts, CASES, strict=True):
        document = post.document
        assert document.get("errorType") == error_type, (what, document)
        if error_type is None:
            assert document["output"] == expected, what
        else:
            assert expected in str(document["errorMessage"]), (what, document)
    assert [post.request_id for post in runtime_api.posts] == ids
    assert "Traceback" not in runtime.stderr
