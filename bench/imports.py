"""Bench: where start-up time and memory go, module by module (`python -m bench.imports`).

Each line imports some modules in a fresh interpreter, after others it takes as already
paid for, and reports the median wall time and resident-memory growth over `--repeats` runs.
The process start itself (interpreter and `site`) is the first line. This is the "why" behind
the cold-start and idle-RSS rows of `bench.peers`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

CLI = "run_command_on_aws_lambda.app.cli"
LAMBDA = "run_command_on_aws_lambda.app.lambda_runtime"
# (label, modules already imported, modules measured)
STEPS = (
    ("dataclasses (our domain's value objects)", "", "dataclasses"),
    ("our CLI and domain, all modes", "", CLI),
    ("argparse (the CLI)", "", "argparse"),
    ("subprocess + selectors (the executor)", "", "subprocess, selectors"),
    ("urllib3, after our CLI", CLI, "urllib3"),
    ("  its http.client, after our CLI", CLI, "http.client"),
    ("  its ssl, after our CLI", CLI, "ssl"),
    ("  its importlib.metadata (HTTP/2 module), after our CLI", CLI, "importlib.metadata"),
    ("our Lambda mode (urllib3 included), after our CLI", CLI, LAMBDA),
    ("ctypes (child subreaper), after Lambda mode", LAMBDA, "ctypes"),
    ("floor: http.client + json", "", "http.client, json"),
    ("peer: awslambdaric.bootstrap", "", "awslambdaric.bootstrap"),
)

_PROBE = """
import time
{before}
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
memory, began = rss(), time.perf_counter()
import {measured}
print(time.perf_counter() - began, rss() - memory)
"""


def measure(python: str, before: str, measured: str, repeats: int) -> tuple[float, float]:
    """Median seconds and KiB that importing `measured` adds after `before`."""
    code = _PROBE.format(before=f"import {before}" if before else "", measured=measured)
    seconds, kib = [], []
    for _ in range(repeats):
        out = subprocess.run([python, "-c", code], capture_output=True, check=True, text=True)
        took, grew = out.stdout.split()
        seconds.append(float(took))
        kib.append(float(grew))
    return statistics.median(seconds), statistics.median(kib)


def start_up(python: str, repeats: int) -> float:
    """Median seconds for `python -c pass`: the interpreter and `site`, before any import."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--repeats", type=int, default=7, metavar="N")
    options = parser.parse_args(argv)
    python = sys.executable
    rows: list[tuple[str, float, float | None]] = [
        ("interpreter start (`python -c pass`)", start_up(python, options.repeats) * 1000, None)
    ]
    for label, before, measured in STEPS:
        try:
            seconds, kib = measure(python, before, measured, options.repeats)
        except subprocess.CalledProcessError:
            continue  # e.g. awslambdaric is not installed here
        rows.append((label, seconds * 1000, kib / 1024))
    print("| import | ms | RSS MiB |\n|---|---:|---:|")
    for label, ms, mib in rows:
        print(f"| {label} | {ms:.1f} | {'' if mib is None else f'{mib:+.1f}'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
