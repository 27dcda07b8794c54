"""End to end: `run-command-on-aws-lambda --serve`, invoked with boto3 and the AWS CLI.

The console script runs as a real process; the runtime it starts is this very program speaking
the Runtime API, as on Lambda.
"""

from __future__ import annotations

import base64
import http.client
import json
import signal
import time
import urllib.parse
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import run_script
from tests.e2e.conftest import Serve, Served
from tests.lambda_clients import (
    Invoked,
    invoke_with_aws_cli,
    invoke_with_boto3,
)

INVOCATIONS = "/2015-03-31/functions/function/invocations"


def sh(script: str) -> dict[str, object]:
    return {"program": "sh", "arguments": ["-c", script]}


def with_boto3(served: Served, event: object, tmp_path: Path) -> Invoked:
    return invoke_with_boto3(served.client, event)


def with_aws_cli(served: Served, event: object, tmp_path: Path) -> Invoked:
    return invoke_with_aws_cli(served.endpoint, event, tmp_path)


CLIENTS = {"boto3": with_boto3, "aws-cli": with_aws_cli}


@pytest.mark.parametrize("client", CLIENTS)
def test_real_clients_get_results_function_errors_and_log_tails(
    serve: Serve, tmp_path: Path, client: str
) -> None:
    """Success, a failing command, a timeout and an invalid event, as boto3 and the CLI see them."""
    served = serve("--function-timeout", "2")

    def invoke(event: object) -> Invoked:
        return CLIENTS[client](served, event, tmp_path)

    succeeded = invoke(sh("echo hello"))
    assert (succeeded.status, succeeded.function_error) == (200, None)
    assert (succeeded.body["exitCode"], succeeded.body["output"]) == (0, "hello\n")
    assert 'Running sh ["-c", "echo hello"].' in succeeded.log
    assert "hello" in succeeded.log.splitlines()
    assert succeeded.log.splitlines()[-1].startswith("REPORT RequestId: ")

    failed = invoke(sh("echo oops >&2; exit 3"))
    assert (failed.status, failed.function_error) == (200, "Unhandled")
    assert (failed.body["errorType"], failed.body["exitCode"]) == ("CommandFailed", 3)
    assert "oops" in failed.log.splitlines()

    timed_out = invoke({"program": "sleep", "arguments": ["30"]})
    assert (timed_out.status, timed_out.function_error) == (200, "Unhandled")
    assert timed_out.body["errorType"] == "CommandTimedOut"
    assert "sleep did not finish in time" in timed_out.log

    invalid = invoke({"program": "id", "argument": []})
    assert (invalid.status, invalid.function_error) == (200, "Unhandled")
    assert invalid.body["errorType"] == "InvalidEvent"
    assert "argument" in invalid.body["errorMessage"]
    assert "Invalid event" in invalid.log


@pytest.mark.parametrize(
    ("event", "error_type"),
    [
        (sh("exit 3"), "CommandFailed"),
        ({"program": "id", "argument": []}, "InvalidEvent"),
        ({"program": "no-such-program-here"}, "CommandNotFound"),
        ("just a string", "InvalidEvent"),
    ],
)
def test_failures_and_invalid_events_are_unhandled_function_errors(
    serve: Serve, event: object, error_type: str
) -> None:
    """Each failure comes back as X-Amz-Function-Error: Unhandled with the runtime's error body."""
    served = serve()
    invoked = invoke_with_boto3(served.client, event)
    assert (invoked.status, invoked.function_error) == (200, "Unhandled")
    assert invoked.body["errorType"] == error_type
    assert invoked.body["errorMessage"]


def test_a_payload_that_is_not_json_is_refused_like_lambda(serve: Serve) -> None:
    """Lambda itself refuses it (InvalidRequestContentException) before any runtime sees it."""
    served = serve()
    with pytest.raises(ClientError) as error:
        served.client.invoke(FunctionName="function", Payload=b"{oops")
    assert error.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_a_runtime_that_stops_answering_times_out_and_is_replaced(serve: Serve) -> None:
    """The command freezes the runtime: "Task timed out after 2.00 seconds", then a fresh one."""
    served = serve("--function-timeout", "2")
    client = served.client
    invoked = invoke_with_boto3(client, sh("kill -STOP $PPID; sleep 30"))
    assert invoked.function_error == "Unhandled"
    assert invoked.body["errorType"] == "Sandbox.Timedout"
    assert invoked.body["errorMessage"].endswith("Task timed out after 2.00 seconds")
    again = invoke_with_boto3(client, sh("echo fresh"))
    assert (again.function_error, again.body["output"]) == (None, "fresh\n")


