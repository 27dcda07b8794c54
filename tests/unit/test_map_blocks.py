"""Unit: how `--map` shows an item's output: under a header, or every line tagged."""

from __future__ import annotations

from run_command_on_aws_lambda.app.client.map_blocks import item_block


def test_a_block_has_a_header_naming_the_line_and_its_status() -> None:
    """Succeeded and failed items are told apart in the header."""
    assert item_block(3, 0, None, b"one\ntwo\n", tag=False) == (
        b"=== line 3: succeeded ===\none\ntwo\n"
    )
    assert item_block(5, 3, "CommandFailed", b"oops", tag=False) == (
        b"=== line 5: failed, exit status 3 (CommandFailed) ===\noops\n"
    )


def test_tagged_output_starts_every_line_with_its_item() -> None:
    """--tag: no header, each line prefixed with `line N` and a tab, a last line ended."""
    assert item_block(7, 0, None, b"a\n\nb", tag=True) == b"line 7\ta\nline 7\t\nline 7\tb\n"
    assert item_block(7, 0, None, b"", tag=True) == b""
