"""Benchmark: what resolving `{{resolve:...}}` references costs, against a local moto server.

Run from the project's root with the venv's Python: `.venv/bin/python -m bench.secrets`.
Starts moto's server (the test extra's `moto_server`) as a process of its own on 127.0.0.1,
then prints two tables of figures measured in this run (about 30 seconds):

- the resolution alone, in process, with the connection pool warm (as from the second
  invocation of a sandbox on): medians and 90th percentiles for 0 to 3 references;
- a whole local run of the console script (`{"program": "true"}`), each time a fresh process
  (imports, first connection, fetch): without a reference, and with one.

Against AWS itself, add the network's round trip to Secrets Manager or SSM in the region
(a few milliseconds) per distinct secret or parameter. Figures, not assertions.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from run_command_on_aws_lambda.app.references import build_store
from run_command_on_aws_lambda.domain.resolution import resolve

REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
IN_PROCESS_ROUNDS = 200
PROCESS_ROUNDS = 15
SCRIPT = "run-command-on-aws-lambda"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server as a process of its own; its endpoint once it answers."""
    program = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    assert program, "moto_server is not installed: `make .venv/.installed` (the test extra)"
    port = free_port()
    server = subprocess.Popen(
        [program, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{endpoint}/moto-api/")
        yield endpoint
    finally:
        server.terminate()
        server.wait()


STUB = """
import http.server, json, sys
BODY = json.dumps({"SecretString": json.dumps({"user": "u", "pw": "p"})}).encode()
class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Answer).serve_forever()
"""


@contextmanager
def stub_server() -> Iterator[str]:
    """A server that answers every call with one SecretString at once: the client's own cost."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", STUB, str(port)])
    try:
        wait_for(f"http://127.0.0.1:{port}/", method="POST")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def wait_for(url: str, method: str = "GET") -> None:
    give_up = time.monotonic() + 30
    while True:
        try:
            data = b"{}" if method == "POST" else None
            request = urllib.request.Request(url, data=data)  # noqa: S310 - 127.0.0.1 only
            urllib.request.urlopen(request, timeout=1).close()  # noqa: S310
            return
        except OSError:
            assert time.monotonic() < give_up, f"{url} did not answer"
            time.sleep(0.1)


def environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
        "AWS_ENDPOINT_URL_SSM": endpoint,
        "AWS_REGION": REGION,
        **CREDENTIALS,
    }


def fill(endpoint: str) -> None:
    """A JSON secret and a SecureString parameter, created with boto3 (the test extra's)."""
    import boto3  # noqa: PLC0415 - the bench's own setup, never the runtime's

    options: dict[str, str] = {"endpoint_url": endpoint, "region_name": REGION}
    options.update(aws_access_key_id="bench", aws_secret_access_key="bench")  # noqa: S106
    secrets = boto3.client("secretsmanager", **options)  # type: ignore[call-overload]
    secrets.create_secret(Name="bench/db", SecretString=json.dumps({"user": "u", "pw": "p"}))
    ssm = boto3.client("ssm", **options)  # type: ignore[call-overload]
    ssm.put_parameter(Name="/bench/host", Value="db.internal", Type="SecureString")


CASES: dict[str, dict[str, str]] = {
    "no reference": {"A": "plain"},
    "1 reference (Secrets Manager, a JSON key)": {
        "PW": "{{resolve:secretsmanager:bench/db:SecretString:pw}}"
    },
    "1 reference (SSM SecureString)": {"HOST": "{{resolve:ssm-secure:/bench/host}}"},
    "3 references to 1 secret (1 call)": {
        "URL": "{{resolve:secretsmanager:bench/db:SecretString:user}}:"
        "{{resolve:secretsmanager:bench/db:SecretString:pw}}",
        "PW": "{{resolve:secretsmanager:bench/db:SecretString:pw}}",
    },
    "2 references, 2 sources (2 calls)": {
        "PW": "{{resolve:secretsmanager:bench/db:SecretString:pw}}",
        "HOST": "{{resolve:ssm-secure:/bench/host}}",
    },
}


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"median {statistics.median(samples) * 1000:8.3f} ms   p90 {p90 * 1000:8.3f} ms"


def print_in_process(env: Mapping[str, str]) -> None:
    print(f"Resolution in process, warm connection ({IN_PROCESS_ROUNDS} rounds each)")
    store = build_store(env)
    for name, variables in CASES.items():
        resolve(variables, store)  # the first connection
        samples = timed(functools.partial(resolve, variables, store), IN_PROCESS_ROUNDS)
        print(f"  {name:45} {figures(samples)}")


def print_whole_runs(env: Mapping[str, str]) -> None:
    script = shutil.which(SCRIPT, path=os.path.dirname(sys.executable))
    assert script, f"{SCRIPT} is not installed beside {sys.executable}"
    rounds = PROCESS_ROUNDS
    print(f'Whole local runs of {{"program": "true"}}, a fresh process each ({rounds}, in turns)')
    child = {**os.environ, **env}
    names = ("no reference", "1 reference (Secrets Manager, a JSON key)")
    events = {name: json.dumps({"program": "true", "environment": CASES[name]}) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds + 1):  # in turns, so that a busy moment weighs on both alike
        for name in names:
            started = time.perf_counter()
            command = [script, "--event", events[name]]
            subprocess.run(command, env=child, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - started)
    for name in names:
        print(f"  {name:45} {figures(samples[name][1:])}")  # the first: a cold page cache


def print_client_floor() -> None:
    """The same call against a server that does nothing: what is the client's, not moto's."""
    with stub_server() as endpoint:
        store = build_store(environment(endpoint))
        variables = CASES["1 reference (Secrets Manager, a JSON key)"]
        resolve(variables, store)
        samples = timed(functools.partial(resolve, variables, store), IN_PROCESS_ROUNDS)
        print(f"  {'1 reference, a server that answers at once':45} {figures(samples)}")


def main() -> None:
    with moto_server() as endpoint:
        fill(endpoint)
        env = environment(endpoint)
        print_in_process(env)
        print_client_floor()
        print_whole_runs(env)


if __name__ == "__main__":
    main()
