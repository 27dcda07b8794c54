"""Bench: runtimes between the floor and ours, one of our parts at a time (`bench.ladder`).

Run as `python bench/rungs.py RUNG` with `AWS_LAMBDA_RUNTIME_API` set; each rung is the one
before it with one more of our parts in place:

- `http.client`: the floor's loop (http.client, posix_spawn, the output tail);
- `urllib3`: our Runtime API client (urllib3, lean `urlopen`) instead of http.client;
- `popen`: the child started by `subprocess.Popen` as our executor starts it;
- `executor`: our `ProcessExecutor` (supervision loop, pidfd, leftovers) and our wire format;
- `loop`: our serving loop (`CommandRunner`, `RuntimeApiTransport`: event validation, child
  environment, log lines, verdict), without the CLI, the extension or the subreaper.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

from floor import run as spawn_and_read  # type: ignore[import-not-found]

Next = Callable[[], tuple[str, bytes]]
Post = Callable[[str, str, bytes], None]


def http_client() -> tuple[Next, Post]:
    import http.client  # noqa: PLC0415 - only this rung pays for it

    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    base = "/2018-06-01/runtime/invocation/"

    def next_event() -> tuple[str, bytes]:
        connection.request("GET", base + "next")
        reply = connection.getresponse()
        return str(reply.getheader("Lambda-Runtime-Aws-Request-Id")), reply.read()

    def post(request_id: str, kind: str, body: bytes) -> None:
        connection.request("POST", f"{base}{request_id}/{kind}", body)
        connection.getresponse().read()

    return next_event, post


def our_client() -> tuple[Next, Post]:
    from run_command_on_aws_lambda.adapters.runtime_api.client import (  # noqa: PLC0415
        RuntimeApiClient,
        open_pool,
    )

    client = RuntimeApiClient(open_pool(os.environ["AWS_LAMBDA_RUNTIME_API"]))

    def next_event() -> tuple[str, bytes]:
        invocation = client.next()
        return invocation.request_id, invocation.payload

    def post(request_id: str, kind: str, body: bytes) -> None:
        if kind == "response":
            client.response(request_id, body)
        else:
            client.error(request_id, body, "CommandFailed")

    return next_event, post


def popen(argv: list[str]) -> tuple[int, bytes]:
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=dict(os.environ),
    )
    out, err = process.communicate()
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    return process.returncode, (out + err)[-4096:]


def simple_loop(
    next_event: Next, post: Post, run: Callable[[list[str]], tuple[int, bytes]]
) -> None:
    while True:
        request_id, payload = next_event()
        event = json.loads(payload)
        status, tail = run([event["program"], *event.get("arguments", ())])
        body = json.dumps({"exitCode": status, "output": tail.decode(errors="replace")})
        post(request_id, "response" if status == 0 else "error", body.encode())


def executor_loop(next_event: Next, post: Post) -> None:
    from run_command_on_aws_lambda.adapters.executor.process_executor import ProcessExecutor  # noqa: PLC0415
    from run_command_on_aws_lambda.adapters.wire import encode_verdict  # noqa: PLC0415
    from run_command_on_aws_lambda.domain.command import CommandSpec  # noqa: PLC0415
    from run_command_on_aws_lambda.domain.deadline import StopPlan  # noqa: PLC0415
    from run_command_on_aws_lambda.domain.policy import Success, judge  # noqa: PLC0415

    executor = ProcessExecutor(search_path=os.environ["PATH"])
    environment = dict(os.environ)
    while True:
        request_id, payload = next_event()
        event = json.loads(payload)
        spec = CommandSpec(program=event["program"], arguments=tuple(event.get("arguments", ())))
        stop = StopPlan.plan(now=time.monotonic(), grace=3.0, timeout=None)
        verdict = judge(executor.execute(spec, environment=environment, stop=stop))
        kind = "response" if isinstance(verdict, Success) else "error"
        post(request_id, kind, encode_verdict(verdict, request_id=request_id))


def our_loop() -> None:
    from run_command_on_aws_lambda.adapters.runtime_api.client import (  # noqa: PLC0415
        RuntimeApiClient,
        RuntimeApiTransport,
        open_pool,
    )
    from run_command_on_aws_lambda.app.compose import build_runner  # noqa: PLC0415
    from run_command_on_aws_lambda.app.logs import configure_logging  # noqa: PLC0415
    from run_command_on_aws_lambda.app.serving import serve  # noqa: PLC0415
    from run_command_on_aws_lambda.app.settings import Settings  # noqa: PLC0415

    configure_logging(os.environ)
    client = RuntimeApiClient(open_pool(os.environ["AWS_LAMBDA_RUNTIME_API"]))
    serve(
        RuntimeApiTransport(client), build_runner(Settings.from_environment(os.environ), os.environ)
    )


def main(rung: str) -> None:
    if rung == "http.client":
        simple_loop(*http_client(), spawn_and_read)
    elif rung == "urllib3":
        simple_loop(*our_client(), spawn_and_read)
    elif rung == "popen":
        simple_loop(*our_client(), popen)
    elif rung == "executor":
        executor_loop(*our_client())
    elif rung == "loop":
        our_loop()
    else:
        raise SystemExit(f"unknown rung {rung!r}")


if __name__ == "__main__":
    main(sys.argv[1])
