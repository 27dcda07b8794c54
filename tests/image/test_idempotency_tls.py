"""The built image's idempotency guard over https: the Dockerfile's build brings its own TLS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.local_dynamodb import LocalDynamoDb, TlsDynamoDb

from .conftest import LAMBDA_LIKE
from .engine import Engine

MIGRATION = {
    "program": "cat",
    "arguments": ["/proc/sys/kernel/random/uuid"],
    "idempotencyKey": "migrate-4.2",
}


def run_guarded(
    engine: Engine, image: str, environment: dict[str, str], *options: str
) -> tuple[int, Any]:
    """One guarded event, in Lambda's sandbox on the host's network: status and result body."""
    variables = [
        option for name, value in environment.items() for option in ("-e", f"{name}={value}")
    ]
    completed = engine.docker(
        "run",
        "-i",
        "--rm",
        "--network",
        "host",
        *LAMBDA_LIKE,
        *variables,
        *options,
        image,
        "--result",
        "-",
        stdin=json.dumps(MIGRATION).encode(),
    )
    assert b"Traceback" not in completed.stderr, completed.stderr.decode()
    return completed.returncode, json.loads(completed.stdout.decode().splitlines()[-1])


def test_the_slim_image_reaches_an_https_dynamodb_and_checks_its_certificate(
    engine: Engine,
    image: str,
    dynamodb: LocalDynamoDb,
    dynamodb_over_tls: TlsDynamoDb,
    tmp_path: Path,
) -> None:
    """No CA certificates in the image: the build's refuse the test's server; SSL_CERT_FILE
    naming its authority lets the command run once, and a second container replays it."""
    table = dynamodb.create_table()
    environment = {**table.environment, "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_over_tls.endpoint}
    status, refused = run_guarded(engine, image, environment)
    assert (status, refused["errorType"]) == (125, "RuntimeFailure"), refused
    assert "certificate verify failed" in refused["errorMessage"]
    assert "/opt/run-command-on-aws-lambda/_internal/tls/cacert.pem" in refused["errorMessage"]
    authority = tmp_path / "authority.pem"
    authority.write_bytes(dynamodb_over_tls.authority_pem)
    authority.chmod(0o644)
    trusted = ("-v", f"{authority}:/etc/test-authority.pem:ro")
    environment["SSL_CERT_FILE"] = "/etc/test-authority.pem"
    first = run_guarded(engine, image, environment, *trusted)
    replay = run_guarded(engine, image, environment, *trusted)
    assert first[0] == 0, first
    assert replay == first  # the same random id: the command ran once
    item = table.item("migrate-4.2")
    assert item is not None
    assert item["status"] == {"S": "COMPLETED"}
