"""Bench: our runtime against the peer (awslambdaric) and the floor, side by side.

`python -m bench.peers` (or `make bench`) prints a Markdown table. Every contender is a real
process talking to its own instance of the same local Runtime API server; the phases are
interleaved (a block for each contender in turn), so that load from elsewhere on the machine
hits every contender alike.

1. cold start, `--cold-repeats` times: process start to the first `next`, and to the first
   response posted for `{"program": "true"}` (after one untimed start that warms the caches);
2. idle: resident memory and open fds while waiting for the first event;
3. warm-up (`--warm-up` invocations), then the soak: `--soak` invocations of
   `{"program": "true"}` in blocks of `--block`; the per-invocation time is the median of the
   block medians, with the p99 over all; memory and fds are read after warm-up and after soak;
4. `--big` invocations that each print 1 MiB (`cat` of a file), in blocks of `--block-big`.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .contenders import Contender, Running, all_contenders
from .report import Figures, render
from .runtime_api_server import BenchError

TRUE_EVENT = b'{"program": "true"}'
MIB = 1024 * 1024


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cold-repeats", type=int, default=15, metavar="N")
    parser.add_argument("--warm-up", type=int, default=100, metavar="N")
    parser.add_argument("--soak", type=int, default=10_000, metavar="N")
    parser.add_argument("--block", type=int, default=500, metavar="N")
    parser.add_argument("--big", type=int, default=60, metavar="N")
    parser.add_argument("--block-big", type=int, default=20, metavar="N")
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also run the build of ours installed for PYTHON (to measure a change)",
    )
    parser.add_argument(
        "--only",
        metavar="KEY,...",
        help="run only these contenders (floor, peer, ours, standalone)",
    )
    return parser.parse_args(argv)


class Bench:
    """Runs the phases over the contenders still standing; a contender that fails drops out."""

    def __init__(self, contenders: list[Contender], scratch: Path) -> None:
        self.figures = {
            contender.key: Figures(contender.key, contender.label) for contender in contenders
        }
        self.contenders = contenders
        self.logs = {c.key: open(scratch / f"{c.key}.log", "w+b") for c in contenders}  # noqa: SIM115
        self.running: dict[str, Running] = {}

    def close(self) -> None:
        for running in self.running.values():
            running.stop()
        for log in self.logs.values():
            log.close()

    def alive(self) -> list[Contender]:
        return [c for c in self.contenders if self.figures[c.key].failure is None]

    def guarded(self, contender: Contender, step: Callable[[], None]) -> None:
        try:
            step()
        except (BenchError, OSError) as error:
            self.fail(contender, str(error))

    def fail(self, contender: Contender, reason: str) -> None:
        log = self.logs[contender.key]
        log.seek(0)
        tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
        self.figures[contender.key].failure = reason
        print(f"{contender.key} failed: {reason}", *tail, sep="\n    ", file=sys.stderr)
        running = self.running.pop(contender.key, None)
        if running is not None:
            running.stop()

    def cold_start(self, contender: Contender, *, record: bool) -> None:
        running = Running(contender, self.logs[contender.key])
        self.running[contender.key] = running
        ready = running.wait_ready()
        first = running.serve(TRUE_EVENT, 1)
        self.running.pop(contender.key).stop()
        if first.errors:
            raise BenchError("the first invocation of `true` was reported as an error")
        if record:
            figures = self.figures[contender.key]
            figures.cold_next.append(ready)
            figures.cold_first.append(first.posted[0] - running.started_ns)

    def start(self, contender: Contender) -> None:
        running = Running(contender, self.logs[contender.key])
        self.running[contender.key] = running
        running.wait_ready()
        figures = self.figures[contender.key]
        figures.rss_idle, figures.fds_idle = running.rss_kib(), running.open_fds()

    def invoke(self, contender: Contender, payload: bytes, count: int, into: list[int]) -> None:
        result = self.running[contender.key].serve(payload, count)
        into.extend(result.invocation_ns())
        self.figures[contender.key].errors += result.errors

    def phase(self, title: str, step: Callable[[Contender], None], rounds: int = 1) -> None:
        began = time.monotonic()
        for _ in range(rounds):
            for contender in self.alive():
                self.guarded(contender, functools.partial(step, contender))
        print(f"{title}: {time.monotonic() - began:.1f} s", file=sys.stderr)


def run(options: argparse.Namespace, bench: Bench, big_event: bytes) -> None:
    bench.phase("warming caches", lambda c: bench.cold_start(c, record=False))
    bench.phase(
        "cold starts", lambda c: bench.cold_start(c, record=True), rounds=options.cold_repeats
    )
    bench.phase("starting", bench.start)
    discard: list[int] = []
    bench.phase("warm-up", lambda c: bench.invoke(c, TRUE_EVENT, options.warm_up, discard))
    bench.phase("after warm-up", lambda c: measure(bench, c, "warm"))

    def soak_block(contender: Contender) -> None:
        timings: list[int] = []
        bench.invoke(contender, TRUE_EVENT, options.block, timings)
        bench.figures[contender.key].add_block(timings)

    blocks = max(1, options.soak // options.block)
    bench.phase(f"soak ({blocks} x {options.block})", soak_block, rounds=blocks)
    bench.phase("after soak", lambda c: measure(bench, c, "soak"))
    blocks_big = max(1, options.big // options.block_big)

    def big_block(contender: Contender) -> None:
        bench.invoke(contender, big_event, options.block_big, bench.figures[contender.key].big)

    bench.phase(f"1 MiB of output ({blocks_big} x {options.block_big})", big_block, blocks_big)


def measure(bench: Bench, contender: Contender, when: str) -> None:
    running = bench.running[contender.key]
    figures = bench.figures[contender.key]
    rss, fds = running.rss_kib(), running.open_fds()
    if when == "warm":
        figures.rss_warm, figures.fds_warm = rss, fds
    else:
        figures.rss_soak, figures.fds_soak = rss, fds


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    contenders = all_contenders(baseline=options.baseline)
    if options.only:
        keys = options.only.split(",")
        contenders = [c for c in contenders if c.key in keys]
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        scratch = Path(directory)
        big_file = scratch / "one-mebibyte.txt"
        big_file.write_bytes((b"x" * 127 + b"\n") * (MIB // 128))
        big_event = json.dumps({"program": "cat", "arguments": [str(big_file)]}).encode()
        bench = Bench(contenders, scratch)
        try:
            run(options, bench, big_event)
        finally:
            bench.close()
    print(render(list(bench.figures.values()), options, time.monotonic() - began))
    return 0 if all(f.failure is None for f in bench.figures.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
