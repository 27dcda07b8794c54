"""Integration: sandboxes sharing one output write whole lines, each keeping its own tail, and
invocations sharing one sandbox each keep their own tail."""

from __future__ import annotations

import io
import json

from run_command_on_aws_lambda.adapters.emulator.sandbox_log import HELD_BYTES, SandboxLog


def test_two_sandboxes_writing_pieces_of_lines_never_mix_a_line() -> None:
    """Pieces of lines from two sandboxes come out as whole lines; each tail is its own."""
    out = io.BytesIO()
    first, second = SandboxLog(out, whole_lines=True), SandboxLog(out, whole_lines=True)
    first_tail, second_tail = first.begin("req-1", "START 1"), second.begin("req-2", "START 2")
    first.write(b"first sa")
    second.write(b"second s")
    first.write(b"ys hello\nfirst is ")
    second.write(b"ays hi\n")
    first.write(b"done\n")
    assert out.getvalue().splitlines() == [
        b"START 1",
        b"START 2",
        b"first says hello",
        b"second says hi",
        b"first is done",
    ]
    assert first.end(first_tail) == b"START 1\nfirst says hello\nfirst is done\n"
    assert second.end(second_tail) == b"START 2\nsecond says hi\n"


def test_an_unfinished_line_is_ended_by_the_next_platform_line() -> None:
    """A command's last line without a newline comes out before END, as a line of its own."""
    out = io.BytesIO()
    log = SandboxLog(out, whole_lines=True)
    log.write(b"no newline")
    assert out.getvalue() == b""
    log.line("END RequestId: r")
    assert out.getvalue() == b"no newline\nEND RequestId: r\n"


def test_a_line_without_end_is_let_out_past_the_limit() -> None:
    """An endless line (progress dots) is written anyway once it outgrows what is held."""
    out = io.BytesIO()
    log = SandboxLog(out, whole_lines=True)
    log.write(b"." * (HELD_BYTES + 1))
    assert out.getvalue() == b"." * (HELD_BYTES + 1)


def test_a_single_sandbox_log_forwards_pieces_at_once() -> None:
    """Without whole_lines (one sandbox), output is forwarded as it comes, as before."""
    out = io.BytesIO()
    SandboxLog(out).write(b"partial")
    assert out.getvalue() == b"partial"


def record(request_id: str, message: str) -> bytes:
    """A line of the runtime's JSON log, as it writes it on Managed Instances."""
    return json.dumps({"level": "INFO", "message": message, "requestId": request_id}).encode()


def test_invocations_running_at_once_each_keep_their_own_lines() -> None:
    """Each tail holds its own START to REPORT and the records of its request id only; a
    line naming no request goes to both; everything is forwarded."""
    out = io.BytesIO()
    log = SandboxLog(out)
    first = log.begin("req-1", "START RequestId: req-1")
    second = log.begin("req-2", "START RequestId: req-2")
    two = record("req-2", "two")
    log.write(record("req-1", "one") + b"\n" + two[:20])  # pieces, not lines
    log.write(two[20:] + b"\nruntime start-up\n")
    log.line("REPORT RequestId: req-1", first)
    first_log = log.end(first)
    log.write(record("req-2", "three") + b"\n")
    log.line("REPORT RequestId: req-2", second)
    assert first_log.splitlines() == [
        b"START RequestId: req-1",
        record("req-1", "one"),
        b"runtime start-up",
        b"REPORT RequestId: req-1",
    ]
    assert log.end(second).splitlines() == [
        b"START RequestId: req-2",
        record("req-2", "two"),
        b"runtime start-up",
        record("req-2", "three"),
        b"REPORT RequestId: req-2",
    ]
    assert len(out.getvalue().splitlines()) == 8


def test_one_invocation_keeps_all_the_runtimes_output_byte_for_byte() -> None:
    """As on an on-demand sandbox (an unfinished line is ended before the platform's next);
    what came before it is not its own."""
    log = SandboxLog(None)
    log.write(b"before\n")
    tail = log.begin("req-1", "START RequestId: req-1")
    log.write(b"no request id, no newline")
    log.line("END RequestId: req-1", tail)
    assert log.end(tail) == (
        b"START RequestId: req-1\nno request id, no newline\nEND RequestId: req-1\n"
    )
