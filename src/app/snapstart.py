"""App: SnapStart for the custom runtime: wait for the restore, then renew what a snapshot shares.

With `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start` Lambda snapshots the execution environment
once init is done and starts new environments from the snapshot. The runtime then asks for
the restore (`GET /runtime/restore/next`) before its first event, and renews what every
restored copy would otherwise share: the Runtime API connection (made before the snapshot)
and the random state. A renewal that fails is reported to `POST /runtime/restore/error`, and
the runtime exits. No command is in the snapshot: each starts after the restore.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol

from ..adapters.wire import encode_error
from ..domain.errors import TransportError

log = logging.getLogger("run_command_on_aws_lambda")

INITIALIZATION_TYPE_VARIABLE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
RESTORE_ERROR_TYPE = "Runtime.AfterRestoreError"


class RestoreApi(Protocol):
    """The Runtime API's restore calls (a `RuntimeApiClient`)."""

    def restore_next(self) -> None: ...

    def restore_error(self, body: bytes, error_type: str) -> None: ...

    def reconnect(self) -> None: ...


def snap_start(environ: Mapping[str, str]) -> bool:
    """Whether Lambda will snapshot this runtime after its init."""
    return environ.get(INITIALIZATION_TYPE_VARIABLE, "") == SNAP_START


def prepare_snapshot() -> None:
    """Load before the snapshot what the first answer would load: restored copies have it."""
    from ..adapters import documents  # noqa: F401, PLC0415 - the result and error bodies


def restore(api: RestoreApi, renew: Callable[[], None] | None = None) -> bool:
    """Wait until the environment is restored, then renew it; `False` when that failed (it is
    then reported to `restore/error`). Raises `TransportError` when the API fails."""
    log.info("Init is done: waiting for Lambda to restore the snapshot.")
    api.restore_next()
    try:
        (renew or (lambda: renew_after_restore(api)))()
    except Exception as error:  # whatever it is, this copy must not serve: report, then exit
        message = f"The runtime could not renew its state after the restore: {error}"
        log.error("%s", message)
        try:
            api.restore_error(encode_error(RESTORE_ERROR_TYPE, message), RESTORE_ERROR_TYPE)
        except TransportError as failure:
            log.error("Could not report the restore error: %s", failure)
        return False
    log.info("Restored from the snapshot.")
    return True


def renew_after_restore(api: RestoreApi) -> None:
    """Drop the connections made before the snapshot, and reseed the random state."""
    import random  # noqa: PLC0415 - SnapStart only

    api.reconnect()
    random.seed()  # from os.urandom: each restored copy draws its own numbers
