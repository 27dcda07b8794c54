"""Bench: the cold start SnapStart saves our runtime, from the bench's cold-start figure.

`python -m bench.snapstart` starts our runtime `--repeats` times as usual and as many times
with `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start` (interleaved), each against the bench's
Runtime API server, which answers `restore/next` at once, and prints a Markdown table of
medians. Without SnapStart a cold start is the bench's figure: process start to the first
`next` (and to the first response posted for `{"program": "true"}`). With it, Lambda runs
the init once, before the snapshot (process start to `restore/next`); what every restored
copy pays on top of Lambda's own restore is `restore/next` answered to the first `next`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .contenders import Contender, Running
from .runtime_api_server import BenchError

TRUE_EVENT = b'{"program": "true"}'
SNAP_START = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}


def cold_start(contender: Contender, log_path: Path, *, snap_start: bool) -> tuple[int, int, int]:
    """One start: (ns to `restore/next` or 0, ns to the first `next`, ns to the first
    response), each from process start, or from the restore for a SnapStart start."""
    with log_path.open("ab") as log:
        running = Running(contender, log, SNAP_START if snap_start else None)
        try:
            ready = running.wait_ready()
            first = running.serve(TRUE_EVENT, 1)
        finally:
            running.stop()
    if first.errors:
        raise BenchError("the first invocation of `true` was reported as an error")
    posted = first.posted[0] - running.started_ns
    restored = running.server.restore_asked_at
    if not snap_start:
        return 0, ready, posted
    if restored is None:
        raise BenchError("the runtime never asked for the restore")
    before = restored - running.started_ns
    return before, ready - before, posted - before


def median_ms(values: list[int]) -> str:
    return f"{statistics.median(values) / 1e6:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.snapstart", description=__doc__)
    parser.add_argument("--repeats", type=int, default=15, metavar="N")
    options = parser.parse_args(argv)
    ours = Contender(
        "ours", "ours (python -m)", (sys.executable, "-m", "run_command_on_aws_lambda")
    )
    plain: list[tuple[int, int, int]] = []
    snap: list[tuple[int, int, int]] = []
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "runtime.log"
        cold_start(ours, log, snap_start=False)  # untimed: warms the caches
        cold_start(ours, log, snap_start=True)
        for _ in range(options.repeats):
            plain.append(cold_start(ours, log, snap_start=False))
            snap.append(cold_start(ours, log, snap_start=True))
    print(f"Medians of {options.repeats} starts each, in ms.\n")
    print("| | to the first `next` | to the first response posted |")
    print("|---|---|---|")
    print(
        f"| cold start, no SnapStart (from process start) | {median_ms([p[1] for p in plain])} "
        f"| {median_ms([p[2] for p in plain])} |"
    )
    print(
        f"| SnapStart, after the restore (from `restore/next` answered) | "
        f"{median_ms([s[1] for s in snap])} | {median_ms([s[2] for s in snap])} |"
    )
    print(
        f"\nInit before the snapshot (process start to `restore/next`, paid once per "
        f"version): {median_ms([s[0] for s in snap])} ms."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
