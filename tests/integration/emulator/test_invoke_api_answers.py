"""Integration: every answer of the emulated Invoke API carries X-Amzn-RequestId, as Lambda's
do, and a tenant id reaches the invoker (a stand-in invoker behind a real HTTP server)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from run_command_on_aws_lambda.adapters.emulator.invoke_api import (
    ASYNC_PAYLOAD_LIMIT,
    InvokeApiServer,
    InvokeRequest,
    InvokeResult,
    ThrottledError,
)

INVOKE = "/2015-03-31/functions/function/invocations"
STREAM = "/2021-11-15/functions/function/response-streaming-invocations"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class StandIn:
    """An invoker that records requests; throttles while `throttled` is set."""

    throttled: bool = False
    requests: list[InvokeRequest] = field(default_factory=list)

    def invoke(
        self,
        request: InvokeRequest,
        on_output: Callable[[bytes], None] | None = None,
        on_admitted: Callable[[], None] | None = None,
    ) -> InvokeResult:
        if self.throttled:
            raise ThrottledError
        self.requests.append(request)
        if on_admitted is not None:
            on_admitted()
        return InvokeResult(body=b"{}", error_type=None, log=b"")

    def enqueue(self, request: InvokeRequest) -> None:
        self.requests.append(request)


@pytest.fixture
def stand_in() -> StandIn:
    return StandIn()


@pytest.fixture
def post(stand_in: StandIn) -> Iterator[Callable[..., Answer]]:
    server = InvokeApiServer(stand_in, ("127.0.0.1", 0))
    server.start("invoke-api")

    def send(
        path: str = INVOKE, body: bytes = b"{}", headers: dict[str, str] | None = None
    ) -> Answer:
        connection = http.client.HTTPConnection(server.url_address, timeout=30)
        connection.request("POST", path, body=body, headers=headers or {})
        response = connection.getresponse()
        answer = Answer(response.status, response.headers, response.read())
        connection.close()
        return answer

    yield send
    server.stop()


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b"{}", 200),
        ({"X-Amz-Invocation-Type": "Event"}, b"{}", 202),
        ({"X-Amz-Invocation-Type": "DryRun"}, b"{}", 204),
        ({}, b"{oops", 400),
        ({"X-Amz-Invocation-Type": "Sometimes"}, b"{}", 400),
        ({"Origin": "https://example.com"}, b"{}", 403),
        ({"X-Amz-Invocation-Type": "Event"}, b" " * (ASYNC_PAYLOAD_LIMIT + 1), 413),
    ],
)
def test_every_answer_carries_a_request_id(
    post: Callable[..., Answer],
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    """200, 202 Event, 204 DryRun, 400, 403 and 413 each name their request."""
    response = post(body=body, headers=headers)
    assert response.status == status
    assert response.headers["X-Amzn-RequestId"]


def test_a_throttled_invocation_carries_a_request_id(
    post: Callable[..., Answer], stand_in: StandIn
) -> None:
    """429 TooManyRequestsException names its request too, buffered or streamed."""
    stand_in.throttled = True
    for path in (INVOKE, STREAM):
        response = post(path)
        assert response.status == 429
        assert response.headers["X-Amzn-RequestId"]


def test_each_answer_has_its_own_request_id_the_invocation_s(
    post: Callable[..., Answer], stand_in: StandIn
) -> None:
    """Two answers, two ids; the id in the header is the invocation's."""
    first, second = post(), post()
    assert first.headers["X-Amzn-RequestId"] != second.headers["X-Amzn-RequestId"]
    assert [request.request_id for request in stand_in.requests] == [
        first.headers["X-Amzn-RequestId"],
        second.headers["X-Amzn-RequestId"],
    ]


def test_the_tenant_id_reaches_the_invoker(post: Callable[..., Answer], stand_in: StandIn) -> None:
    """X-Amz-Tenant-Id (boto3's TenantId) becomes the invocation's tenant; none is none."""
    post(headers={"X-Amz-Tenant-Id": "acme"})
    post(STREAM, headers={"X-Amz-Tenant-Id": "globex"})
    post()
    assert [request.tenant_id for request in stand_in.requests] == ["acme", "globex", None]


@pytest.mark.parametrize("tenant", ["", "a" * 257, "semi;colon", "new\tline"])
def test_an_invalid_tenant_id_is_refused_like_lambda(
    post: Callable[..., Answer], stand_in: StandIn, tenant: str
) -> None:
    """400 InvalidParameterValueException that says what a tenant id may hold."""
    response = post(headers={"X-Amz-Tenant-Id": tenant})
    assert response.status == 400
    assert response.headers["X-Amzn-ErrorType"] == "InvalidParameterValueException"
    assert "X-Amz-Tenant-Id" in json.loads(response.body)["message"]
    assert stand_in.requests == []
