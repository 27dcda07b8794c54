"""Integration: the Runtime API client against a real HTTP server (pytest-httpserver)."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from run_command_on_aws_lambda.adapters.runtime_api.client import (
    ApiConnectionError,
    ApiContractError,
    ApiStatusError,
    ExtensionsApiClient,
    RuntimeApiClient,
    open_pool,
)
from run_command_on_aws_lambda.domain.errors import ConfigurationError
from run_command_on_aws_lambda.domain.invocation import Invocation
from tests.fake_runtime_api import FakeRuntimeApi, closed_port

NEXT = "/2018-06-01/runtime/invocation/next"
EVERY_HEADER = {
    "Lambda-Runtime-Aws-Request-Id": "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
    "Lambda-Runtime-Deadline-Ms": "1542409706888",
    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-2:123456789012:function:f",
    "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
    "Lambda-Runtime-Client-Context": '{"client": {}}',
    "Lambda-Runtime-Cognito-Identity": '{"cognitoIdentityId": "x"}',
    "Lambda-Runtime-Aws-Tenant-Id": "tenant-1",
}


def client_for(httpserver: HTTPServer) -> RuntimeApiClient:
    return RuntimeApiClient(open_pool(f"{httpserver.host}:{httpserver.port}"))


def test_next_parses_every_header_into_the_invocation(httpserver: HTTPServer) -> None:
    """The headers of `next` are read once into a frozen Invocation, the body kept as bytes."""
    httpserver.expect_oneshot_request(NEXT, method="GET").respond_with_data(
        b'{"program": "id"}', headers=EVERY_HEADER
    )
    invocation = client_for(httpserver).next()
    assert invocation == Invocation(
        request_id="8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        payload=b'{"program": "id"}',
        deadline_ms=1542409706888,
        function_arn="arn:aws:lambda:us-east-2:123456789012:function:f",
        trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
        client_context='{"client": {}}',
        cognito_identity='{"cognitoIdentityId": "x"}',
        tenant_id="tenant-1",
    )


def test_next_without_optional_headers_leaves_them_unset(httpserver: HTTPServer) -> None:
    """Lambda sends a header only when it has a value; absent ones are None, not ''."""
    headers = {"Lambda-Runtime-Aws-Request-Id": "r1", "Lambda-Runtime-Deadline-Ms": "5"}
    httpserver.expect_oneshot_request(NEXT).respond_with_data(b"{}", headers=headers)
    invocation = client_for(httpserver).next()
    assert invocation == Invocation(request_id="r1", payload=b"{}", deadline_ms=5)


@pytest.mark.parametrize(
    ("headers", "complaint"),
    [
        ({"Lambda-Runtime-Deadline-Ms": "5"}, "no Lambda-Runtime-Aws-Request-Id header"),
        (
            {"Lambda-Runtime-Aws-Request-Id": "r1", "Lambda-Runtime-Deadline-Ms": "soon"},
            "Lambda-Runtime-Deadline-Ms is not a number: 'soon'",
        ),
    ],
)
def test_malformed_next_headers_break_the_contract(
    httpserver: HTTPServer, headers: dict[str, str], complaint: str
) -> None:
    """A missing request id or a deadline that is not a number is a contract violation."""
    httpserver.expect_oneshot_request(NEXT).respond_with_data(b"{}", headers=headers)
    with pytest.raises(ApiContractError, match=complaint):
        client_for(httpserver).next()


def test_a_500_on_next_is_a_status_error(httpserver: HTTPServer) -> None:
    """The API's 500 (the container is broken) surfaces with its status and body excerpt."""
    httpserver.expect_oneshot_request(NEXT).respond_with_data(b"broken", status=500)
    with pytest.raises(ApiStatusError, match="answered 500: broken") as raised:
        client_for(httpserver).next()
    assert raised.value.status == 500


def test_response_posts_the_body_exactly(httpserver: HTTPServer) -> None:
    """POST …/{id}/response carries the body byte for byte, as JSON."""
    path = "/2018-06-01/runtime/invocation/r1/response"
    httpserver.expect_oneshot_request(path, method="POST").respond_with_data(b"", status=202)
    client_for(httpserver).response("r1", b'{"exitCode": 0}')
    request, _ = httpserver.log[0]
    assert request.get_data() == b'{"exitCode": 0}'
    assert request.headers["Content-Type"] == "application/json"
    assert "Lambda-Runtime-Function-Error-Type" not in request.headers


