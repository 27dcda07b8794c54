"""Domain: what a streamed response carries of a command's output, and what it says it left out.

Lambda caps a streamed response (200 MB) and throttles it after the first 6 MB; the command and
its log must never wait for the stream. So the stream takes what fits (under the limit, and in
the room its buffer has left) and counts the rest, which its closing note then reports.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_STREAM_LIMIT = 200_000_000  # Lambda's 200 MB, in the smaller reading of "MB"
NOTE_ROOM = 256  # bytes of the limit kept for the closing note, which is always shorter
NOTE_PREFIX = b"[run-command-on-aws-lambda: "


@dataclass(slots=True)
class StreamBudget:
    """Counts the bytes of one stream: streamed, and dropped over the limit or for slowness.

    `limit` bounds the whole body, the note included: output past `limit - NOTE_ROOM` bytes is
    not streamed.
    """

    limit: int
    streamed: int = 0
    over_limit: int = 0
    too_slow: int = 0

    def admit(self, size: int, room: int) -> int:
        """How many of the next `size` bytes to stream, with `room` bytes free in the buffer.

        The rest is counted as dropped: over the limit first, then for want of room.
        """
        allowed = min(size, max(0, self.limit - NOTE_ROOM - self.streamed))
        taken = min(allowed, max(0, room))
        self.over_limit += size - allowed
        self.too_slow += allowed - taken
        self.streamed += taken
        return taken

    def unsent(self, count: int) -> None:
        """`count` bytes admitted earlier could not be sent after all (the stream was too slow)."""
        self.streamed -= count
        self.too_slow += count

    @property
    def dropped(self) -> int:
        return self.over_limit + self.too_slow

    def note(self, *, after_newline: bool = True) -> bytes:
        """The line that ends the stream when output was left out (else nothing).

        Without `after_newline` (the last byte streamed was not one), it starts a line of its own.
        """
        if not self.dropped:
            return b""
        reasons = []
        if self.over_limit:
            reasons.append((self.over_limit, f"over the stream limit of {self.limit} bytes"))
        if self.too_slow:
            reasons.append((self.too_slow, "while the stream could not keep up"))
        if len(reasons) == 1:
            why = reasons[0][1]
        else:
            why = ", ".join(f"{count} {reason}" for count, reason in reasons)
        count = (
            "1 byte of output was" if self.dropped == 1 else f"{self.dropped} bytes of output were"
        )
        text = f"{count} not streamed ({why}); the function's log has all of it]\n"
        return (b"" if after_newline else b"\n") + NOTE_PREFIX + text.encode()
