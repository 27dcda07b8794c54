"""The standalone build's TLS: the idempotency guard over https in the sandbox, none without it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_runtime_api import FakeRuntimeApi, Post
from tests.local_dynamodb import LocalDynamoDb, LocalTable, TlsDynamoDb

from .conftest import RUNTIME, Sandbox
from .test_runtime_api import LAMBDA_VARIABLES

# The image's own bundle, where Debian, Ubuntu and Alpine keep it.
IMAGE_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
# What OpenSSL has mapped into the runtime, as a command (the runtime's child) sees it.
MAPPED_TLS = {
    "program": "sh",
    "arguments": [
        "-c",
        "grep -o -E '[^/]*(libpython|libssl|libcrypto|_ssl)[^/]*$' /proc/$PPID/maps",
    ],
}
# Each run prints a fresh random id, so a replay is told from a rerun by its output.
MIGRATION = {
    "program": "cat",
    "arguments": ["/proc/sys/kernel/random/uuid"],
    "idempotencyKey": "migrate-4.2",
}


@pytest.fixture
def tls_table(
    dynamodb: LocalDynamoDb, dynamodb_over_tls: TlsDynamoDb
) -> tuple[LocalTable, dict[str, str]]:
    """A new table, and the environment that reaches it over https only."""
    table = dynamodb.create_table()
    return table, {**table.environment, "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_over_tls.endpoint}


@pytest.fixture
def image_trusts_the_server(sandbox: Sandbox, dynamodb_over_tls: TlsDynamoDb) -> Iterator[None]:
    """The test's authority in the tree's CA bundle, as ca-certificates would put it there."""
    bundle = sandbox.root / IMAGE_BUNDLE
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(dynamodb_over_tls.authority_pem)
    yield
    bundle.unlink()


def serve(sandbox: Sandbox, api: FakeRuntimeApi, events: list[object], **env: str) -> list[Post]:
    """Start the runtime on `api`, let it answer `events` in order, stop it; its posts."""
    for event in events:
        api.enqueue(event)
    log_path = sandbox.root.parent / f"{sandbox.root.name}-runtime.log"
    environment = {**LAMBDA_VARIABLES, **env, "AWS_LAMBDA_RUNTIME_API": api.address}
    with log_path.open("wb") as log:
        runtime = sandbox.start_runtime(env=environment, log=log)
        try:
            posts = api.wait_for_posts(len(events), timeout=120)
        finally:
            runtime.kill()  # unshare --kill-child takes the whole sandbox along
            runtime.wait()
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text
    return posts


def test_with_the_guard_off_the_runtime_loads_no_tls(
    sandbox: Sandbox, runtime_api: FakeRuntimeApi
) -> None:
    """Serving from the Runtime API (urllib3 loaded), the runtime has no OpenSSL mapped."""
    (post,) = serve(sandbox, runtime_api, [MAPPED_TLS])
    mapped = set(str(post.document["output"]).split())
    assert any(name.startswith("libpython") for name in mapped)  # the runtime's own maps
    assert [name for name in mapped if "ssl" in name or "crypto" in name] == []


def test_over_https_a_guarded_command_runs_once_and_a_replay_returns_its_outcome(
    sandbox: Sandbox,
    runtime_api: FakeRuntimeApi,
    tls_table: tuple[LocalTable, dict[str, str]],
    image_trusts_the_server: None,
) -> None:
    """The guard on, DynamoDB at an https endpoint the image's CA bundle vouches for."""
    table, environment = tls_table
    first, replay, mapped = serve(
        sandbox, runtime_api, [MIGRATION, MIGRATION, MAPPED_TLS], **environment
    )
    assert first.kind == replay.kind == "response", first.document
    assert replay.document == first.document  # the same random id: the command ran once
    item = table.item("migrate-4.2")
    assert item is not None
    assert item["status"] == {"S": "COMPLETED"}
    assert json.loads(item["outcome"]["S"])["output"] == first.document["output"]
    libraries = str(mapped.document["output"]).split()
    for prefix in ("libssl.so", "libcrypto.so", "_ssl."):
        assert any(name.startswith(prefix) for name in libraries), (prefix, libraries)


def run_guarded(sandbox: Sandbox, **env: str) -> tuple[int, dict[str, object]]:
    """One guarded event in local mode: the exit status and the result body."""
    completed = sandbox.run(RUNTIME, "--result", "-", stdin=json.dumps(MIGRATION).encode(), env=env)
    return completed.returncode, json.loads(completed.stdout.decode().splitlines()[-1])


def test_the_servers_certificate_is_checked_against_the_builds_own_authorities(
    sandbox: Sandbox, tls_table: tuple[LocalTable, dict[str, str]]
) -> None:
    """No CA bundle in the image: Mozilla's, carried by the build, refuses the test's server."""
    table, environment = tls_table
    status, body = run_guarded(sandbox, **environment)
    assert (status, body["errorType"]) == (125, "RuntimeFailure"), body
    message = str(body["errorMessage"])
    assert "certificate verify failed" in message
    assert "/opt/run-command-on-aws-lambda/_internal/tls/cacert.pem" in message
    assert table.items() == []  # nothing was claimed, nothing ran


def test_ssl_cert_file_names_the_authorities_to_trust(
    sandbox: Sandbox, dynamodb_over_tls: TlsDynamoDb, tls_table: tuple[LocalTable, dict[str, str]]
) -> None:
    """An authority outside the usual places, named by SSL_CERT_FILE, is trusted."""
    table, environment = tls_table
    authority = sandbox.root / "etc" / "test-authority.pem"
    authority.write_bytes(dynamodb_over_tls.authority_pem)
    try:
        status, body = run_guarded(sandbox, **environment, SSL_CERT_FILE="/etc/test-authority.pem")
    finally:
        authority.unlink()
    assert (status, body.get("errorType")) == (0, None), body
    item = table.item("migrate-4.2")
    assert item is not None
    assert item["status"] == {"S": "COMPLETED"}


def test_the_build_keeps_tls_off_the_import_path(standalone: Path) -> None:
    """ssl and _ssl are in the build's TLS folder only, with a CA bundle beside them."""
    bundled = standalone / "_internal"
    assert (bundled / "tls" / "ssl.pyc").is_file()
    assert [path.name for path in (bundled / "tls").glob("_ssl.*.so")] != []
    assert (bundled / "tls" / "cacert.pem").read_text().count("BEGIN CERTIFICATE") > 100
    modules = [path for path in bundled.rglob("*") if path.name.startswith(("ssl.", "_ssl."))]
    assert sorted(path.relative_to(bundled).parts[0] for path in modules) == ["tls", "tls"]
