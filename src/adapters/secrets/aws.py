"""Adapter: the `SecretStore` on AWS: Secrets Manager's GetSecretValue, SSM's GetParameter.

Two signed JSON 1.1 calls over urllib3, with the function's credentials; what AWS answers
other than a value becomes a `ReferenceNotResolved` with its error code and message.
"""

from __future__ import annotations

import functools
from typing import Any

import urllib3

from ...domain.errors import ReferenceNotResolved
from ...domain.references import Parameter, Secret, Source
from ..aws.json_api import AwsCallFailed, JsonApi, connection_pool, default_endpoint
from ..aws.sigv4 import Credentials

SECRETS_MANAGER = "secretsmanager"
SSM = "ssm"


class AwsSecretStore:
    """Fetches secrets and parameters in `region`, at the given endpoints or the region's own.

    Safe to call from several threads at once: it keeps nothing but the connection pool.
    """

    def __init__(
        self,
        *,
        region: str,
        credentials: Credentials,
        secrets_manager_endpoint: str | None = None,
        ssm_endpoint: str | None = None,
        pool: urllib3.PoolManager | None = None,
        ca_certs: str | None = None,
    ) -> None:
        # `ca_certs`: the authorities an https endpoint is checked against (see aws/trust.py).
        api = functools.partial(
            JsonApi,
            region=region,
            credentials=credentials,
            pool=pool or connection_pool(maxsize=4, ca_certs=ca_certs),
            ca_certs=ca_certs,
        )
        self._secrets = api(
            title="Secrets Manager",
            service=SECRETS_MANAGER,
            endpoint=secrets_manager_endpoint or default_endpoint(SECRETS_MANAGER, region),
        )
        self._parameters = api(
            title="Systems Manager",
            service=SSM,
            endpoint=ssm_endpoint or default_endpoint(SSM, region),
        )

    def fetch(self, source: Source) -> str:
        try:
            if isinstance(source, Secret):
                return self._secret(source)
            return self._parameter(source)
        except AwsCallFailed as failure:
            raise ReferenceNotResolved(str(failure)) from None

    def _secret(self, secret: Secret) -> str:
        request: dict[str, object] = {"SecretId": secret.id}
        if secret.version_stage is not None:
            request["VersionStage"] = secret.version_stage
        if secret.version_id is not None:
            request["VersionId"] = secret.version_id
        answer = self._secrets.call("secretsmanager.GetSecretValue", request)
        value = answer.get("SecretString")
        if isinstance(value, str):
            return value
        if "SecretBinary" in answer:
            raise ReferenceNotResolved(
                "the secret holds a SecretBinary, and only a SecretString can be resolved."
            )
        raise ReferenceNotResolved("Secrets Manager answered without a SecretString.")

    def _parameter(self, parameter: Parameter) -> str:
        answer: dict[str, Any] = self._parameters.call(
            "AmazonSSM.GetParameter", {"Name": parameter.selector, "WithDecryption": True}
        )
        found = answer.get("Parameter")
        value = found.get("Value") if isinstance(found, dict) else None
        if not isinstance(value, str):
            raise ReferenceNotResolved("Systems Manager answered without a parameter value.")
        return value


class UnconfiguredStore:
    """The `SecretStore` when the runtime cannot call AWS at all: every fetch says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def fetch(self, source: Source) -> str:
        raise ReferenceNotResolved(self.reason)
