"""Adapter: one AWS JSON 1.1 API at one endpoint: signed POSTs over urllib3, errors translated.

Secrets Manager and Systems Manager speak it (`X-Amz-Target: Service.Action`). A throttled
call, a 5xx and a connection that fails are tried again twice, after 0.1 and 0.2 s, as the
SDKs do; anything else ends in an `AwsCallFailed` that says what the service answered.
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
_THROTTLED = frozenset({"ThrottlingException", "TooManyUpdates", "RequestLimitExceeded"})


class AwsCallFailed(Exception):  # noqa: N818 - reads as what happened
    """A call could not be made (`status` `None`), or the service refused it (`code`: AWS's)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def default_endpoint(service: str, region: str) -> str:
    """The region's public endpoint of `service` (its endpoint prefix: `ssm`, `secretsmanager`)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}"


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class JsonApi:
    """Calls `title`'s actions at `endpoint`, signed for `service` in `region`.

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
        self._utc_now = utc_now
        self._sleep = sleep

    def call(self, target: str, request: dict[str, object]) -> dict[str, Any]:
        """POST `request` as `X-Amz-Target: target`; the answer's JSON object."""
        body = json.dumps(request).encode()
        for attempt in range(ATTEMPTS):
            try:
                return self._post(target, body)
            except AwsCallFailed as failure:
                if attempt + 1 == ATTEMPTS or not _worth_retrying(failure):
                    raise
            self._sleep(FIRST_BACKOFF * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, target: str, body: bytes) -> dict[str, Any]:
        headers = sign(
            method="POST",
            host=self._host,
            path="/",
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
            body=body,
            credentials=self._credentials,
            region=self._region,
            service=self._service,
            now=self._utc_now(),
        )
        try:
            response = self._pool.request("POST", self._url, body=body, headers=headers)
        except urllib3.exceptions.HTTPError as error:
            raise AwsCallFailed(
                f"{self.title} could not be reached at {self.endpoint}: {error}"
            ) from None
        return _answer(self.title, response.status, response.data)


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
    code = str(document.get("__type", "")).rpartition("#")[2] or str(status)
    message = str(
        document.get("message")
        or document.get("Message")
        or data[:MESSAGE_LIMIT].decode("utf-8", "replace")
    )
    if len(message) > MESSAGE_LIMIT:
        message = f"{message[:MESSAGE_LIMIT]}..."
    ending = "" if message.endswith(".") else "."
    raise AwsCallFailed(f"{title} answered {code}: {message}{ending}", status=status, code=code)
