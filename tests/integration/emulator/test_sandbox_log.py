"""Integration: sandboxes sharing one output write whole lines, each keeping its own tail."""

from __future__ import annotations

import io

from run_command_on_aws_lambda.adapters.emulator.sandbox_log import HELD_BYTES, SandboxLog


def test_two_sandboxes_writing_pieces_of_lines_never_mix_a_line() -> None:
    """Pieces of lines from two sandboxes come out as whole lines; each tail is its own."""
    out = io.BytesIO()
    first, second = SandboxLog(out, whole_lines=True), SandboxLog(out, whole_lines=True)
    first.write(b"first sa")
    second.write(b"second s")
    first.write(b"ys hello\nfirst is ")
    second.write(b"ays hi\n")
    first.write(b"done\n")
    assert out.getvalue().splitlines() == [
        b"first says hello",
        b"second says hi",
        b"first is done",
    ]
    assert first.tail() == b"first says hello\nfirst is done\n"
    assert second.tail() == b"second says hi\n"


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
