"""Soak: thousands of invocations through the console script as a Lambda runtime.

The full soak is 10,000 invocations, one at a time and again at 16 slots at once (Lambda
Managed Instances); the default suite runs reduced counts so that it stays fast. Run the full
one with

    RUN_COMMAND_SOAK_INVOCATIONS=10000 .venv/bin/pytest -m soak -s

(or `make soak`). The runtime's open files, child processes and resident memory are measured
once it has warmed up and again at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fake_runtime_api import FakeRuntimeApi
from tests.runtime_process import RuntimeProcess

INVOCATIONS_VARIABLE = "RUN_COMMAND_SOAK_INVOCATIONS"
DEFAULT_INVOCATIONS = 1000
RSS_GROWTH_LIMIT_KIB = 8 * 1024

# (event, the errorType it must end in, or None for success): every kind of outcome, the
# runtime's cleanup paths included (leftover processes, timeouts, input, a dying shell).
MIX: list[tuple[object, str | None]] = [
    ({"program": "true"}, None),
    ({"program": "sh", "arguments": ["-c", "echo out; echo err >&2"]}, None),
    ({"program": "sh", "arguments": ["-c", "exit 3"]}, "CommandFailed"),
    ({"program": "no-such-program-for-the-soak"}, "CommandNotFound"),
    (b"not json", "InvalidEvent"),
    ({"program": "cat", "input": "x" * 10_000}, None),
    ({"program": "sh", "arguments": ["-c", "sleep 30 & echo left"]}, None),
    ({"program": "sleep", "arguments": ["30"], "timeout": 0.01}, "CommandTimedOut"),
    ({"program": "sh", "arguments": ["-c", "kill -TERM $$"]}, "CommandKilled"),
]


def soak_invocations() -> int:
    value = os.environ.get(INVOCATIONS_VARIABLE, str(DEFAULT_INVOCATIONS))
    if not value.isdigit() or int(value) < 200:
        pytest.fail(f"{INVOCATIONS_VARIABLE}={value!r}: give a whole number of 200 or more.")
    return int(value)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def serve(api: FakeRuntimeApi, first: int, count: int) -> None:
    """Queue invocations `first`.. `first+count-1` of the mix and wait until all are answered."""
    for number in range(first, first + count):
        api.enqueue(MIX[number % len(MIX)][0])
    api.wait_for_posts(first + count, timeout=60 + count)
    api.wait_until_polling()


@pytest.mark.soak
def test_thousands_of_invocations_leak_no_fds_processes_or_memory(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Open fds and children are the same after warm-up and at the end; RSS grows < 8 MiB."""
    total = soak_invocations()
    warm_up = 100
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        serve(runtime_api, 0, warm_up)
        fds, children, rss = runtime.open_fds(), runtime.children(), rss_kib(runtime.pid)
        serve(runtime_api, warm_up, total - warm_up)
        fds_after, children_after, rss_after = (
            runtime.open_fds(),
            runtime.children(),
            rss_kib(runtime.pid),
        )
        runtime.terminate()
        assert runtime.wait() == 143
    print(f"{total} invocations: RSS {rss} KiB after {warm_up}, {rss_after} KiB at the end")
    posts = runtime_api.posts
    assert len(posts) == total
    assert [post.request_id for post in posts] == runtime_api.delivered
    for number, post in enumerate(posts):
        expected = MIX[number % len(MIX)][1]
        assert post.document.get("errorType") == expected, (number, post.document)
    assert fds_after == fds
    assert children == children_after == set()
    assert rss_after - rss < RSS_GROWTH_LIMIT_KIB
    assert "Traceback" not in runtime.stderr


SLOTS = 16
CONCURRENT_RSS_GROWTH_LIMIT_KIB = 1024
# What runs at once on a Managed Instances environment: successes, failures, timeouts, output.
CONCURRENT_MIX: list[tuple[object, str | None]] = [
    ({"program": "true"}, None),
    ({"program": "sh", "arguments": ["-c", "echo out; echo err >&2; printf partial"]}, None),
    ({"program": "sh", "arguments": ["-c", "exit 3"]}, "CommandFailed"),
    ({"program": "sleep", "arguments": ["30"], "timeout": 0.05}, "CommandTimedOut"),
    ({"program": "sh", "arguments": ["-c", "head -c 100000 /dev/zero | tr '\\0' x"]}, None),
    ({"program": "sh", "arguments": ["-c", "sleep 30 & echo left > $TMPDIR/left"]}, None),
    ({"program": "cat", "input": "x" * 10_000}, None),
]


def serve_at_once(api: FakeRuntimeApi, first: int, count: int) -> dict[str, str | None]:
    """Queue `count` invocations of the concurrent mix at once; wait until all are answered."""
    expected = {}
    for number in range(first, first + count):
        event, error_type = CONCURRENT_MIX[number % len(CONCURRENT_MIX)]
        expected[api.enqueue(event)] = error_type
    api.wait_for_posts(first + count, timeout=60 + count)
    api.wait_for(lambda: api.waiting_next == SLOTS or None)
    return expected


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


@pytest.mark.soak
def test_sixteen_slots_at_once_leak_no_fds_threads_processes_or_memory(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """At 16 slots: fds, threads and children flat; RSS grows under 1 MiB over the second half."""
    full = soak_invocations()
    total = full if full >= 10_000 else max(300, full // 3)  # 333 in the default suite
    # The allocator's high-water mark settles over the first thousands of invocations run side
    # by side (tracemalloc shows no object of the runtime's piling up): the growth is measured
    # over the second half.
    warm_up = max(160, total // 2)
    env = {"AWS_LAMBDA_MAX_CONCURRENCY": str(SLOTS), "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        expected = serve_at_once(runtime_api, 0, warm_up)
        before = runtime.open_fds(), threads(runtime.pid), runtime.children(), rss_kib(runtime.pid)
        expected |= serve_at_once(runtime_api, warm_up, total - warm_up)
        after = runtime.open_fds(), threads(runtime.pid), runtime.children(), rss_kib(runtime.pid)
        runtime.terminate()
        assert runtime.wait() == 143
    print(f"{total} invocations at {SLOTS} slots: RSS {before[3]} KiB, then {after[3]} KiB")
    assert len(runtime_api.posts) == total
    for post in runtime_api.posts:
        assert post.request_id is not None
        assert post.document.get("errorType") == expected[post.request_id], post.document
    assert after[:3] == before[:3]
    assert before[2] == set()
    assert after[3] - before[3] < CONCURRENT_RSS_GROWTH_LIMIT_KIB
    assert "Traceback" not in runtime.stderr
