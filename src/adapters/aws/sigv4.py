"""Adapter: AWS Signature Version 4 on the standard library (DynamoDB, Secrets Manager, SSM).

boto3 would add about 160 ms to a cold start and 36 MB to the image for a few JSON calls;
this is the whole of what they need. Tested against botocore's own signer on fixed inputs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """What Lambda puts in the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and,
    for a role's temporary credentials, AWS_SESSION_TOKEN."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def sign(
    *,
    method: str,
    host: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """`headers` plus Host, X-Amz-Date, X-Amz-Security-Token and Authorization; `now` in UTC.

    Every header given is signed; `path` is already URI-encoded and has no query string.
    """
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    signed = {**headers, "Host": host, "X-Amz-Date": stamp}
    if credentials.session_token:
        signed["X-Amz-Security-Token"] = credentials.session_token
    canonical = {name.lower(): " ".join(value.split()) for name, value in signed.items()}
    names = sorted(canonical)
    signed_names = ";".join(names)
    canonical_request = "\n".join(
        [
            method,
            path,
            "",  # the query string
            *(f"{name}:{canonical[name]}" for name in names),
            "",
            signed_names,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = f"AWS4{credentials.secret_key}".encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_names}, Signature={signature}"
    )
    return signed
