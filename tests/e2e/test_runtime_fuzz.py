"""End to end, property-based: arbitrary events through the whole Lambda runtime loop.

One console script per test serves every generated case from the fake Runtime API, so a case
that broke the loop would fail all the cases after it. Every case must end in exactly one post
for its own request id (a result, a command's error or a clean `InvalidEvent`, never a
`RuntimeFailure`), and no traceback may reach the runtime's stdout or stderr.

The runtime's PATH holds only harmless programs, so whatever program name is generated either
runs one of them or is `CommandNotFound`. Events are written as Python objects and, to reach the
decoder with what only JSON text can say (lone surrogate escapes, NaN, 1e999), as text.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from run_command_on_aws_lambda.domain.event import EVENT_FIELDS
from tests.fake_runtime_api import FakeRuntimeApi, Post
from tests.hostile_json import event_texts
from tests.runtime_process import RuntimeProcess
from tests.unit.test_event_fuzz import any_character, json_values

BYTES_EXAMPLES = 500
JSON_EXAMPLES = 400
EVENT_EXAMPLES = 500
TEXT_EXAMPLES = 500
HARMLESS_PROGRAMS = ("true", "false", "echo", "printf", "cat", "wc")
COMMAND_ERRORS = {"CommandFailed", "CommandNotFound", "PermissionDenied", "CommandTimedOut"}


def fuzz(examples: int) -> settings:
    """Many examples through one process; a case takes milliseconds, not Hypothesis's budget."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


programs = st.sampled_from(HARMLESS_PROGRAMS) | st.text(any_character, max_size=12)
short_texts = st.text(any_character, max_size=20)
near_events = st.fixed_dictionaries(
    {},
    optional={
        "program": programs | json_values,
        "arguments": st.lists(short_texts, max_size=5) | json_values,
        "environment": st.dictionaries(short_texts, short_texts, max_size=3) | json_values,
        "ports": st.lists(st.integers(-1, 70000), max_size=2) | json_values,
        "timeout": st.floats(allow_nan=True) | st.integers() | json_values,
        "directory": st.sampled_from(["/tmp", ".", "/no/such"]) | st.text(max_size=10),
        "input": st.text(max_size=50) | json_values,
        "stream": st.booleans() | json_values,
    },
) | st.dictionaries(st.sampled_from([*EVENT_FIELDS, "argument", "env", ""]), json_values)
# Request ids Lambda would never send, but the runtime must still answer on their own path.
request_ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


class Loop:
    """The console script serving a fake API; `send` queues one event and returns its post."""

    def __init__(self, api: FakeRuntimeApi, runtime: RuntimeProcess) -> None:
        self.api = api
        self.runtime = runtime
        self._numbers = itertools.count()

    def send(self, event: object, request_id: str = "fuzz") -> Post:
        unique = f"{request_id}-{next(self._numbers)}"
        self.api.enqueue(event, request_id=unique)
        post = self.api.outcome(quote(unique, safe=""))
        assert self.runtime.process.poll() is None, "the runtime died"
        if post.streamed:  # the output as the body; a command's error in the trailers
            assert post.ended
            error_type = post.trailers.get("lambda-runtime-function-error-type", "")
            assert error_type in {"", *(f"Function.{name}" for name in COMMAND_ERRORS)}
            return post
        document = post.document
        if post.kind == "response":
            assert set(document) >= {"program", "exitCode", "output"}, document
        else:
            assert post.kind == "error"
            assert document["requestId"] == unique
            assert document["errorType"] in {"InvalidEvent", *COMMAND_ERRORS}, document
            assert post.error_type_header == f"Function.{document['errorType']}"
            assert document["errorMessage"]
        return post

    def assert_clean_logs(self) -> None:
        """Every case answered exactly once, and nothing the runtime wrote is a traceback."""
        cases = next(self._numbers)
        assert len(self.api.posts) == len(self.api.delivered) == cases
        assert len({post.request_id for post in self.api.posts}) == cases
        for stream in (self.runtime.stdout, self.runtime.stderr):
            assert "Traceback" not in stream
        # Its own lines, not an echoed field name (Hypothesis also tries this module's strings).
        assert not re.search(r"^The runtime (failed|could not)", self.runtime.stderr, re.MULTILINE)


@pytest.fixture
def loop(console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path) -> Iterator[Loop]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in HARMLESS_PROGRAMS:
        found = shutil.which(name)
        assert found, name
        (bin_dir / name).symlink_to(found)
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": str(bin_dir), "HOME": str(work), "LANG": os.environ.get("LANG", "C.UTF-8")}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env, cwd=work) as runtime:
        yield Loop(runtime_api, runtime)


def test_arbitrary_bytes_are_each_answered_and_the_loop_goes_on(loop: Loop) -> None:
    """Random bytes as events: each gets its own outcome, mostly a clean InvalidEvent."""

    @fuzz(BYTES_EXAMPLES)
    @given(st.binary(max_size=2048))
    def case(payload: bytes) -> None:
        loop.send(payload)

    case()
    served = loop.send({"program": "echo", "arguments": ["still serving"]})
    assert served.document["output"] == "still serving\n"
    loop.assert_clean_logs()


def test_arbitrary_json_is_answered_and_the_loop_goes_on(loop: Loop) -> None:
    """Any JSON document: a result or a named mistake, and the next invocation is served."""

    @fuzz(JSON_EXAMPLES)
    @given(json_values)
    def case(value: object) -> None:
        loop.send(json.dumps(value).encode())

    case()
    served = loop.send({"program": "echo", "arguments": ["still serving"]})
    assert served.document["output"] == "still serving\n"
    loop.assert_clean_logs()


def test_events_that_almost_make_sense_run_or_fail_cleanly_under_odd_request_ids(
    loop: Loop,
) -> None:
    """Known fields with arbitrary values, real programs among them, odd request ids."""

    @fuzz(EVENT_EXAMPLES)
    @given(near_events, request_ids)
    def case(event: dict[str, object], request_id: str) -> None:
        post = loop.send(event, request_id)
        if post.kind == "response":
            assert event.get("program") in HARMLESS_PROGRAMS

    case()
    served = loop.send({"program": "echo", "arguments": ["still serving"]})
    assert served.document["output"] == "still serving\n"
    loop.assert_clean_logs()


def test_hostile_json_text_in_every_field_is_answered_and_the_loop_goes_on(loop: Loop) -> None:
    """Lone surrogates, NUL, controls, every escape, NaN, 1e999 in any field: one answer each."""

    @fuzz(TEXT_EXAMPLES)
    @given(event_texts())
    def case(text: str) -> None:
        loop.send(text.encode())

    case()
    served = loop.send({"program": "echo", "arguments": ["still serving"]})
    assert served.document["output"] == "still serving\n"
    loop.assert_clean_logs()
