"""Integration: SnapStart's restore calls, over real HTTP against the recording Runtime API."""

from __future__ import annotations

import logging
import random

import pytest

from run_command_on_aws_lambda.adapters.runtime_api.client import (
    ApiStatusError,
    RuntimeApiClient,
    open_pool,
)
from run_command_on_aws_lambda.app.snapstart import restore, snap_start
from tests.fake_runtime_api import FakeRuntimeApi

RESTORE_NEXT = "GET /2018-06-01/runtime/restore/next"


def test_a_restore_renews_the_connection_and_the_random_state(
    runtime_api: FakeRuntimeApi,
) -> None:
    """After restore/next the next call goes over a new connection; random draws differ."""
    client = RuntimeApiClient(open_pool(runtime_api.address))
    random.seed(7)
    expected_without_reseed = random.Random(7).random()  # noqa: S311 - not for secrets
    assert restore(client) is True
    assert random.random() != expected_without_reseed  # noqa: S311
    request_id = runtime_api.enqueue({})
    assert client.next().request_id == request_id
    assert runtime_api.requests[0] == RESTORE_NEXT
    assert runtime_api.connections == 2


def test_a_renewal_that_fails_is_reported_to_restore_error(
    runtime_api: FakeRuntimeApi, caplog: pytest.LogCaptureFixture
) -> None:
    """The failure goes to restore/error with Runtime.AfterRestoreError; no event is asked for."""
    client = RuntimeApiClient(open_pool(runtime_api.address))

    def renew() -> None:
        raise OSError("no entropy")

    with caplog.at_level(logging.ERROR, "run_command_on_aws_lambda"):
        assert restore(client, renew) is False
    (post,) = runtime_api.posts
    assert post.kind == "restore-error"
    assert post.error_type_header == "Runtime.AfterRestoreError"
    assert post.document["errorType"] == "Runtime.AfterRestoreError"
    assert "no entropy" in str(post.document["errorMessage"])
    assert not [r for r in runtime_api.requests if r.endswith("/invocation/next")]
    assert "no entropy" in caplog.text


def test_a_restore_call_the_api_refuses_is_a_transport_fault(
    runtime_api: FakeRuntimeApi,
) -> None:
    """restore/next answered 500 raises (the runtime then exits), nothing is posted."""
    runtime_api.fail("restore", 500)
    client = RuntimeApiClient(open_pool(runtime_api.address))
    with pytest.raises(ApiStatusError):
        restore(client)
    assert runtime_api.posts == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("snap-start", True), ("on-demand", False), ("provisioned-concurrency", False), ("", False)],
)
def test_only_snap_start_asks_for_the_restore(value: str, expected: bool) -> None:
    """AWS_LAMBDA_INITIALIZATION_TYPE=snap-start alone turns the restore call on."""
    assert snap_start({"AWS_LAMBDA_INITIALIZATION_TYPE": value}) is expected
