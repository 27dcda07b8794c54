"""App: `--map`'s run with a fake Lambda: retries, failures, stops, blocks and results."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from run_command_on_aws_lambda.app.cli import parse_arguments
from run_command_on_aws_lambda.app.client.map import _jobs
from run_command_on_aws_lambda.app.client.map_item import MapJob
from run_command_on_aws_lambda.app.client.map_run import MapRun
from run_command_on_aws_lambda.domain.map_items import MapItem
from run_command_on_aws_lambda.domain.map_outcome import Backoff
from run_command_on_aws_lambda.domain.remote_event import RemoteInvocation
from run_command_on_aws_lambda.domain.remote_outcome import (
    Answered,
    ConnectionLost,
    InvokeOutcome,
    Refused,
)

THROTTLE = Refused(code="TooManyRequestsException", message="Rate Exceeded.", http_status=429)
NO_WAIT = Backoff(base=0.0, cap=0.0, deadline=60.0)

Behaviour = Callable[[int, int, Callable[[bytes], None]], InvokeOutcome]
"""(item number, attempt, output sink) -> outcome."""


class FakeLambda:
    """Answers each item as `behaviour` says; counts attempts and the most at once."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.attempts: Counter[int] = Counter()
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()

    def invoke(
        self,
        invocation: RemoteInvocation,
        on_output: Callable[[bytes], None] | None = None,
        on_answer: Callable[[str | None], None] | None = None,
    ) -> InvokeOutcome:
        number = json.loads(invocation.payload)["n"]
        with self._lock:
            attempt = self.attempts[number]
            self.attempts[number] += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            assert on_output is not None
            return self.behaviour(number, attempt, on_output)
        finally:
            with self._lock:
                self.running -= 1


class Recorder:
    """The map's output, messages, progress and results, as lists."""

    def __init__(self) -> None:
        self.blocks: list[bytes] = []
        self.messages: list[str] = []
        self.records: list[Mapping[str, object]] = []
        self.progress_calls = 0

    def write(self, data: bytes) -> None:
        self.blocks.append(data)

    def message(self, text: str) -> None:
        self.messages.append(text)

    def progress(self, *, done: int, running: int, failed: int, throttled: int) -> None:
        self.progress_calls += 1

    def append(self, record: Mapping[str, object]) -> None:
        self.records.append(record)


def jobs(count: int) -> list[MapJob]:
    return [
        MapJob(
            item=MapItem(line=number, digest=f"h{number}", fields={"n": number}),
            invocation=RemoteInvocation(function="f", payload=json.dumps({"n": number}).encode()),
        )
        for number in range(1, count + 1)
    ]


