"""Bench: Lambda Managed Instances: ours against awslambdaric, each in its own concurrent mode.

`python -m bench.managed` (also the last section of `make bench`) starts each runtime with
`AWS_LAMBDA_MAX_CONCURRENCY` set, against a Runtime API that serves many `next` at once
(`managed_server.py`), and prints a Markdown table:

1. idle RSS of the whole process tree at 1 and at 16 slots, once every worker waits on `next`
   (awslambdaric forks one process per slot; ours keeps one process, a thread per slot);
2. invocations per second for 64 invocations of `sleep 0.2` at 16 slots, all queued at once
   (the best of `--repeats` rounds: at least 0.8 s, four waves of 16).

Goals: ours at 16 slots <= 1.3x ours at 1 and <= 0.25x the peer's at 16; throughput >= 0.9x
the peer's.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .contenders import BENCH_DIR, lambda_environment, tree_rss_kib
from .managed_server import ConcurrentRuntimeApi

SLEEP_EVENT = b'{"program": "sleep", "arguments": ["0.2"]}'
SETTLE = 0.5  # seconds after every worker parked, before memory is read


@dataclass(frozen=True, slots=True)
class Peer:
    key: str
    label: str
    argv: tuple[str, ...]


def peers(python: str = sys.executable) -> list[Peer]:
    return [
        Peer(
            "peer",
            "peer (awslambdaric, a process per slot)",
            (python, "-m", "awslambdaric", "peer_handler.handler"),
        ),
        Peer(
            "ours",
            "ours (python -m, a thread per slot)",
            (python, "-m", "run_command_on_aws_lambda"),
        ),
    ]


@dataclass(slots=True)
class Measured:
    rss_kib: dict[int, int] = field(default_factory=dict)
    per_second: list[float] = field(default_factory=list)
    errors: int = 0


class Started:
    """One runtime with `slots` workers, against its own concurrent Runtime API."""

    def __init__(self, peer: Peer, slots: int) -> None:
        self.api = ConcurrentRuntimeApi()
        environment = lambda_environment(
            self.api.address,
            memory_mb=2048,
            AWS_LAMBDA_MAX_CONCURRENCY=str(slots),
            AWS_LAMBDA_LOG_FORMAT="JSON",
        )
        self.process = subprocess.Popen(
            peer.argv,
            env=environment,
            cwd=BENCH_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # awslambdaric's workers are stopped with it
        )
        self.slots = slots

    def idle_rss_kib(self) -> int:
        self.api.wait(f"{self.slots} workers on next", lambda: self.api.waiting >= self.slots)
        time.sleep(SETTLE)
        return tree_rss_kib(self.process.pid)

    def throughput(self, count: int) -> tuple[float, int]:
        """Invocations per second for `count` events queued at once, and the errors."""
        api = self.api
        self.idle_rss_kib()
        first = len(api.answered)
        began = time.monotonic_ns()
        for _ in range(count):
            api.events.put(SLEEP_EVENT)
        api.wait(f"{count} answers", lambda: len(api.answered) >= first + count)
        answers = api.answered[first : first + count]
        seconds = (max(at for at, _ in answers) - began) / 1e9
        return count / seconds, sum(kind == "error" for _, kind in answers)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(3)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.api.close()


def measure(peer: Peer, options: argparse.Namespace, into: Measured) -> None:
    for slots in (1, options.slots):
        started = Started(peer, slots)
        try:
            into.rss_kib[slots] = started.idle_rss_kib()
        finally:
            started.stop()
    started = Started(peer, options.slots)
    try:
        for _ in range(options.repeats):
            per_second, errors = started.throughput(options.invocations)
            into.per_second.append(per_second)
            into.errors += errors
    finally:
        started.stop()


def render(measured: dict[str, Measured], labels: dict[str, str], slots: int, count: int) -> str:
    peer, ours = measured.get("peer"), measured.get("ours")

    def ratio(mine: float, other: float | None) -> str:
        return "" if other is None or not other else f" ({mine / other:.2f}x peer)"

    rows = [
        "## Lambda Managed Instances",
        "",
        "| | " + " | ".join(labels[key] for key in measured) + " |",
        "|---|" + "---:|" * len(measured),
    ]
    for wanted in (1, slots):
        cells = []
        for key, figures in measured.items():
            mib = figures.rss_kib[wanted] / 1024
            other = None if key == "peer" or peer is None else peer.rss_kib[wanted] / 1024
            cells.append(f"{mib:.1f}{ratio(mib, other)}")
        rows.append(
            f"| idle RSS, process tree, {wanted} slot{'s' * (wanted > 1)} (MiB) | "
            + " | ".join(cells)
            + " |"
        )
    cells = []
    for key, figures in measured.items():
        best = max(figures.per_second)
        other = None if key == "peer" or peer is None else max(peer.per_second)
        cells.append(f"{best:.1f}{ratio(best, other)}")
    rows.append(
        f"| {count} x `sleep 0.2` at {slots} slots (invocations/s, best round) | "
        + " | ".join(cells)
        + " |"
    )
    rows.append("| errors | " + " | ".join(str(f.errors) for f in measured.values()) + " |")
    if ours is not None:
        rows += ["", *goals(ours, peer, slots)]
    return "\n".join(rows)


def goals(ours: Measured, peer: Measured | None, slots: int) -> list[str]:
    def verdict(met: bool) -> str:
        return "met" if met else "missed"

    growth = ours.rss_kib[slots] / ours.rss_kib[1]
    lines = [f"- ours at {slots} slots <= 1.3x ours at 1: {verdict(growth <= 1.3)} ({growth:.2f}x)"]
    if peer is not None:
        memory = ours.rss_kib[slots] / peer.rss_kib[slots]
        speed = max(ours.per_second) / max(peer.per_second)
        lines.append(
            f"- ours at {slots} slots <= 0.25x the peer's: "
            f"{verdict(memory <= 0.25)} ({memory:.2f}x)"
        )
        lines.append(f"- throughput >= 0.9x the peer's: {verdict(speed >= 0.9)} ({speed:.2f}x)")
    return lines


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.managed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--slots", type=int, default=16, metavar="N")
    parser.add_argument("--invocations", type=int, default=64, metavar="N")
    parser.add_argument("--repeats", type=int, default=3, metavar="N")
    parser.add_argument("--only", metavar="KEY,...", help="run only these (peer, ours)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    chosen = [p for p in peers() if not options.only or p.key in options.only.split(",")]
    measured = {peer.key: Measured() for peer in chosen}
    for peer in chosen:
        print(f"managed instances: {peer.key}", file=sys.stderr)
        measure(peer, options, measured[peer.key])
    labels = {peer.key: peer.label for peer in chosen}
    print(render(measured, labels, options.slots, options.invocations))
    return 0 if all(m.errors == 0 for m in measured.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
