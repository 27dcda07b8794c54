"""Integration: the emulator invoked with boto3; its runtime is the stand-in script, a process."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Literal

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import StartEmulator
from tests.lambda_clients import invoke_with_aws_cli, invoke_with_boto3

INVOCATIONS = "/2015-03-31/functions/function/invocations"


def test_a_response_comes_back_with_the_invocations_log_tail(start_emulator: StartEmulator) -> None:
    """200, no FunctionError, the body as posted; the tail: START, the output, END, REPORT."""
    emulator = start_emulator()
    invoked = invoke_with_boto3(emulator.client, {"print": "hello from it"})
    assert (invoked.status, invoked.function_error) == (200, None)
    assert invoked.body == {"print": "hello from it"}
    lines = invoked.log.splitlines()
    assert lines[0].startswith("START RequestId: ")
    assert "hello from it" in lines
    assert lines[-2].startswith("END RequestId: ")
    assert lines[-1].startswith("REPORT RequestId: ")
    assert "hello from it" in emulator.output.text()
    assert "\tInit Duration: " in lines[-1]  # the first invocation was a cold start
    warm = invoke_with_boto3(emulator.client, {})
    assert "Init Duration" not in warm.log


def test_the_runtime_gets_lambdas_headers_for_each_invocation(
    start_emulator: StartEmulator,
) -> None:
    """Request id, a deadline the function timeout away, the ARN of the name invoked, a trace id."""
    emulator = start_emulator(timeout=30)
    client = emulator.client
    context = base64.b64encode(b'{"custom": {"who": "test"}}').decode()
    before_ms = time.time() * 1000
    answer = client.invoke(
        FunctionName="migrations", Payload=b'{"echo": true}', ClientContext=context
    )
    headers = json.loads(answer["Payload"].read())["headers"]
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["Lambda-Runtime-Aws-Request-Id"])
    assert before_ms + 29_000 < int(headers["Lambda-Runtime-Deadline-Ms"]) < before_ms + 60_000
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == (
        "arn:aws:lambda:us-east-1:012345678912:function:migrations"
    )
    assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
    assert json.loads(headers["Lambda-Runtime-Client-Context"]) == {"custom": {"who": "test"}}


def test_the_aws_cli_gets_results_function_errors_and_log_tails(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """`aws lambda invoke --endpoint-url ...` works unchanged, for a result and an error."""
    emulator = start_emulator()
    invoked = invoke_with_aws_cli(emulator.endpoint, {"print": "via the cli"}, tmp_path)
    assert (invoked.status, invoked.function_error) == (200, None)
    assert invoked.body == {"print": "via the cli"}
    assert "via the cli" in invoked.log
    failed = invoke_with_aws_cli(emulator.endpoint, {"fail": "Function.Failed"}, tmp_path)
    assert (failed.status, failed.function_error) == (200, "Unhandled")
    assert failed.body["errorMessage"] == "it failed"


def test_an_error_posted_by_the_runtime_is_an_unhandled_function_error(
    start_emulator: StartEmulator,
) -> None:
    """X-Amz-Function-Error: Unhandled, and the error body exactly as the runtime posted it."""
    emulator = start_emulator()
    invoked = invoke_with_boto3(emulator.client, {"fail": "Function.Failed"})
    assert (invoked.status, invoked.function_error) == (200, "Unhandled")
    assert invoked.body == {"errorType": "Failed", "errorMessage": "it failed", "stackTrace": []}


def test_a_runtime_that_exits_fails_the_invocation_and_is_restarted(
    start_emulator: StartEmulator,
) -> None:
    """Runtime.ExitError with the exit status; the next invocation gets a fresh runtime."""
    emulator = start_emulator()
    client = emulator.client
    invoked = invoke_with_boto3(client, {"exit": 3})
    assert invoked.function_error == "Unhandled"
    assert invoked.body["errorType"] == "Runtime.ExitError"
    assert invoked.body["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    assert "Runtime.ExitError" in invoked.log.splitlines()
    again = invoke_with_boto3(client, {"print": "still serving"})
    assert (again.function_error, again.body) == (None, {"print": "still serving"})
    assert "stand-in runtime ready" in again.log  # a cold start: the runtime's init output
    assert emulator.output.text().count("stand-in runtime ready") == 2


def test_a_timeout_kills_the_runtime_and_what_it_started_then_restarts_it(
    start_emulator: StartEmulator,
) -> None:
    """Sandbox.Timedout, "Task timed out after 1.00 seconds"; nothing of the old sandbox stays."""
    emulator = start_emulator(timeout=1)
    client = emulator.client
    invoked = invoke_with_boto3(client, {"hang": True})
    assert invoked.function_error == "Unhandled"
    assert invoked.body["errorType"] == "Sandbox.Timedout"
    assert invoked.body["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in invoked.log
    assert "Status: timeout" in invoked.log.splitlines()[-1]
    assert not _processes_running(b"sleep\x003600\x00")
    again = invoke_with_boto3(client, {"print": "next one"})
    assert (again.function_error, again.body) == (None, {"print": "next one"})


def test_an_init_error_is_the_invocations_error_and_init_is_retried(
    start_emulator: StartEmulator,
) -> None:
    """The body posted to init/error comes back as an Unhandled function error, each time."""
    emulator = start_emulator("init-error")
    client = emulator.client
    for _ in range(2):
        invoked = invoke_with_boto3(client, {})
        assert invoked.function_error == "Unhandled"
        assert invoked.body == {"errorType": "BadSetting", "errorMessage": "The setting is bad."}
        assert "Error Type: Runtime.BadSetting" in invoked.log


def test_a_runtime_that_never_asks_for_events_times_out_in_init(
    start_emulator: StartEmulator,
) -> None:
    """A runtime that does not call next within the init timeout: an error, not a hang."""
    emulator = start_emulator(argv=["sleep", "3600"], init_timeout=0.5)
    invoked = invoke_with_boto3(emulator.client, {})
    assert invoked.body["errorType"] == "Sandbox.Timedout"
    assert "Init timed out after 0.50 seconds" in invoked.body["errorMessage"]


def test_a_response_over_6_mib_is_refused_like_lambda(start_emulator: StartEmulator) -> None:
    """Function.ResponseSizeTooLarge; the runtime got 413, then 403 for a late error post."""
    emulator = start_emulator()
    client = emulator.client
    invoked = invoke_with_boto3(client, {"size": 7 * 1024 * 1024})
    assert invoked.function_error == "Unhandled"
    assert invoked.body["errorType"] == "Function.ResponseSizeTooLarge"
    invoke_with_boto3(client, {})  # the stand-in prints what it got after answering
    assert "response 413, then error 403" in emulator.output.text()


def test_a_payload_that_is_not_json_is_rejected_before_the_runtime(
    start_emulator: StartEmulator,
) -> None:
    """InvalidRequestContentException (400), as Lambda answers; nothing runs."""
    emulator = start_emulator()
    with pytest.raises(ClientError) as error:
        emulator.client.invoke(FunctionName="function", Payload=b"{not json")
    assert error.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert "START RequestId" not in emulator.output.text()


@pytest.mark.parametrize(
    ("kind", "size"), [("RequestResponse", 6 * 1024 * 1024), ("Event", 1024**2)]
)
def test_a_payload_over_lambdas_limit_is_rejected(
    start_emulator: StartEmulator, kind: Literal["RequestResponse", "Event"], size: int
) -> None:
    """RequestTooLargeException (413) over 6 MB, or 1 MB for an asynchronous invocation."""
    emulator = start_emulator()
    client = emulator.client
    payload = json.dumps({"input": "x" * size}).encode()
    with pytest.raises(ClientError) as error:
        client.invoke(FunctionName="function", InvocationType=kind, Payload=payload)
    assert error.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert invoke_with_boto3(client, {"after": "refusal"}).body == {"after": "refusal"}


def test_a_dry_run_answers_204_and_runs_nothing(start_emulator: StartEmulator) -> None:
    """InvocationType=DryRun only checks the request, as on Lambda."""
    emulator = start_emulator()
    answer = emulator.client.invoke(
        FunctionName="function", InvocationType="DryRun", Payload=b'{"print": "dry"}'
    )
    assert answer["StatusCode"] == 204
    assert "START RequestId" not in emulator.output.text()


def test_the_log_tail_is_the_last_4_kb(start_emulator: StartEmulator) -> None:
    """A chatty invocation's LogResult holds its last 4096 bytes, ending with REPORT."""
    emulator = start_emulator()
    invoked = invoke_with_boto3(emulator.client, {"print": "y" * 10_000})
    assert len(invoked.log.encode()) == 4096
    assert invoked.log.splitlines()[-1].startswith("REPORT RequestId: ")


