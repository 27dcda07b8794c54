"""End to end: what each mode imports (the cold-start budget)."""

from __future__ import annotations

import os
import subprocess
import sys

LOCAL_RUN = """
import sys
from run_command_on_aws_lambda.app.cli import main
status = main(["--event", '{"program": "true"}'])
print(status, sorted(m for m in ("urllib3", "awslambdaric", "http.client") if m in sys.modules))
"""


def test_local_mode_never_imports_the_http_client() -> None:
    """A local run loads no urllib3 (it is imported by the Runtime API adapter only)."""
    completed = subprocess.run(
        [sys.executable, "-c", LOCAL_RUN], capture_output=True, check=True, timeout=60
    )
    assert completed.stdout.decode() == "0 []\n"


GUARD_MODULES = """
import sys
from run_command_on_aws_lambda.app.cli import main
status = main(["--event", '{"program": "true"}'])
# idempotency_key is the field's own check, part of every event's validation, not the guard.
guard = [m for m in sys.modules if "idempotency" in m or m.endswith(".guard")]
print(status, sorted(m for m in guard if not m.endswith(".domain.idempotency_key")))
"""


def test_without_a_table_the_idempotency_guard_is_never_imported() -> None:
    """The guard costs nothing when off: none of its modules load."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUN_COMMAND_")}
    completed = subprocess.run(
        [sys.executable, "-c", GUARD_MODULES],
        capture_output=True,
        check=True,
        timeout=60,
        env=environment,
    )
    assert completed.stdout.decode() == "0 []\n"


def test_with_a_table_the_guard_is_imported() -> None:
    """The probe above can see the guard: with a table configured, its modules load."""
    environment = {
        **os.environ,
        "RUN_COMMAND_IDEMPOTENCY_TABLE": "runs",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    completed = subprocess.run(
        [sys.executable, "-c", GUARD_MODULES],
        capture_output=True,
        check=True,
        timeout=60,
        env=environment,
    )
    assert "run_command_on_aws_lambda.app.idempotency" in completed.stdout.decode()