def ran(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
    sink(f"item {number}\n".encode())
    return Answered(request_id=f"r{number}")


def run(
    fake: FakeLambda, count: int, *, concurrency: int = 3, backoff: Backoff = NO_WAIT
) -> tuple[int, Recorder]:
    recorder = Recorder()
    status = MapRun(
        fake,
        jobs(count),
        concurrency=concurrency,
        output=recorder,
        results=recorder,
        backoff=backoff,
    ).run()
    return status, recorder


def test_throttles_are_retried_until_each_item_runs_once() -> None:
    """Items throttled twice run on the third attempt; each is recorded with its throttles."""

    def throttled_twice(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
        return THROTTLE if attempt < 2 else ran(number, attempt, sink)

    fake = FakeLambda(throttled_twice)
    status, recorder = run(fake, 5)
    assert status == 0
    assert fake.attempts == dict.fromkeys(range(1, 6), 3)
    assert sorted((r["line"], r["throttles"], r["status"]) for r in recorder.records) == [
        (number, 2, 0) for number in range(1, 6)
    ]
    assert any("Lambda throttled 10 attempts" in message for message in recorder.messages)


def test_a_throttle_past_the_deadline_is_the_items_failure() -> None:
    """Throttled forever: the item gives up at the deadline with status 202 and fails."""
    clock = iter(range(0, 10_000, 5))
    fake = FakeLambda(lambda number, attempt, sink: THROTTLE)
    recorder = Recorder()
    status = MapRun(
        fake,
        jobs(1),
        concurrency=1,
        output=recorder,
        results=recorder,
        backoff=Backoff(base=1.0, cap=1.0, deadline=30.0),
        random=lambda: 0.0,
        clock=lambda: float(next(clock)),
    ).run()
    assert status == 1
    assert recorder.records[0]["status"] == 202
    assert 2 <= fake.attempts[1] <= 4  # a few tries of 5 s each, then the 30 s deadline
    assert any("line 1: Lambda refused" in m and "throttled" in m for m in recorder.messages)


def test_any_other_failure_is_never_sent_again() -> None:
    """A lost connection and a failed command are each the item's failure, invoked once."""

    def failing(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
        if number == 2:
            return ConnectionLost(message="reset", request_id="r2")
        if number == 3:
            return Answered(request_id="r3", error_type="CommandFailed", error_body={"exitCode": 4})
        return ran(number, attempt, sink)

    fake = FakeLambda(failing)
    status, recorder = run(fake, 4)
    assert status == 2
    assert fake.attempts == dict.fromkeys(range(1, 5), 1)
    statuses = {r["line"]: (r["status"], r["errorType"]) for r in recorder.records}
    assert statuses == {
        1: (0, None),
        2: (220, "ConnectionLost"),
        3: (4, "CommandFailed"),
        4: (0, None),
    }


def test_no_such_function_stops_the_map_with_255() -> None:
    """ResourceNotFound would fail every item: no new item starts and the map exits 255."""
    missing = Refused(
        code="ResourceNotFoundException", message="Function not found", http_status=404
    )
    fake = FakeLambda(lambda number, attempt, sink: missing)
    status, recorder = run(fake, 50, concurrency=2)
    assert status == 255
    assert sum(fake.attempts.values()) <= 4
    assert any("not started" in message for message in recorder.messages)


def test_never_more_than_the_concurrency_at_once() -> None:
    """With --concurrency 3, at most 3 invocations are in flight, and 3 are reached."""

    def slow(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
        time.sleep(0.05)
        return ran(number, attempt, sink)

    fake = FakeLambda(slow)
    status, _ = run(fake, 12, concurrency=3)
    assert status == 0
    assert fake.most_at_once == 3


def test_a_stop_waits_for_running_items_records_them_and_exits_130() -> None:
    """After stop(): no new item, the running ones end and are recorded, exit 130."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def held(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
        started.release()
        release.wait(10)
        return ran(number, attempt, sink)

    fake = FakeLambda(held)
    recorder = Recorder()
    mapping = MapRun(fake, jobs(6), concurrency=2, output=recorder, results=recorder)
    finished: list[int] = []
    runner = threading.Thread(target=lambda: finished.append(mapping.run()))
    runner.start()
    assert started.acquire(timeout=10)
    assert started.acquire(timeout=10)
    mapping.stop()
    give_up = time.monotonic() + 10
    while not recorder.messages and time.monotonic() < give_up:  # the map noticed the stop
        time.sleep(0.01)
    release.set()
    runner.join(10)
    assert finished == [130]
    assert sum(fake.attempts.values()) == 2
    assert len(recorder.records) == 2
    assert any("4 not started" in message for message in recorder.messages)
    assert any(message.startswith("Interrupted: no new item") for message in recorder.messages)


def test_each_items_output_is_one_block_even_when_it_comes_in_pieces() -> None:
    """Pieces of several items arriving at once end up as one whole block per item."""

    def pieces(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
        for piece in range(5):
            sink(f"item {number} piece {piece}\n".encode())
            time.sleep(0.001)
        return Answered(request_id=f"r{number}")

    fake = FakeLambda(pieces)
    status, recorder = run(fake, 6, concurrency=6)
    assert status == 0
    assert len(recorder.blocks) == 6
    for block in recorder.blocks:
        header, *lines = block.decode().splitlines()
        number = int(header.split()[2].rstrip(":"))
        assert lines == [f"item {number} piece {piece}" for piece in range(5)]


def test_the_command_line_builds_every_items_event_with_its_idempotency_key(
    tmp_path: Path,
) -> None:
    """--map, --idempotency-key and the command: each event merges its line, keyed by hash."""
    lines = ['{"arguments": ["a.png"]}', "", '{"arguments": ["b.png"], "timeout": 5}']
    (tmp_path / "jobs.jsonl").write_text("\n".join(lines) + "\n")
    arguments = parse_arguments(
        [
            "--invoke",
            "f",
            "--map",
            str(tmp_path / "jobs.jsonl"),
            "--idempotency-key",
            "thumbs-",
            "--no-stream",
            "--",
            "convert",
            "-strip",
        ]
    )
    built = _jobs(arguments)
    assert [job.item.line for job in built] == [1, 3]
    events = [json.loads(job.invocation.payload) for job in built]
    assert events == [
        {
            "program": "convert",
            "arguments": ["a.png"],
            "idempotencyKey": "thumbs-" + hashlib.sha256(lines[0].encode()).hexdigest(),
        },
        {
            "program": "convert",
            "arguments": ["b.png"],
            "timeout": 5,
            "idempotencyKey": "thumbs-" + hashlib.sha256(lines[2].encode()).hexdigest(),
        },
    ]
    assert all(job.invocation.function == "f" and not job.invocation.stream for job in built)


def test_with_log_tail_a_failed_items_log_tail_follows_its_failure() -> None:
    """--log-tail: the end of a failed item's log goes to stderr under its line; none on success."""

    def tails(number: int, attempt: int, sink: Callable[[bytes], None]) -> InvokeOutcome:
        error = "CommandFailed" if number == 2 else None
        return Answered(request_id="r", error_type=error, log_tail=f"log of {number}\n")

    recorder = Recorder()
    logged = [
        MapJob(item=job.item, invocation=replace(job.invocation, log_tail=True)) for job in jobs(2)
    ]
    MapRun(FakeLambda(tails), logged, concurrency=1, output=recorder).run()
    assert "line 2: the end of its log:\nlog of 2" in recorder.messages
    assert not any("log of 1" in message for message in recorder.messages)


def test_the_summary_of_one_item_reads_as_a_sentence() -> None:
    """One item: "1 item ended", not "1 items ended"."""
    status, recorder = run(FakeLambda(ran), 1)
    assert status == 0
    assert "1 item ended: 1 succeeded, 0 failed." in recorder.messages
