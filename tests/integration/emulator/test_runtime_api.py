"""Integration: the emulator's Runtime API over real HTTP, as a runtime's client sees it."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator

import pytest

from run_command_on_aws_lambda.adapters.emulator.exchange import (
    RESPONSE_LIMIT,
    Exchange,
)
from run_command_on_aws_lambda.adapters.emulator.outcomes import (
    Answered,
    Event,
    InitFailed,
    Outcome,
)
from run_command_on_aws_lambda.adapters.emulator.runtime_api import RuntimeApiServer

RUNTIME = "/2018-06-01/runtime"


class Api:
    """A running Runtime API with one pooled client connection, like a runtime keeps."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.server = RuntimeApiServer(exchange)
        self.server.start("runtime-api")
        self.connection = http.client.HTTPConnection(self.server.url_address, timeout=30)
        self.outcomes: list[Outcome] = []
        self._invokers: list[threading.Thread] = []

    def invoke(
        self, payload: bytes, sink: Callable[[bytes], None] | None = None, **context: str
    ) -> None:
        """Start an invocation in the background, as the Invoke API would."""
        invocation = Event(request_id="req-1", payload=payload, function_arn="arn:f", **context)
        thread = threading.Thread(
            target=lambda: self.outcomes.append(self.exchange.run(invocation, sink))
        )
        thread.start()
        self._invokers.append(thread)

    def call(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        response.read()
        return response

    def finish(self) -> list[Outcome]:
        for thread in self._invokers:
            thread.join(30)
        return self.outcomes

    def close(self) -> None:
        self.connection.close()
        self.exchange.close()
        self.server.stop()


@pytest.fixture
def api() -> Iterator[Api]:
    api = Api(Exchange(timeout=30, wall_clock=lambda: 1_700_000_000.0))
    yield api
    api.close()


def test_next_sends_the_event_and_lambdas_headers(api: Api) -> None:
    """Request id, deadline, invoked ARN, trace id and client context reach the runtime."""
    api.invoke(b'{"program": "id"}', trace_id="Root=1-abc", client_context='{"custom": {}}')
    api.connection.request("GET", f"{RUNTIME}/invocation/next")
    response = api.connection.getresponse()
    assert response.status == 200
    assert response.read() == b'{"program": "id"}'
    assert response.headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert response.headers["Lambda-Runtime-Deadline-Ms"] == "1700000030000"
    assert response.headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:f"
    assert response.headers["Lambda-Runtime-Trace-Id"] == "Root=1-abc"
    assert response.headers["Lambda-Runtime-Client-Context"] == '{"custom": {}}'
    answer = api.call("POST", f"{RUNTIME}/invocation/req-1/response", b'{"exitCode": 0}')
    assert answer.status == 202
    assert api.finish() == [Answered(b'{"exitCode": 0}')]


def test_an_error_post_is_accepted_with_its_error_type(api: Api) -> None:
    """POST .../error answers 202; the invocation ends with the body and the kept type."""
    api.invoke(b"{}")
    assert api.call("GET", f"{RUNTIME}/invocation/next").status == 200
    headers = {"Lambda-Runtime-Function-Error-Type": "Function.CommandFailed"}
    answer = api.call("POST", f"{RUNTIME}/invocation/req-1/error", b'{"errorType": "x"}', headers)
    assert answer.status == 202
    assert api.finish() == [Answered(b'{"errorType": "x"}', "Function.CommandFailed")]


def test_wrong_ids_repeated_answers_and_big_bodies_get_400_403_413(api: Api) -> None:
    """The status codes a runtime client has to cope with."""
    api.invoke(b"{}")
    api.call("GET", f"{RUNTIME}/invocation/next")
    assert api.call("POST", f"{RUNTIME}/invocation/other/response", b"{}").status == 400
    big = b"x" * (RESPONSE_LIMIT + 1)
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/response", big).status == 413
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/error", b"{}").status == 403
    outcome = api.finish()[0]
    assert isinstance(outcome, Answered)
    assert json.loads(outcome.body)["errorType"] == "Function.ResponseSizeTooLarge"


def test_a_chunked_answer_is_read_whole(api: Api) -> None:
    """A runtime may post its body in chunks; the invoker gets it joined."""
    api.invoke(b"{}")
    api.call("GET", f"{RUNTIME}/invocation/next")
    api.connection.request(
        "POST",
        f"{RUNTIME}/invocation/req-1/response",
        body=iter([b'{"a": ', b"1}"]),
        encode_chunked=True,
    )
    response = api.connection.getresponse()
    response.read()
    assert response.status == 202
    assert api.finish() == [Answered(b'{"a": 1}')]


def test_init_error_is_accepted_before_next_and_refused_after(api: Api) -> None:
    """POST init/error: 202 during init, 403 once next was called."""
    api.invoke(b"{}")
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.BadSetting"}
    assert api.call("POST", f"{RUNTIME}/init/error", b'{"errorType": "Bad"}', headers).status == 202
    assert api.finish() == [InitFailed(b'{"errorType": "Bad"}', "Runtime.BadSetting")]


def test_extension_registration_answers_an_identifier(api: Api) -> None:
    """POST /2020-01-01/extension/register answers 200 with Lambda-Extension-Identifier."""
    response = api.call(
        "POST",
        "/2020-01-01/extension/register",
        b'{"events": []}',
        {"Lambda-Extension-Name": "run-command"},
    )
    assert response.status == 200
    assert response.headers["Lambda-Extension-Identifier"]
    unknown = api.call(
        "GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": "x"}
    )
    assert unknown.status == 403


def test_unknown_paths_and_unknown_response_modes_are_refused(api: Api) -> None:
    """404 for what is not the Runtime API; 400 for a response mode other than `streaming`."""
    assert api.call("GET", "/2018-06-01/runtime/other").status == 404
    api.invoke(b"{}")
    api.call("GET", f"{RUNTIME}/invocation/next")
    buffered = {"Lambda-Runtime-Function-Response-Mode": "buffered"}
    response = api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}", buffered)
    assert response.status == 400
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}").status == 202
    assert api.finish() == [Answered(b"{}")]
