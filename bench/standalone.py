"""Cold start and idle memory: the standalone build versus `python -m run_command_on_aws_lambda`.

    make standalone && .venv/bin/python -m bench.standalone [--runs 5] [--build DIR]

Cold start is the time from starting the process to its first `GET .../invocation/next`
against a tiny Runtime API on 127.0.0.1 (which registers the runtime's extension and then
leaves every long poll open, as Lambda does between invocations). Idle memory is the resident
set of the runtime and its descendants half a second later. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
NAME = "run-command-on-aws-lambda"
NEXT_INVOCATION = "/2018-06-01/runtime/invocation/next"
REGISTER_EXTENSION = "/2020-01-01/extension/register"
SETTLE_SECONDS = 0.5
PATIENCE_SECONDS = 30.0


class TinyRuntimeApi(ThreadingHTTPServer):
    """Notes when the first `invocation/next` arrives; never hands out an invocation."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.first_next = threading.Event()
        self.first_next_at = 0.0
        self.released = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: TinyRuntimeApi

    def do_GET(self) -> None:
        if self.path == NEXT_INVOCATION and not self.server.first_next.is_set():
            self.server.first_next_at = time.perf_counter()
            self.server.first_next.set()
        self.server.released.wait()  # a long poll that lasts until the run is over
        with contextlib.suppress(OSError):  # the runtime is gone by now
            self._answer(500, b'{"errorMessage": "the benchmark is over"}')

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == REGISTER_EXTENSION:
            self._answer(200, b"{}", {"Lambda-Extension-Identifier": "bench-extension"})
        else:
            self._answer(202, b'{"status": "OK"}')

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def measure(argv: Sequence[str]) -> tuple[float, int]:
    """One cold start of `argv`: seconds to the first `next`, and idle RSS in KiB."""
    server = TinyRuntimeApi()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": server.address,
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=environment, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        give_up = time.monotonic() + PATIENCE_SECONDS
        while not server.first_next.wait(0.05):
            if process.poll() is not None or time.monotonic() > give_up:
                raise SystemExit(
                    f"{argv[0]} never asked for an invocation (exit status {process.poll()}): "
                    "does it speak the Runtime API?"
                )
        cold_start = server.first_next_at - started
        time.sleep(SETTLE_SECONDS)
        return cold_start, resident_kib(process.pid)
    finally:
        process.kill()
        process.wait()
        server.released.set()
        server.shutdown()
        server.server_close()


def resident_kib(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in KiB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        pending.extend(int(child) for child in children)
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.standalone", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="cold starts of each (default 5)")
    parser.add_argument(
        "--build",
        type=Path,
        default=REPOSITORY / "dist" / NAME,
        help="the standalone build directory (default: dist/run-command-on-aws-lambda)",
    )
    arguments = parser.parse_args(argv)
    executable = arguments.build / NAME
    if not executable.is_file():
        print(f"No standalone build at {arguments.build}: run `make standalone`.", file=sys.stderr)
        return 2
    contenders = {
        "standalone build": [str(executable)],
        "python -m run_command_on_aws_lambda": [sys.executable, "-m", "run_command_on_aws_lambda"],
    }
    print(f"{'':38} {'cold start (median, min)':>26} {'idle RSS (median)':>18}")
    for label, command in contenders.items():
        runs = [measure(command) for _ in range(arguments.runs)]
        starts = [start * 1000 for start, _ in runs]
        rss = statistics.median(kib for _, kib in runs) / 1024
        print(
            f"{label:38} {statistics.median(starts):>15.0f} ms, {min(starts):>4.0f} ms"
            f" {rss:>14.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
