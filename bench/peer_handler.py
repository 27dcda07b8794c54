"""Bench: the peer. The handler a user would write for AWS's `awslambdaric` to run a command.

Run as `python -m awslambdaric peer_handler.handler`. It returns and raises like our runtime:
a result body on exit status 0, an exception named after our error type otherwise; the output
goes to the logs (stdout) and its last 4 KiB into the result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any


class CommandFailed(Exception):  # noqa: N818 - Lambda reports the class name: ours
    """The command exited with a non-zero status."""


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    program = event["program"]
    completed = subprocess.run(
        [program, *event.get("arguments", [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **event.get("environment", {})},
        start_new_session=True,
        check=False,
    )
    sys.stdout.buffer.write(completed.stdout)
    sys.stdout.buffer.flush()
    if completed.returncode != 0:
        raise CommandFailed(f"{program} exited with status {completed.returncode}.")
    return {
        "program": program,
        "exitCode": 0,
        "output": completed.stdout[-4096:].decode(errors="replace"),
        "outputTruncated": len(completed.stdout) > 4096,
    }
