"""Adapter: how the C library's malloc keeps memory, for a runtime with many threads.

glibc gives threads arenas of their own (up to eight per core), each keeping its own freed
memory, and raises its mmap threshold to the largest block freed (here the 1 MiB read
buffers of chatty commands), after which such blocks fragment the heap instead of going back
to the system. With a worker thread per slot, the resident memory then crept up with the
number of invocations (measured at 16 slots: +1.3 MB over 6,000 with the arenas, +1.8 MB over
9,000 with the threshold); one arena, a fixed threshold, and the free pages given back when
the runtime is idle keep it flat. The interpreter lock already serializes most allocations,
so one arena costs no speed.
"""

from __future__ import annotations

from collections.abc import Callable

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's default, kept fixed


def steady_malloc() -> Callable[[], None]:
    """One arena, blocks of 128 KiB and more mapped apart; returns `trim`, which gives the
    heap's free pages back to the system (for when the runtime is idle). Where the C library
    is not glibc (musl), nothing is changed and `trim` does nothing."""
    import ctypes  # noqa: PLC0415 - only a runtime with concurrent workers needs it

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_ARENA_MAX, 1)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        malloc_trim = libc.malloc_trim
    except (OSError, AttributeError):
        return lambda: None

    def trim() -> None:
        malloc_trim(0)

    return trim
