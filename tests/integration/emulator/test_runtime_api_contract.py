"""Integration: the emulator's Runtime API over real HTTP: invocation ids, the restore calls
and the tenant header, as a runtime's client sees them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from run_command_on_aws_lambda.adapters.emulator.exchange import Exchange
from run_command_on_aws_lambda.adapters.emulator.outcomes import Answered, InitFailed, TimedOut
from run_command_on_aws_lambda.adapters.emulator.shared_exchange import SharedExchange
from tests.integration.emulator.test_runtime_api import RUNTIME, Api

INVOCATION_ID = "Lambda-Runtime-Invocation-Id"


@pytest.fixture
def api() -> Iterator[Api]:
    api = Api(Exchange(timeout=30))
    yield api
    api.close()


def take_event(api: Api) -> str:
    """GET next; returns the invocation id it carried."""
    api.connection.request("GET", f"{RUNTIME}/invocation/next")
    response = api.connection.getresponse()
    response.read()
    assert response.status == 200
    invocation_id = response.headers[INVOCATION_ID]
    assert invocation_id
    return invocation_id


def test_an_answer_with_its_invocation_id_is_taken(api: Api) -> None:
    """The id `next` gave, echoed on the response: 202."""
    api.invoke(b"{}")
    invocation_id = take_event(api)
    headers = {INVOCATION_ID: invocation_id}
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}", headers).status == 202
    assert api.finish() == [Answered(b"{}")]


@pytest.mark.parametrize("kind", ["response", "error"])
def test_an_answer_with_a_wrong_invocation_id_is_410_invoke_timeout(api: Api, kind: str) -> None:
    """Lambda's 410 Gone, `InvokeTimeout`; the invocation still takes its own answer."""
    api.invoke(b"{}")
    invocation_id = take_event(api)
    wrong = api.call("POST", f"{RUNTIME}/invocation/req-1/{kind}", b"{}", {INVOCATION_ID: "x"})
    assert wrong.status == 410
    right = {INVOCATION_ID: invocation_id}
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}", right).status == 202
    assert api.finish() == [Answered(b"{}")]


def test_a_streamed_answer_with_a_wrong_invocation_id_is_410(api: Api) -> None:
    """The streamed response's headers carry the wrong id: refused before its body is used."""
    api.invoke(b"{}")
    invocation_id = take_event(api)
    headers = {
        INVOCATION_ID: "x",
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        "Transfer-Encoding": "chunked",
    }
    answer = api.call(
        "POST", f"{RUNTIME}/invocation/req-1/response", b"2\r\nhi\r\n0\r\n\r\n", headers
    )
    assert answer.status == 410
    right = {INVOCATION_ID: invocation_id}
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}", right).status == 202
    assert api.finish() == [Answered(b"{}")]


def test_a_410_says_invoke_timeout_in_lambdas_error_shape(api: Api) -> None:
    """The body names the error type AWS's clients look for."""
    api.invoke(b"{}")
    take_event(api)
    api.connection.request(
        "POST", f"{RUNTIME}/invocation/req-1/error", body=b"{}", headers={INVOCATION_ID: "x"}
    )
    response = api.connection.getresponse()
    assert json.loads(response.read())["errorType"] == "InvokeTimeout"
    assert api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}").status == 202
    api.finish()


def test_the_tenant_id_reaches_the_runtime_only_when_there_is_one(api: Api) -> None:
    """Lambda-Runtime-Aws-Tenant-Id on `next` for a tenant's event, absent otherwise."""
    api.invoke(b"{}", tenant_id="acme")
    api.connection.request("GET", f"{RUNTIME}/invocation/next")
    response = api.connection.getresponse()
    response.read()
    assert response.headers["Lambda-Runtime-Aws-Tenant-Id"] == "acme"
    api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}")
    api.finish()
    api.invoke(b"{}")
    api.connection.request("GET", f"{RUNTIME}/invocation/next")
    response = api.connection.getresponse()
    response.read()
    assert "Lambda-Runtime-Aws-Tenant-Id" not in response.headers
    api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}")
    assert len(api.finish()) == 2


def test_restore_next_is_answered_and_restore_error_fails_the_invocation(api: Api) -> None:
    """A SnapStart runtime's calls: 200 at once, then its restore/error is the outcome."""
    assert api.call("GET", f"{RUNTIME}/restore/next").status == 200
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.AfterRestoreError"}
    body = b'{"errorType": "Runtime.AfterRestoreError"}'
    assert api.call("POST", f"{RUNTIME}/restore/error", body, headers).status == 202
    api.invoke(b"{}")
    assert api.finish() == [InitFailed(body, "Runtime.AfterRestoreError")]


def test_restore_next_after_next_is_a_403(api: Api) -> None:
    """The restore comes before the first event, never after."""
    api.invoke(b"{}")
    take_event(api)
    assert api.call("GET", f"{RUNTIME}/restore/next").status == 403
    api.call("POST", f"{RUNTIME}/invocation/req-1/response", b"{}")
    api.finish()


@pytest.mark.parametrize("kind", [Exchange, SharedExchange])
@pytest.mark.parametrize("answer", ["response", "error", "streamed"])
def test_an_answer_after_the_invocation_timed_out_is_410_invoke_timeout(
    kind: type[Exchange], answer: str
) -> None:
    """A late answer, with or without its invocation id, is Gone in Lambda's error shape."""
    api = Api(kind(timeout=0.1))
    try:
        api.invoke(b"{}")
        invocation_id = take_event(api)
        assert api.finish() == [TimedOut(0.1, during_init=False)]
        headers = {INVOCATION_ID: invocation_id}
        body = b"{}"
        if answer == "streamed":
            headers |= {
                "Lambda-Runtime-Function-Response-Mode": "streaming",
                "Transfer-Encoding": "chunked",
            }
            body = b"2\r\nhi\r\n0\r\n\r\n"
        path = f"{RUNTIME}/invocation/req-1/{'error' if answer == 'error' else 'response'}"
        api.connection.request("POST", path, body=body, headers=headers)
        response = api.connection.getresponse()
        assert response.status == 410
        assert json.loads(response.read())["errorType"] == "InvokeTimeout"
        unknown = api.call("POST", f"{RUNTIME}/invocation/never/response", b"{}")
        assert unknown.status == 400
    finally:
        api.close()
