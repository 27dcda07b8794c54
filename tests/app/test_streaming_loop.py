"""App: an event with `"stream": true` has its output written to the transport's stream too."""

from __future__ import annotations

from run_command_on_aws_lambda.adapters.fake import FakeStream
from run_command_on_aws_lambda.domain.policy import Failure, Success
from tests.app.conftest import Loop


def streams(loop: Loop) -> list[FakeStream | None]:
    assert loop.transport is not None
    return [report.stream for report in loop.transport.reports]


def test_the_stream_gets_the_masked_output_as_the_log_does(loop: Loop) -> None:
    """The stream is begun and gets what the log gets, secrets masked."""
    event = {
        "program": "sh",
        "arguments": ["-c", 'echo "key=$API_KEY"; echo done >&2'],
        "environment": {"API_KEY": "k-5678"},
        "stream": True,
    }
    (verdict,) = loop.serve(event, streaming=True)
    assert isinstance(verdict, Success)
    (stream,) = streams(loop)
    assert stream is not None
    assert stream.begun
    assert sorted(bytes(stream.data).splitlines()) == [b"done", b"key=***"]
    assert loop.stdout == b"key=***\n"
    assert loop.stderr == b"done\n"


def test_without_stream_true_no_stream_is_opened(loop: Loop) -> None:
    """`stream` absent or false: the outcome is reported as before."""
    loop.serve(
        {"program": "echo", "arguments": ["a"]},
        {"program": "echo", "arguments": ["b"], "stream": False},
        streaming=True,
    )
    assert streams(loop) == [None, None]


def test_a_command_that_never_started_leaves_its_stream_unbegun(loop: Loop) -> None:
    """Not found: nothing streamed, so the transport reports the error as usual."""
    (verdict,) = loop.serve({"program": "no-such-program", "stream": True}, streaming=True)
    assert isinstance(verdict, Failure)
    (stream,) = streams(loop)
    assert stream is not None
    assert not stream.begun
    assert stream.data == b""


def test_a_transport_without_streams_runs_the_event_as_usual(loop: Loop) -> None:
    """Local mode: `"stream": true` changes nothing."""
    (verdict,) = loop.serve({"program": "echo", "arguments": ["hi"], "stream": True})
    assert isinstance(verdict, Success)
    assert loop.stdout == b"hi\n"
    assert streams(loop) == [None]