def test_asynchronous_invocations_run_one_at_a_time_in_order(
    start_emulator: StartEmulator,
) -> None:
    """InvocationType=Event answers 202 at once; the events run in the order they came."""
    emulator = start_emulator()
    client = emulator.client
    for number in range(1, 4):
        answer = client.invoke(
            FunctionName="function",
            InvocationType="Event",
            Payload=json.dumps({"print": f"n{number}"}),
        )
        assert answer["StatusCode"] == 202
    invoke_with_boto3(client, {"print": "last"})
    output = emulator.output.text()
    positions = [output.index(f"\n{text}\n") for text in ("n1", "n2", "n3", "last")]
    assert positions == sorted(positions)


def test_concurrent_invocations_each_get_their_own_result(start_emulator: StartEmulator) -> None:
    """Callers that invoke at once wait their turn, and no one gets another's answer."""
    emulator = start_emulator()
    results: dict[int, object] = {}

    def invoke(number: int) -> None:
        results[number] = invoke_with_boto3(emulator.client, {"number": number}).body

    threads = [threading.Thread(target=invoke, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == {number: {"number": number} for number in range(6)}
    assert emulator.output.text().count("START RequestId") == 6


def test_requests_from_web_pages_are_refused(start_emulator: StartEmulator) -> None:
    """A POST with an Origin header (any browser's) gets 403: a web page cannot run commands."""
    emulator = start_emulator()
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(emulator.endpoint).netloc)
    connection.request(
        "POST",
        INVOCATIONS,
        body=b'{"print": "from a page"}',
        headers={"Origin": "https://example.com", "Content-Type": "text/plain"},
    )
    response = connection.getresponse()
    connection.close()
    assert response.status == 403
    assert response.headers["X-Amzn-ErrorType"] == "AccessDeniedException"
    assert "from a page" not in emulator.output.text()


def test_a_chunked_payload_is_read_whole_and_a_malformed_one_refused(
    start_emulator: StartEmulator,
) -> None:
    """`curl -T -` sends chunks: they make one event; broken chunking is a 400, not a guess."""
    emulator = start_emulator()
    address = urllib.parse.urlsplit(emulator.endpoint).netloc
    connection = http.client.HTTPConnection(address, timeout=60)
    chunks = iter([b'{"print": ', b'"in chunks"}'])
    connection.request("POST", INVOCATIONS, body=chunks, encode_chunked=True)
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (200, {"print": "in chunks"})
    connection.putrequest("POST", INVOCATIONS)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders(b"zz\r\n{}\r\n0\r\n\r\n")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 400
    assert response.headers["X-Amzn-ErrorType"] == "InvalidRequestContentException"


def _processes_running(cmdline: bytes) -> bool:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as file:
                    if file.read() == cmdline:
                        return True
            except OSError:
                continue
    return False
