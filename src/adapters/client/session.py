"""Adapter: a boto3 Lambda client that never invokes twice and waits as long as a function runs.

botocore's defaults would re-run a long command: a 60 s read timeout, and a read timeout is
retried (5 attempts in its `legacy` mode). Here retries are off and the read timeout is
longer than any function can run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...domain.errors import RunCommandError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

MAX_FUNCTION_SECONDS = 900
"""Lambda's longest function timeout."""

READ_TIMEOUT = MAX_FUNCTION_SECONDS + 60
"""Seconds to wait for a byte of the answer: longer than any function can run, plus a margin."""

DEFAULT_ENDPOINT_REGION = "us-east-1"
"""The region signed for when `--endpoint-url` is given and none is configured."""

INSTALL_HINT = (
    "--invoke needs boto3, an optional extra: "
    "pip install 'run-command-on-aws-lambda[client]' (or pip install boto3)."
)
STANDALONE_HINT = (
    "--invoke is not part of the standalone build, which carries only the runtime (no Python, "
    "no boto3): run --invoke from the Python package instead, on a machine with Python 3.11 or "
    "later: pip install 'run-command-on-aws-lambda[client]'."
)


def client_unavailable_message(*, frozen: bool | None = None) -> str:
    """How to get the client: pip where there is a Python, elsewhere for the standalone build."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    return STANDALONE_HINT if frozen else INSTALL_HINT


class ClientUnavailableError(RunCommandError):
    """boto3 is not installed; the message says how to install it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    """Where and as whom to invoke; None means the standard AWS chain decides."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    max_connections: int = 10
    """Connections kept open at once: as many as invocations that may run in parallel."""


def lambda_client(settings: ClientSettings) -> LambdaClient:
    """A Lambda client with retries off and a read timeout past Lambda's longest run.

    With `endpoint_url` (an emulator such as `--serve`), a missing region defaults to
    us-east-1 and missing credentials mean unsigned requests. Raises `ClientUnavailableError`
    without boto3, and botocore's own errors when the configuration is wrong (no region,
    unknown profile).
    """
    try:
        # Imported here, not at the top: boto3 takes a quarter of a second to load and is an
        # optional extra that the runtime's paths never need.
        import boto3  # noqa: PLC0415
        from botocore import UNSIGNED  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415
    except ImportError as error:
        raise ClientUnavailableError(client_unavailable_message()) from error
    session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
    config = Config(
        retries={"total_max_attempts": 1},
        read_timeout=READ_TIMEOUT,
        tcp_keepalive=True,  # an idle connection through a NAT survives a long, silent run
        max_pool_connections=settings.max_connections,
    )
    region = session.region_name
    if settings.endpoint_url is not None:
        region = region or DEFAULT_ENDPOINT_REGION
        if session.get_credentials() is None:
            config = config.merge(Config(signature_version=UNSIGNED))
    return session.client(
        "lambda", region_name=region, endpoint_url=settings.endpoint_url, config=config
    )