def test_error_posts_the_function_error_type_header(httpserver: HTTPServer) -> None:
    """POST …/{id}/error says `Function.<errorType>`, the only form Lambda keeps."""
    path = "/2018-06-01/runtime/invocation/r1/error"
    httpserver.expect_oneshot_request(
        path,
        method="POST",
        headers={"Lambda-Runtime-Function-Error-Type": "Function.CommandFailed"},
    ).respond_with_data(b"", status=202)
    client_for(httpserver).error("r1", b'{"errorType": "CommandFailed"}', "CommandFailed")
    httpserver.check_assertions()
    assert httpserver.log[0][0].get_data() == b'{"errorType": "CommandFailed"}'


def test_init_error_posts_a_runtime_error_type(httpserver: HTTPServer) -> None:
    """POST …/init/error says `Runtime.<reason>`."""
    httpserver.expect_oneshot_request(
        "/2018-06-01/runtime/init/error",
        method="POST",
        headers={"Lambda-Runtime-Function-Error-Type": "Runtime.InvalidConfiguration"},
    ).respond_with_data(b"", status=202)
    client_for(httpserver).init_error(b"{}", "InvalidConfiguration")
    httpserver.check_assertions()


@pytest.mark.parametrize("status", [400, 403, 413])
def test_a_refused_post_is_a_status_error_with_its_status(
    httpserver: HTTPServer, status: int
) -> None:
    """The client reports every refusal; what to do about it is the transport's decision."""
    path = "/2018-06-01/runtime/invocation/r1/response"
    httpserver.expect_oneshot_request(path).respond_with_data(b"no", status=status)
    with pytest.raises(ApiStatusError) as raised:
        client_for(httpserver).response("r1", b"{}")
    assert raised.value.status == status


def test_a_refused_connection_is_a_connection_error() -> None:
    """Nothing listening is an ApiConnectionError (the transport retries those on `next`)."""
    client = RuntimeApiClient(open_pool(f"127.0.0.1:{closed_port()}"))
    with pytest.raises(ApiConnectionError, match="cannot reach the API"):
        client.next()


@pytest.mark.parametrize("address", ["", "localhost", "127.0.0.1:", ":9001", "host:port", "h:0"])
def test_an_invalid_api_address_is_a_configuration_error(address: str) -> None:
    """AWS_LAMBDA_RUNTIME_API must be host:port."""
    with pytest.raises(ConfigurationError, match="expected host:port"):
        open_pool(address)


def test_the_client_keeps_one_connection_for_many_invocations(
    runtime_api: FakeRuntimeApi,
) -> None:
    """No per-invocation connection set-up: next and posts reuse one keep-alive connection."""
    client = RuntimeApiClient(open_pool(runtime_api.address))
    for number in range(5):
        request_id = runtime_api.enqueue({"program": "true"})
        assert client.next().request_id == request_id
        client.response(request_id, json.dumps({"n": number}).encode())
    assert runtime_api.connections == 1
    assert [post.document for post in runtime_api.posts] == [{"n": n} for n in range(5)]


def test_extension_registration_names_the_extension_and_asks_for_no_events(
    httpserver: HTTPServer,
) -> None:
    """POST /2020-01-01/extension/register with its name and `{"events": []}`."""
    httpserver.expect_oneshot_request(
        "/2020-01-01/extension/register",
        method="POST",
        headers={"Lambda-Extension-Name": "run-command-on-aws-lambda"},
        json={"events": []},
    ).respond_with_data(b"{}", headers={"Lambda-Extension-Identifier": "ext-1"})
    client = ExtensionsApiClient(open_pool(f"{httpserver.host}:{httpserver.port}"))
    assert client.register("run-command-on-aws-lambda") == "ext-1"
    httpserver.check_assertions()


def test_a_request_id_is_quoted_into_a_single_path_segment(runtime_api: FakeRuntimeApi) -> None:
    """A request id with '/' or '?' cannot post to another endpoint."""
    RuntimeApiClient(open_pool(runtime_api.address)).response("a/../b?c", b"{}")
    [post] = runtime_api.posts
    assert (post.kind, post.request_id) == ("response", "a%2F..%2Fb%3Fc")
