"""App: the secret store that resolves references, built from the runtime's own environment.

Imported only when a variable of the child holds `{{resolve:`: only then do the signer and the
AWS clients load. The store (and its connections) is kept while the settings it was built
from are unchanged, and shared by every worker, behind a lock.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping

from ..adapters.aws.sigv4 import Credentials
from ..adapters.aws.trust import bundled_authorities, trusted_authorities
from ..adapters.secrets.aws import AwsSecretStore, UnconfiguredStore
from ..domain.resolution import SecretStore

SECRETS_MANAGER_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SECRETS_MANAGER"
SSM_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SSM"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_SETTINGS = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    *CREDENTIAL_VARIABLES,
    "AWS_SESSION_TOKEN",
    SECRETS_MANAGER_ENDPOINT_VARIABLE,
    SSM_ENDPOINT_VARIABLE,
    ENDPOINT_VARIABLE,
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)

_lock = threading.Lock()
_built: dict[tuple[str | None, ...], SecretStore] = {}


def secret_store(environ: Mapping[str, str]) -> SecretStore:
    """The store for `environ`: the one built before while the settings it read are the same."""
    settings = tuple(environ.get(name) for name in _SETTINGS)
    with _lock:
        store = _built.get(settings)
        if store is None:
            _built.clear()  # keep one: the runtime's environment does not change
            store = _built[settings] = build_store(environ)
        return store


def build_store(environ: Mapping[str, str]) -> SecretStore:
    """An `AwsSecretStore` as `environ` configures it, or one that says what is missing."""
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        return UnconfiguredStore(
            "AWS_REGION is not set: set it to the region of the secrets and parameters "
            "(Lambda sets it)."
        )
    for name in CREDENTIAL_VARIABLES:
        if not environ.get(name):
            return UnconfiguredStore(
                f"{name} is not set: references are fetched with the credentials in the "
                "environment (Lambda sets them)."
            )
    general = environ.get(ENDPOINT_VARIABLE)
    secrets_manager = environ.get(SECRETS_MANAGER_ENDPOINT_VARIABLE) or general
    ssm = environ.get(SSM_ENDPOINT_VARIABLE) or general
    for endpoint in (secrets_manager, ssm):
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            return UnconfiguredStore(
                f"the endpoint {endpoint!r} is not valid: give a URL such as http://127.0.0.1:5000."
            )
    tls = any(not (endpoint or "https:").startswith("http:") for endpoint in (secrets_manager, ssm))
    if tls and importlib.util.find_spec("ssl") is None:
        return UnconfiguredStore(
            "this runtime's Python has no ssl module, so it cannot reach AWS over https. The "
            "standalone build loads its own when a variable of the function holds a reference "
            "(see docs/secrets.md)."
        )
    credentials = Credentials(
        access_key=environ[CREDENTIAL_VARIABLES[0]],
        secret_key=environ[CREDENTIAL_VARIABLES[1]],
        session_token=environ.get("AWS_SESSION_TOKEN") or None,
    )
    return AwsSecretStore(
        region=region,
        credentials=credentials,
        secrets_manager_endpoint=secrets_manager,
        ssm_endpoint=ssm,
        ca_certs=trusted_authorities(environ, bundled=bundled_authorities()) if tls else None,
    )
