"""Integration: the benchmark's Runtime API server with a real runtime process (the floor).

These check that `make bench` measures what it says (every event answered, errors counted,
a dying runtime reported rather than waited for); they time nothing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator

import pytest

from bench.contenders import Contender, Running, all_contenders
from bench.managed import Started, peers
from bench.report import Figures, render
from bench.runtime_api_server import BenchError, RuntimeApiServer


@pytest.fixture
def floor() -> Iterator[Running]:
    contender = next(c for c in all_contenders() if c.key == "floor")
    with tempfile.TemporaryFile() as log:
        running = Running(contender, log)
        try:
            yield running
        finally:
            running.stop()


def test_every_event_is_handed_over_and_answered_in_order(floor: Running) -> None:
    """A round returns once the runtime answered all its events and asked for the next."""
    assert floor.wait_ready() > 0
    round_ = floor.serve(b'{"program": "true"}', 5)
    assert len(round_.sent) == len(round_.posted) == len(round_.ready) == 5
    assert round_.errors == 0
    assert all(ns > 0 for ns in round_.invocation_ns())
    assert all(s < p < r for s, p, r in zip(round_.sent, round_.posted, round_.ready, strict=True))


def test_failed_commands_are_counted_as_errors(floor: Running) -> None:
    """An outcome posted to `…/error` counts as an error of the round."""
    floor.wait_ready()
    assert floor.serve(b'{"program": "false"}', 3).errors == 3


def test_memory_and_fds_of_the_runtime_are_read(floor: Running) -> None:
    """RSS and open fds come from /proc for the runtime's process tree."""
    floor.wait_ready()
    assert floor.rss_kib() > 1024
    assert floor.open_fds() >= 4  # stdin, stdout, stderr and the API connection


def test_a_runtime_that_exits_ends_the_round_with_an_error() -> None:
    """The server does not wait for a runtime that is gone."""
    gone = Contender("gone", "gone", ("sh", "-c", "exit 3"))
    with tempfile.TemporaryFile() as log:
        running = Running(gone, log)
        try:
            with pytest.raises(BenchError, match="exited"):
                running.wait_ready()
        finally:
            running.stop()


def test_a_runtime_that_never_asks_stalls_the_round_with_an_error() -> None:
    """A round without progress ends after the stall timeout, not never."""
    with RuntimeApiServer(stall_timeout=0.2) as server:
        read_end, write_end = os.pipe()
        try:
            with pytest.raises(BenchError, match="no progress"):
                server.serve(b"{}", 1, process=read_end)
        finally:
            os.close(read_end)
            os.close(write_end)


def test_the_table_has_a_column_per_contender_and_ratios_to_floor_and_peer() -> None:
    """The report names each contender and gives ours as multiples of the floor and the peer."""
    figures = [Figures("floor", "floor"), Figures("peer", "peer"), Figures("ours", "ours")]
    for f, ms in zip(figures, (1.0, 2.0, 4.0), strict=True):
        f.add_block([int(ms * 1_000_000)] * 3)
    options = argparse.Namespace(cold_repeats=1, soak=3, block=3, warm_up=0, big=0)
    table = render(figures, options, elapsed=1.0)
    warm = next(line for line in table.splitlines() if "per invocation, median" in line)
    assert warm.endswith("| 1.00 | 2.00 (2.00x floor) | 4.00 (4.00x floor, 2.00x peer) |")
    assert "ours: warm per invocation <= peer: 2.00x - MISSED by 100%" in table


def test_the_managed_instances_bench_runs_every_slot_of_our_runtime_at_once() -> None:
    """At 4 slots, all four workers park on `next`, and 8 queued sleeps are all answered."""
    ours = next(peer for peer in peers() if peer.key == "ours")
    started = Started(ours, 4)
    try:
        assert started.idle_rss_kib() > 1024
        per_second, errors = started.throughput(8)
    finally:
        started.stop()
    assert errors == 0
    assert per_second > 0
