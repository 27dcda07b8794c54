"""End to end: the console script speaks the Runtime API's newer contract: invocation ids,
SnapStart's restore call, tenants (against the recording fake Runtime API)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fake_runtime_api import FakeRuntimeApi
from tests.runtime_process import RuntimeProcess

RUNTIME = "/2018-06-01/runtime"
INVOCATION_ID = "lambda-runtime-invocation-id"
TENANT = "Lambda-Runtime-Aws-Tenant-Id"
SHOW_TENANT = {"program": "sh", "arguments": ["-c", 'echo "tenant=${RUN_COMMAND_TENANT_ID-unset}"']}


def with_invocation_id(nonce: str) -> dict[str, str]:
    return {"Lambda-Runtime-Invocation-Id": nonce}


def test_every_answer_echoes_the_invocation_id_it_was_given(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A response, an error and a streamed response each carry their invocation's id."""
    ok = runtime_api.enqueue({"program": "true"}, headers=with_invocation_id("nonce-1"))
    failed = runtime_api.enqueue({"program": "false"}, headers=with_invocation_id("nonce-2"))
    streamed = runtime_api.enqueue(
        {"program": "echo", "arguments": ["hi"], "stream": True},
        headers=with_invocation_id("nonce-3"),
    )
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        runtime_api.wait_for_posts(3)
    posts = {post.request_id: post for post in runtime_api.posts}
    assert (posts[ok].kind, posts[ok].headers[INVOCATION_ID]) == ("response", "nonce-1")
    assert (posts[failed].kind, posts[failed].headers[INVOCATION_ID]) == ("error", "nonce-2")
    assert posts[streamed].streamed
    assert posts[streamed].headers[INVOCATION_ID] == "nonce-3"


def test_no_invocation_id_is_sent_when_none_was_given(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Without the header on `next`, no answer carries one."""
    runtime_api.enqueue({"program": "true"})
    runtime_api.enqueue({"program": "false"})
    runtime_api.enqueue({"program": "true", "stream": True})
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        posts = runtime_api.wait_for_posts(3)
    assert [INVOCATION_ID in post.headers for post in posts] == [False, False, False]


def test_a_410_on_any_answer_is_logged_once_and_the_loop_serves_on(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Gone (the invocation timed out) on a response, an error and a streamed response: one
    line naming the request id each, and the next invocation is answered as usual."""
    runtime_api.fail("response", 410, 410)
    runtime_api.fail("error", 410)
    late = [
        runtime_api.enqueue({"program": "true"}, headers=with_invocation_id("old-1")),
        runtime_api.enqueue({"program": "false"}, headers=with_invocation_id("old-2")),
        runtime_api.enqueue({"program": "true", "stream": True}),
    ]
    after = runtime_api.enqueue({"program": "echo", "arguments": ["still here"]})
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        outcome = runtime_api.outcome(after)
        runtime.terminate()
        runtime.wait()
    assert outcome.document["output"] == "still here\n"
    assert [post.request_id for post in runtime_api.posts] == [*late, after]
    assert runtime_api.posts[2].streamed
    for request_id in late:
        lines = [line for line in runtime.stderr.splitlines() if request_id in line]
        assert len(lines) == 1, runtime.stderr
        assert "410" in lines[0]
        assert "timed out" in lines[0]


def test_snap_start_asks_for_the_restore_before_its_first_event(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """With AWS_LAMBDA_INITIALIZATION_TYPE=snap-start: restore/next, then (only once restored)
    invocation/next; the event is served as usual."""
    runtime_api.restored.clear()
    request_id = runtime_api.enqueue({"program": "echo", "arguments": ["restored"]})
    env = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env):
        runtime_api.wait_for(lambda: f"GET {RUNTIME}/restore/next" in runtime_api.requests)
        assert f"GET {RUNTIME}/invocation/next" not in runtime_api.requests
        runtime_api.restored.set()
        outcome = runtime_api.outcome(request_id)
    assert outcome.document["output"] == "restored\n"
    runtime_calls = [r for r in runtime_api.requests if r.startswith(f"GET {RUNTIME}")]
    assert runtime_calls[:2] == [f"GET {RUNTIME}/restore/next", f"GET {RUNTIME}/invocation/next"]


def test_any_other_initialization_type_makes_no_restore_call(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """`on-demand` (or none): straight to invocation/next, never restore/next."""
    runtime_api.restored.clear()  # a restore call would hang: the event would never be served
    request_id = runtime_api.enqueue({"program": "true"})
    env = {"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env):
        assert runtime_api.outcome(request_id).kind == "response"
    assert not [r for r in runtime_api.requests if "/restore/" in r]


def test_a_failed_restore_call_ends_the_runtime_before_any_event(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """restore/next answered 500: the runtime exits non-zero without asking for an event."""
    runtime_api.fail("restore", 500)
    runtime_api.enqueue({"program": "true"})
    env = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        assert runtime.wait() != 0
    assert not [r for r in runtime_api.requests if r.endswith("/invocation/next")]
    assert runtime_api.posts == []


def test_the_tenant_reaches_the_command_and_never_the_next_invocation(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """RUN_COMMAND_TENANT_ID is the invocation's tenant, absent for the next one without."""
    acme = runtime_api.enqueue(SHOW_TENANT, headers={TENANT: "acme"})
    none = runtime_api.enqueue(SHOW_TENANT)
    spoofed = runtime_api.enqueue(
        {**SHOW_TENANT, "environment": {"RUN_COMMAND_TENANT_ID": "globex"}}, headers={TENANT: "a"}
    )
    with RuntimeProcess(console_script, runtime_api, tmp_path):
        runtime_api.wait_for_posts(3)
    outputs = [runtime_api.outcome(r).document for r in (acme, none, spoofed)]
    assert [document["output"] for document in outputs] == [
        "tenant=acme\n",
        "tenant=unset\n",
        "tenant=a\n",
    ]
    assert [document.get("tenantId") for document in outputs] == ["acme", None, "a"]


def test_error_bodies_and_json_log_records_carry_the_tenant(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """An error body has `tenantId`; the invocation's JSON log records too, the next's not."""
    failed = runtime_api.enqueue({"program": "false"}, headers={TENANT: "acme"})
    after = runtime_api.enqueue({"program": "true"})
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        runtime_api.wait_for_posts(2)
        runtime.terminate()
        runtime.wait()
    assert runtime_api.outcome(failed).document["tenantId"] == "acme"
    records = [json.loads(line) for line in runtime.stderr.splitlines() if line.startswith("{")]
    tenants = {record["requestId"]: record.get("tenantId") for record in records}
    assert tenants[failed] == "acme"
    assert tenants[after] is None
