"""The standard-library SigV4 signer signs exactly as botocore does, on fixed inputs."""

from __future__ import annotations

import datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from run_command_on_aws_lambda.adapters.aws.sigv4 import Credentials, sign

NOW = datetime.datetime(2026, 11, 30, 7, 46, 36, tzinfo=datetime.UTC)
BODY = b'{"TableName": "idempotency", "Key": {"id": {"S": "migrate-4.2"}}, "ConsistentRead": true}'
HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.GetItem",
}


def botocore_headers(
    url: str, credentials: Credentials, region: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The headers botocore's SigV4Auth adds to the same request at the same instant."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=BODY, headers=dict(HEADERS))
    boto = BotoCredentials(
        credentials.access_key, credentials.secret_key, credentials.session_token
    )
    SigV4Auth(boto, "dynamodb", region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://dynamodb.eu-west-1.amazonaws.com/", "dynamodb.eu-west-1.amazonaws.com"),
        ("http://127.0.0.1:4566/", "127.0.0.1:4566"),
    ],
)
@pytest.mark.parametrize("session_token", [None, "FQoGZXIvYXdzEJr//////////wEaDOP+token="])
def test_the_signature_matches_botocore(
    url: str, host: str, session_token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Authorization, X-Amz-Date and the session token are what botocore computes."""
    credentials = Credentials(
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",  # noqa: S106 - AWS's example
        session_token=session_token,
    )
    ours = sign(
        method="POST",
        host=host,
        path="/",
        headers=HEADERS,
        body=BODY,
        credentials=credentials,
        region="eu-west-1",
        service="dynamodb",
        now=NOW,
    )
    theirs = botocore_headers(url, credentials, "eu-west-1", monkeypatch)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == "20261130T074636Z"
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token")
    assert "Signature=" in ours["Authorization"]


def test_headers_with_runs_of_spaces_are_signed_as_botocore_signs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Header values are trimmed and their inner spaces collapsed before signing."""
    credentials = Credentials(access_key="AKID", secret_key="secret")  # noqa: S106 - a dummy
    headers = {**HEADERS, "X-Amz-Meta-Note": "  two   spaces  "}
    ours = sign(
        method="POST",
        host="dynamodb.us-east-1.amazonaws.com",
        path="/",
        headers=headers,
        body=BODY,
        credentials=credentials,
        region="us-east-1",
        service="dynamodb",
        now=NOW,
    )
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW.replace(tzinfo=None))
    request = AWSRequest(
        method="POST", url="https://dynamodb.us-east-1.amazonaws.com/", data=BODY, headers=headers
    )
    SigV4Auth(BotoCredentials("AKID", "secret"), "dynamodb", "us-east-1").add_auth(request)
    assert ours["Authorization"] == request.headers["Authorization"]


def test_the_secret_never_shows_in_the_credentials_repr() -> None:
    """Logging the credentials object shows the key id, never the secret or the token."""
    dummy = {"access_key": "AKID", "secret_key": "s3cr3t", "session_token": "t0ken"}
    shown = repr(Credentials(**dummy))
    assert "AKID" in shown
    assert "s3cr3t" not in shown
    assert "t0ken" not in shown