def test_a_runtime_that_dies_fails_the_invocation_and_is_restarted(serve: Serve) -> None:
    """The command kills the runtime: Runtime.ExitError "signal: killed", then a fresh one."""
    served = serve()
    client = served.client
    invoked = invoke_with_boto3(client, sh("kill -KILL $PPID"))
    assert invoked.function_error == "Unhandled"
    assert invoked.body["errorType"] == "Runtime.ExitError"
    assert invoked.body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    again = invoke_with_boto3(client, sh("echo restarted"))
    assert (again.function_error, again.body["output"]) == (None, "restarted\n")


def test_the_default_command_runs_for_an_empty_event(serve: Serve) -> None:
    """`--serve echo from the default` configures the runtime's default command, like CMD."""
    served = serve("echo", "from", "the", "default")
    invoked = invoke_with_boto3(served.client, {})
    assert invoked.body["output"] == "from the default\n"


def test_a_plain_http_post_works_like_the_docs_curl(serve: Serve) -> None:
    """POST the event; X-Amz-Log-Type: Tail adds X-Amz-Log-Result."""
    served = serve()
    connection = http.client.HTTPConnection(
        urllib.parse.urlsplit(served.endpoint).netloc, timeout=60
    )
    body = json.dumps(sh("echo curl")).encode()
    connection.request("POST", INVOCATIONS, body=body, headers={"X-Amz-Log-Type": "Tail"})
    response = connection.getresponse()
    result = json.loads(response.read())
    connection.close()
    assert response.status == 200
    assert result["output"] == "curl\n"
    assert "curl" in base64.b64decode(response.headers["X-Amz-Log-Result"]).decode()


def test_sigterm_stops_the_emulator_and_its_runtime(serve: Serve, tmp_path: Path) -> None:
    """Exit status 0; the runtime and the command it was running are gone."""
    served = serve()
    pid_file = tmp_path / "pid"
    # Its pid is the command's own (sh execs sleep), written whole once the command runs.
    script = f"echo $$ > {pid_file}.new; mv {pid_file}.new {pid_file}; exec sleep 600"
    event = json.dumps(sh(script))
    client = served.client
    client.invoke(FunctionName="function", InvocationType="Event", Payload=event)
    give_up = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < give_up:
        time.sleep(0.05)
    assert pid_file.exists(), served.stdout.read_text()
    command = _process(int(pid_file.read_text()))
    assert command is not None
    assert served.stop() == 0
    assert "Stopping." in served.stderr.read_text()
    assert _process(command[0]) != command


def test_what_a_runtime_that_died_left_running_is_stopped(serve: Serve, tmp_path: Path) -> None:
    """A command kills the runtime, leaving a process of its own: that goes with the sandbox."""
    served = serve()
    pid_file = tmp_path / "pid"
    left = sh(f"sleep 600 & echo $! > {pid_file}; kill -KILL $PPID")
    assert invoke_with_boto3(served.client, left).body["errorType"] == "Runtime.ExitError"
    assert _process(int(pid_file.read_text())) is None
    assert invoke_with_boto3(served.client, sh("echo again")).body["output"] == "again\n"


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_the_emulator_stops_on_ctrl_c_or_sigterm_with_status_0(serve: Serve, number: int) -> None:
    """Ctrl-C or SIGTERM ends `--serve` cleanly, whether it served anything or not."""
    served = serve()
    assert served.stop(number) == 0
    assert "Stopping." in served.stderr.read_text()
    warm = serve()
    invoke_with_boto3(warm.client, sh("echo warm"))
    assert warm.stop(number) == 0


def test_an_address_that_is_not_loopback_needs_allow_remote(console_script: str) -> None:
    """Binding 0.0.0.0 is refused (status 125) with the reason, before anything listens."""
    completed = run_script(console_script, "--serve", "0.0.0.0:9000")
    assert completed.returncode == 125
    assert b"--allow-remote" in completed.stderr


def _process(pid: int) -> tuple[int, str] | None:
    """A living process by its pid and start time (so that a reused pid is not taken for
    it), or None. Only that one: the machine may run this suite elsewhere at the same time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    state, start_time = fields[0], fields[19]
    return None if state == "Z" else (pid, start_time)
