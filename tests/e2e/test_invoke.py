"""End to end: `--invoke` as a real process, against `--serve` and a scripted Lambda."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import run_script
from tests.e2e.conftest import Serve
from tests.e2e.test_local_mode import FAILURES
from tests.lambda_clients import DUMMY_CREDENTIALS
from tests.scripted_lambda import (
    Answer,
    Drop,
    Frame,
    ScriptedLambda,
    Wait,
    cut_short,
    dropped,
    invoke_complete,
    lambda_error,
    payload_chunk,
    streamed,
)

CLIENT_ENVIRONMENT = {
    **DUMMY_CREDENTIALS,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",  # no credential lookup may leave loopback
}


def invoke(
    script: str, endpoint: str, *arguments: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`run-command-on-aws-lambda --invoke function --endpoint-url ENDPOINT ARGUMENTS`."""
    return run_client(
        script,
        *("--invoke", "function", "--endpoint-url", endpoint, *arguments),
        env={**CLIENT_ENVIRONMENT, **(env or {})},
    )


def run_client(
    script: str, *arguments: str, env: Mapping[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """Run the console script with `env` as its only AWS settings."""
    return subprocess.run(
        [script, *arguments],
        capture_output=True,
        env={**client_base_environment(), **env},
        timeout=120,
        check=False,
    )


def client_base_environment() -> dict[str, str]:
    """Ours, without the Runtime API and without any AWS setting of whoever runs the tests."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


def event_option(fields: Mapping[str, object]) -> tuple[str, str]:
    return "--event", json.dumps(fields)


@pytest.fixture
def go() -> Iterator[threading.Event]:
    """An event a scripted server waits for; set at the end so no server thread hangs."""
    event = threading.Event()
    yield event
    event.set()


@pytest.mark.parametrize("mode", [(), ("--no-stream",)], ids=["streamed", "buffered"])
@pytest.mark.parametrize(
    "case",
    [
        ({"program": "echo", "arguments": ["hi"]}, 0, None),
        ({"program": "sh", "arguments": ["-c", "echo oops; exit 3"]}, 3, "CommandFailed"),
        *FAILURES,
    ],
    ids=lambda case: f"{case[1]}",
)
def test_invocations_exit_as_local_mode_does(
    console_script: str,
    serve: Serve,
    case: tuple[dict[str, object], int, str | None],
    mode: tuple[str, ...],
) -> None:
    """Against --serve: local mode's status, output and error message, streamed or not."""
    fields, status, error_type = case
    served = serve()
    local = run_script(console_script, *event_option(fields))
    remote = invoke(console_script, served.endpoint, *mode, *event_option(fields))
    assert (local.returncode, remote.returncode) == (status, status), remote.stderr
    assert remote.stdout == local.stdout
    assert b"Traceback" not in remote.stderr
    if error_type is not None:  # the runtime's own sentence ends local mode's log, too
        assert remote.stderr.decode().strip().splitlines()[-1] in local.stderr.decode()


def test_the_command_line_gives_the_program_and_event_the_rest(
    console_script: str, serve: Serve
) -> None:
    """`--event '{"environment": ...}' -- sh -c ...` runs that command with that environment."""
    served = serve()
    completed = invoke(
        console_script,
        served.endpoint,
        "--no-stream",
        *event_option({"environment": {"GREETING": "hello"}}),
        "--",
        *("sh", "-c", 'echo "$GREETING"; exit 4'),
    )
    assert (completed.returncode, completed.stdout) == (4, b"hello\n")


@pytest.mark.parametrize("mode", [(), ("--no-stream",)], ids=["streamed", "buffered"])
def test_lambdas_own_timeout_has_its_own_status(
    console_script: str, serve: Serve, mode: tuple[str, ...]
) -> None:
    """Sandbox.Timedout (a runtime frozen past the deadline): 210, and Lambda's words."""
    served = serve("--function-timeout", "1")
    completed = invoke(
        console_script, served.endpoint, *mode, "sh", "-c", "kill -STOP $PPID; sleep 30"
    )
    assert completed.returncode == 210
    assert b"Sandbox.Timedout" in completed.stderr
    assert b"Task timed out after 1.00 seconds" in completed.stderr


@pytest.mark.parametrize("mode", [(), ("--no-stream",)], ids=["streamed", "buffered"])
def test_a_runtime_that_crashed_has_its_own_status_and_the_log_tail(
    console_script: str, serve: Serve, mode: tuple[str, ...]
) -> None:
    """Runtime.ExitError: 211; --log-tail prints the invocation's log on stderr."""
    served = serve()
    completed = invoke(
        console_script, served.endpoint, *mode, "--log-tail", "sh", "-c", "kill -9 $PPID"
    )
    assert completed.returncode == 211
    stderr = completed.stderr.decode()
    assert "Runtime.ExitError" in stderr.splitlines()[0]
    assert "START RequestId:" in stderr
    assert "Running sh " in stderr


@pytest.mark.parametrize(
    ("status", "code", "exit_status"),
    [
        (404, "ResourceNotFoundException", 200),
        (403, "AccessDeniedException", 201),
        (429, "TooManyRequestsException", 202),
    ],
)
@pytest.mark.parametrize("mode", [(), ("--no-stream",)])
def test_lambdas_refusals_have_documented_statuses_and_say_what_aws_said(
    console_script: str, status: int, code: str, exit_status: int, mode: tuple[str, ...]
) -> None:
    """No such function 200, access denied 201, throttled 202; one line naming AWS's answer."""
    with ScriptedLambda(lambda_error(status, code, "Said by AWS.")) as server:
        completed = invoke(console_script, server.endpoint, *mode, "true")
        assert len(server.requests) == 1
    assert completed.returncode == exit_status
    assert completed.stderr.decode() == f"Lambda refused the invocation: {code}: Said by AWS.\n"
    assert completed.stdout == b""


@pytest.mark.parametrize("mode", [(), ("--no-stream",)])
def test_a_dropped_connection_is_never_invoked_again(
    console_script: str, mode: tuple[str, ...]
) -> None:
    """The server reads the request and hangs up: exactly one request, 220, and a warning."""
    with ScriptedLambda(dropped) as server:
        completed = invoke(console_script, server.endpoint, *mode, "true")
        assert len(server.requests) == 1
    assert completed.returncode == 220
    assert b"may still be running" in completed.stderr
    assert len(completed.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("mode", "script"),
    [
        ((), streamed(Frame(payload_chunk(b"one\n")), Drop())),
        (("--no-stream",), cut_short(b'{"output": "one\\n", "exitCode": 0}')),
    ],
    ids=["streamed", "buffered"],
)
def test_an_answer_cut_midway_is_never_invoked_again(
    console_script: str, mode: tuple[str, ...], script: Answer
) -> None:
    """The connection breaks inside the answer: one request, 220, what arrived is printed."""
    with ScriptedLambda(script) as server:
        completed = invoke(console_script, server.endpoint, *mode, "true")
        assert len(server.requests) == 1
    assert completed.returncode == 220
    assert completed.stdout == (b"one\n" if not mode else b"")
    assert b"may still be running" in completed.stderr


def test_output_from_serve_is_printed_while_the_command_runs(
    console_script: str, serve: Serve, tmp_path: Path
) -> None:
    """The first line is read from --invoke's stdout before the command may go on."""
    gate = tmp_path / "gate"
    served = serve()
    command = f"echo one; while [ ! -e {gate} ]; do sleep 0.05; done; echo two; exit 3"
    process = start_invoke(console_script, served.endpoint, "sh", "-c", command)
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        gate.touch()
        rest, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.communicate()
    assert (first, rest) == (b"one\n", b"two\n")
    assert process.returncode == 3
    assert stderr == b"sh exited with status 3.\n"


def test_streamed_output_is_printed_as_it_arrives(console_script: str, go: threading.Event) -> None:
    """The first chunk is on stdout while the function still runs; its failure sets the status."""
    details = {
        "errorType": "CommandFailed",
        "errorMessage": "sh exited with status 3.",
        "exitCode": 3,
    }
    script = streamed(
        Frame(payload_chunk(b"one\n")),
        Wait(go),
        Frame(payload_chunk(b"two\n")),
        Frame(
            invoke_complete(ErrorCode="Function.CommandFailed", ErrorDetails=json.dumps(details))
        ),
    )
    with ScriptedLambda(script) as server:
        process = start_invoke(console_script, server.endpoint, "sh", "-c", "...")
        assert process.stdout is not None
        try:
            first = process.stdout.readline()
            go.set()
            rest, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
            process.communicate()
        assert json.loads(server.requests[0].body)["stream"] is True
    assert (first, rest) == (b"one\n", b"two\n")
    assert process.returncode == 3
    assert stderr == b"sh exited with status 3.\n"


def test_ctrl_c_stops_waiting_and_warns_the_command_may_still_run(
    console_script: str, go: threading.Event
) -> None:
    """SIGINT while the function runs: exit 130, and a warning naming the request, no traceback."""
    with ScriptedLambda(streamed(Frame(payload_chunk(b"started\n")), Wait(go))) as server:
        process = start_invoke(console_script, server.endpoint, "sleep", "600")
        assert process.stdout is not None
        try:
            assert process.stdout.readline() == b"started\n"
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert b"the command may still be running on Lambda" in stderr
    assert b"request id stream-request-id" in stderr
    assert b"Traceback" not in stderr


def test_without_credentials_an_endpoint_url_gets_unsigned_requests(console_script: str) -> None:
    """For --serve, which checks no signature: no credentials and no region needed."""
    environment = {"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null"}
    environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    with ScriptedLambda(streamed(Frame(invoke_complete()))) as server:
        completed = run_client(
            console_script,
            *("--invoke", "function", "--endpoint-url", server.endpoint, "true"),
            env=environment,
        )
        assert completed.returncode == 0, completed.stderr
        assert "Authorization" not in server.requests[0].headers


def test_without_credentials_nothing_is_sent_to_aws(console_script: str) -> None:
    """No --endpoint-url and no credentials: 204 and a message; the endpoint sees nothing."""
    with ScriptedLambda(streamed(Frame(invoke_complete()))) as server:
        completed = run_client(
            console_script,
            *("--invoke", "function", "--region", "eu-west-1", "true"),
            env={
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true",
                # Were anything sent, it would land here:
                "AWS_ENDPOINT_URL_LAMBDA": server.endpoint,
            },
        )
        assert server.requests == []
    assert completed.returncode == 204
    assert completed.stderr == b"Nothing was sent to Lambda: Unable to locate credentials\n"


def test_without_boto3_invoke_says_how_to_install_it(console_script: str, tmp_path: Path) -> None:
    """boto3 is an optional extra: its absence is a clear message and status 125."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['boto3'] = sys.modules['botocore'] = None  # as if not installed\n"
    )
    completed = invoke(
        console_script, "http://127.0.0.1:9", "true", env={"PYTHONPATH": str(tmp_path)}
    )
    assert completed.returncode == 125
    assert completed.stderr == (
        b"--invoke needs boto3, an optional extra: "
        b"pip install 'run-command-on-aws-lambda[client]' (or pip install boto3).\n"
    )


def test_options_of_invoke_are_refused_without_it(console_script: str) -> None:
    """--no-stream alone is a usage error (125), not a program to run."""
    completed = run_script(console_script, "--no-stream", "true")
    assert completed.returncode == 125
    assert b"are options of --invoke" in completed.stderr


def test_a_program_given_twice_is_refused_before_anything_is_sent(console_script: str) -> None:
    """--event with "program" and a command on the command line: 125, no request."""
    with ScriptedLambda(dropped) as server:
        completed = invoke(console_script, server.endpoint, "--event", '{"program": "ls"}', "id")
        assert server.requests == []
    assert completed.returncode == 125
    assert b'--event sets "program"' in completed.stderr


def start_invoke(script: str, endpoint: str, *arguments: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [script, "--invoke", "function", "--endpoint-url", endpoint, "--", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**client_base_environment(), **CLIENT_ENVIRONMENT},
    )
