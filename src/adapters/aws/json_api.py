"""Adapter: one AWS JSON API at one endpoint: signed POSTs over urllib3, errors translated.

The one place that signs and posts AWS JSON-protocol calls (`X-Amz-Target: Service.Action`):
Secrets Manager and Systems Manager speak JSON 1.1, DynamoDB (the idempotency store) 1.0.
By default a throttled call, a 5xx and a connection that fails are tried again twice, after
0.1 and 0.2 s, as the SDKs do; anything else ends in an `AwsCallFailed` that says what the
service answered, and carries its status, its code and its JSON for the caller to map.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import urllib3

from .sigv4 import Credentials, sign

TIMEOUT = urllib3.Timeout(connect=2.0, read=5.0)
ATTEMPTS = 3
FIRST_BACKOFF = 0.1
MESSAGE_LIMIT = 300
JSON_1_0 = "application/x-amz-json-1.0"
JSON_1_1 = "application/x-amz-json-1.1"
_THROTTLED = frozenset({"ThrottlingException", "TooManyUpdates", "RequestLimitExceeded"})


class AwsCallFailed(Exception):  # noqa: N818 - reads as what happened
    """A call could not be made (`status` `None`), or the service refused it.

    `code` is AWS's error code (`None` when the answer had none), `reason` what the service
    said (or why the connection failed), `answer` the service's JSON object (else empty).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        reason: str = "",
        answer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.reason = reason
        self.answer = answer if answer is not None else {}


def default_endpoint(service: str, region: str) -> str:
    """The region's public endpoint of `service` (its endpoint prefix: `ssm`, `dynamodb`)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}"


def connection_pool(*, maxsize: int, ca_certs: str | None) -> urllib3.PoolManager:
    """A pool for AWS endpoints: the timeouts above, no retries of urllib3's (`JsonApi` has
    its own), `ca_certs` the authorities an https endpoint is checked against (see trust.py)."""
    return urllib3.PoolManager(maxsize=maxsize, retries=False, timeout=TIMEOUT, ca_certs=ca_certs)


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class JsonApi:
    """Calls `title`'s actions at `endpoint`, signed for `service` in `region`.

    `ca_certs` is what `pool` trusts (`None`: OpenSSL's default locations), named when an
    endpoint's certificate fails verification; `attempts` 1 tries each call once.
    Safe to call from several threads at once (urllib3's pool is).
    """

    def __init__(
        self,
        *,
        title: str,
        service: str,
        endpoint: str,
        region: str,
        credentials: Credentials,
        pool: urllib3.PoolManager,
        ca_certs: str | None = None,
        content_type: str = JSON_1_1,
        attempts: int = ATTEMPTS,
        utc_now: Callable[[], datetime.datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.title = title
        self.endpoint = endpoint
        parts = urlsplit(endpoint)
        default_port = {"https": 443, "http": 80}.get(parts.scheme)
        # The Host header carries the port only when it is not the scheme's own (as botocore).
        port = parts.port or default_port
        self._host = (parts.hostname or "") if port == default_port else parts.netloc
        self._url = f"{parts.scheme}://{parts.netloc}/"
        self._service = service
        self._region = region
        self._credentials = credentials
        self._pool = pool
        self._ca_certs = ca_certs
        self._content_type = content_type
        self._attempts = attempts
        self._utc_now = utc_now
        self._sleep = sleep

    def call(self, target: str, request: dict[str, object]) -> dict[str, Any]:
        """POST `request` as `X-Amz-Target: target`; the answer's JSON object."""
        body = json.dumps(request).encode()
        for attempt in range(self._attempts):
            try:
                return self._post(target, body)
            except AwsCallFailed as failure:
                if attempt + 1 == self._attempts or not _worth_retrying(failure):
                    raise
            self._sleep(FIRST_BACKOFF * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, target: str, body: bytes) -> dict[str, Any]:
        headers = sign(
            method="POST",
            host=self._host,
            path="/",
            headers={"Content-Type": self._content_type, "X-Amz-Target": target},
            body=body,
            credentials=self._credentials,
            region=self._region,
            service=self._service,
            now=self._utc_now(),
        )
        try:
            response = self._pool.request("POST", self._url, body=body, headers=headers)
        except urllib3.exceptions.HTTPError as error:
            reason = f"{error}{self._tls_hint(error)}"
            raise AwsCallFailed(
                f"{self.title} could not be reached at {self.endpoint}: {reason}", reason=reason
            ) from None
        return _answer(self.title, response.status, response.data)

    def _tls_hint(self, error: urllib3.exceptions.HTTPError) -> str:
        if not isinstance(error, urllib3.exceptions.SSLError):
            return ""
        authorities = self._ca_certs or "OpenSSL's default locations (SSL_CERT_FILE, SSL_CERT_DIR)"
        return f" (the certificate authorities trusted are those in {authorities})"


def _worth_retrying(failure: AwsCallFailed) -> bool:
    return failure.status is None or failure.status >= 500 or failure.code in _THROTTLED


def _answer(title: str, status: int, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data) if data else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    if status == 200:
        return document
    code = str(document.get("__type", "")).rpartition("#")[2] or None
    reason = str(
        document.get("message")
        or document.get("Message")
        or data[:MESSAGE_LIMIT].decode("utf-8", "replace")
    )
    if len(reason) > MESSAGE_LIMIT:
        reason = f"{reason[:MESSAGE_LIMIT]}..."
    ending = "" if reason.endswith(".") else "."
    raise AwsCallFailed(
        f"{title} answered {code or status}: {reason}{ending}",
        status=status,
        code=code,
        reason=reason,
        answer=document,
    )
