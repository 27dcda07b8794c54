"""Bench: where our warm per-invocation time goes, one part at a time (`python -m bench.ladder`).

From the floor's loop to our runtime in rungs (`bench/rungs.py`), each adding one of our parts;
all run side by side against the same Runtime API server, interleaved block by block like
`bench.peers`. The step from one rung to the next is what that part costs per invocation.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .contenders import BENCH_DIR, Contender
from .peers import TRUE_EVENT, Bench

RUNGS = (
    ("http.client", "the floor's loop: http.client, posix_spawn"),
    ("urllib3", "+ our Runtime API client (urllib3, lean urlopen)"),
    ("popen", "+ the child started by subprocess.Popen"),
    ("executor", "+ our executor (supervision loop) and wire format"),
    ("loop", "+ our serving loop (validation, environment, logs)"),
)


def contenders(python: str = sys.executable) -> list[Contender]:
    rungs = [
        Contender(key, label, (python, str(BENCH_DIR / "rungs.py"), key)) for key, label in RUNGS
    ]
    ours = (python, "-m", "run_command_on_aws_lambda")
    return [*rungs, Contender("ours", "= ours: python -m run_command_on_aws_lambda", ours)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ladder", description=__doc__)
    parser.add_argument("--blocks", type=int, default=6, metavar="N")
    parser.add_argument("--block", type=int, default=500, metavar="N")
    options = parser.parse_args(argv)
    ladder = contenders()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        bench = Bench(ladder, Path(scratch))
        try:
            bench.phase("starting", bench.start)
            bench.phase("warm-up", lambda c: bench.invoke(c, TRUE_EVENT, 100, []))

            def block(contender: Contender) -> None:
                timings: list[int] = []
                bench.invoke(contender, TRUE_EVENT, options.block, timings)
                bench.figures[contender.key].add_block(timings)

            bench.phase("blocks", functools.partial(block), rounds=options.blocks)
        finally:
            bench.close()
    print("| rung | per invocation, median (ms) | step (us) |\n|---|---:|---:|")
    previous = None
    for contender in ladder:
        figures = bench.figures[contender.key]
        if figures.failure is not None:
            print(f"| {contender.label} | failed | |")
            continue
        median = statistics.median(figures.block_medians) / 1_000_000
        step = "" if previous is None else f"{(median - previous) * 1000:+.0f}"
        print(f"| {contender.label} | {median:.3f} | {step} |")
        previous = median
    return 0


if __name__ == "__main__":
    sys.exit(main())
