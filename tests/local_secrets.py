"""Secrets Manager and Systems Manager on 127.0.0.1 (moto's server), counting calls, for tests.

The server is moto's WSGI application behind a small middleware that counts the calls per
`X-Amz-Target` and can refuse one secret or parameter with `AccessDeniedException` (moto
does not enforce IAM), the way AWS answers a role without the permission.
"""

from __future__ import annotations

import collections
import io
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import boto3

from tests.local_dynamodb import CREDENTIALS, REGION

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class _Counting:
    """Counts calls by target and answers AccessDeniedException for the names in `denied`."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.denied: set[str] = set()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(("secretsmanager.", "AmazonSSM.")):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            request = json.loads(body or b"{}")
            name = str(request.get("SecretId") or request.get("Name") or "")
            with self._lock:
                self.calls[f"{target} {name}"] += 1
            if name.split(":", maxsplit=1)[0] in self.denied or name in self.denied:
                answer = json.dumps(
                    {"__type": "AccessDeniedException", "Message": f"not authorized on {name}"}
                ).encode()
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [answer]
            environ["wsgi.input"] = io.BytesIO(body)
        return self._app(environ, start_response)


class LocalSecrets:
    """moto's Secrets Manager and SSM on a free port of 127.0.0.1, with boto3 clients to fill."""

    def __init__(self) -> None:
        # Heavy: only when a test needs it.
        from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server  # noqa: PLC0415

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *_: object) -> None:
                pass  # a line per call on stderr tells the tests nothing

        self._counting = _Counting(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", 0, self._counting, threaded=True, request_handler=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
        self.secretsmanager: Any = boto3.client("secretsmanager", **options)
        self.ssm: Any = boto3.client("ssm", **options)

    @property
    def environment(self) -> dict[str, str]:
        """What the runtime needs to resolve references here, as Lambda gives it (and the SDKs)."""
        return {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.endpoint,
            "AWS_ENDPOINT_URL_SSM": self.endpoint,
            "AWS_REGION": REGION,
            **CREDENTIALS,
        }

    def secret(self, value: str, name: str | None = None) -> tuple[str, str]:
        """A new secret holding `value` (a unique name unless given): its name and ARN."""
        name = name or f"test/{uuid.uuid4().hex[:12]}"
        answer = self.secretsmanager.create_secret(Name=name, SecretString=value)
        return name, str(answer["ARN"])

    def rotate(self, name: str, value: str) -> None:
        """A new AWSCURRENT version of `name`; the old one becomes AWSPREVIOUS."""
        self.secretsmanager.put_secret_value(SecretId=name, SecretString=value)

    def parameter(self, value: str, *, secure: bool = False) -> str:
        """A new String (or SecureString) parameter holding `value`: its name."""
        name = f"/test/{uuid.uuid4().hex[:12]}"
        kind = "SecureString" if secure else "String"
        self.ssm.put_parameter(Name=name, Value=value, Type=kind)
        return name

    def calls(self, target: str, name: str) -> int:
        """How many `target` calls (`GetSecretValue`, `GetParameter`) named `name` arrived."""
        prefix = "secretsmanager." if target == "GetSecretValue" else "AmazonSSM."
        return self._counting.calls[f"{prefix}{target} {name}"]

    def deny(self, name: str) -> None:
        """Answer AccessDeniedException to every call for `name`, as AWS does without IAM rights."""
        self._counting.denied.add(name)

    def stop(self) -> None:
        self.secretsmanager.close()
        self.ssm.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def local_secrets() -> Iterator[LocalSecrets]:
    server = LocalSecrets()
    try:
        yield server
    finally:
        server.stop()
