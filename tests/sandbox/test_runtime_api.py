"""The standalone build in the Lambda-like tree, serving invocations from a Runtime API."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.fake_runtime_api import FakeRuntimeApi

from .conftest import Sandbox
from .test_local_mode import LAMBDA_ID

# What Lambda tells a runtime about its function (no HOME among them).
LAMBDA_VARIABLES = {
    "AWS_LAMBDA_FUNCTION_NAME": "db-migrations",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_REGION": "eu-west-1",
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
}


def descendant(pid: int, *, depth: int) -> int:
    """The only child's only child ... `depth` generations below `pid` (here: unshare, the
    sandbox's PID 1 shell, the runtime)."""
    for _ in range(depth):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(children) == 1, children
        pid = int(children[0])
    return pid


def test_the_runtime_serves_invocations_in_the_sandbox_and_keeps_serving_after_failures(
    sandbox: Sandbox, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Successes and failures of every kind, in order, each answered once, none ending it;
    SIGTERM then ends the runtime with status 143."""
    events: list[tuple[object, str | None]] = [
        ({"program": "id"}, None),
        (
            {"program": "sh", "arguments": ["-c", "echo migration failed >&2; exit 4"]},
            "CommandFailed",
        ),
        ({"program": "df", "arguments": ["-h", "/tmp"]}, None),
        (b'{"program": ', "InvalidEvent"),
        ({"program": "python3"}, "CommandNotFound"),
        ({"program": "sh", "arguments": ["-c", 'touch "$HOME/x" && echo "$HOME"']}, None),
        ({"program": "sleep", "arguments": ["30"], "timeout": 0.2}, "CommandTimedOut"),
        ({"program": "id"}, None),
    ]
    ids = [runtime_api.enqueue(event) for event, _ in events]
    environment = {**LAMBDA_VARIABLES, "AWS_LAMBDA_RUNTIME_API": runtime_api.address}
    log_path = tmp_path / "runtime.log"
    with log_path.open("wb") as log:
        runtime = sandbox.start_runtime(env=environment, log=log)
        try:
            posts = runtime_api.wait_for_posts(len(events), timeout=120)
            runtime_api.wait_until_polling()
            assert runtime.poll() is None, "the runtime stopped serving"
            os.kill(descendant(runtime.pid, depth=2), signal.SIGTERM)  # Lambda's shutdown
            assert runtime.wait(timeout=30) == 128 + signal.SIGTERM
        finally:
            runtime.kill()  # unshare --kill-child takes the whole sandbox along
            runtime.wait()
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text
    assert [post.request_id for post in posts] == ids, log_text
    for post, (event, error_type) in zip(posts, events, strict=True):
        assert post.kind == ("response" if error_type is None else "error"), (event, log_text)
        assert post.document.get("errorType") == error_type, event
        assert post.error_type_header == (error_type and f"Function.{error_type}")
    assert posts[0].document["output"] == LAMBDA_ID + "\n"
    assert posts[1].document["stackTrace"] == ["migration failed"]
    assert "tmpfs" in str(posts[2].document["output"])
    assert posts[5].document["output"] == "/tmp\n"
