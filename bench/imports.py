"""Bench: where start-up time and memory go, module by module (`python -m bench.imports`).

Each line imports some modules in a fresh interpreter, after others it takes as already
paid for, and reports the median wall time and resident-memory growth over `--repeats` runs
(taken in turns, line after line, so that load from elsewhere hits every line alike).
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


def measure_once(python: str, before: str, measured: str) -> tuple[float, float] | None:
    """Seconds and KiB that importing `measured` adds after `before`; None if it fails."""
    code = _PROBE.format(before=f"import {before}" if before else "", measured=measured)
    out = subprocess.run([python, "-c", code], capture_output=True, check=False, text=True)
    if out.returncode != 0:
        return None  # e.g. awslambdaric is not installed here
    took, grew = out.stdout.split()
    return float(took), float(grew)


def start_up_once(python: str) -> float:
    """Seconds for `python -c pass`: the interpreter and `site`, before any import."""
    began = time.perf_counter()
    subprocess.run([python, "-c", "pass"], check=True)
    return time.perf_counter() - began


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--repeats", type=int, default=11, metavar="N")
    options = parser.parse_args(argv)
    python = sys.executable
    starts: list[float] = []
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in STEPS}
    for _ in range(options.repeats):  # round-robin, so that load from elsewhere hits all alike
        starts.append(start_up_once(python))
        for label, before, measured in STEPS:
            sample = measure_once(python, before, measured)
            if sample is not None:
                samples[label].append(sample)
    print("| import | ms | RSS MiB |\n|---|---:|---:|")
    print(f"| interpreter start (`python -c pass`) | {statistics.median(starts) * 1000:.1f} | |")
    for label, values in samples.items():
        if values:
            ms = statistics.median(v[0] for v in values) * 1000
            mib = statistics.median(v[1] for v in values) / 1024
            print(f"| {label} | {ms:.1f} | {mib:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
