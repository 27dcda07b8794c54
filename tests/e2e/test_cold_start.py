"""End to end: what each mode imports (the cold-start budget)."""

from __future__ import annotations

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
