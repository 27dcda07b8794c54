"""App: how `--map` shows one item's output: a block under a header, or every line tagged."""

from __future__ import annotations


def item_block(line: int, status: int, error_type: str | None, output: bytes, tag: bool) -> bytes:
    """The item's output as written at its end, in one piece.

    Without `tag`: a header naming the item (its line number) and its status, then the
    output. With `tag`: no header; every line of the output starts with `line N` and a tab,
    so that `grep`, `sort` and `cut` can tell the items apart.
    """
    if output and not output.endswith(b"\n"):
        output += b"\n"
    if tag:
        prefix = f"line {line}\t".encode()
        return (
            b"".join(prefix + piece + b"\n" for piece in output[:-1].split(b"\n"))
            if output
            else b""
        )
    return header(line, status, error_type).encode() + output


def header(line: int, status: int, error_type: str | None) -> str:
    if status == 0:
        return f"=== line {line}: succeeded ===\n"
    kind = f" ({error_type})" if error_type else ""
    return f"=== line {line}: failed, exit status {status}{kind} ===\n"
