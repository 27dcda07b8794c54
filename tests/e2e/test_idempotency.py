"""End to end: runtimes with the idempotency guard on one table of a local DynamoDB (moto).

Each runtime is the installed console script as a real process; the commands count their
runs by appending to a file, so "exactly once" is what the file says.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tests.e2e.conftest import Serve
from tests.e2e.test_invoke import invoke
from tests.fake_runtime_api import FakeRuntimeApi, closed_port
from tests.lambda_clients import Invoked, invoke_with_boto3
from tests.local_dynamodb import LocalTable
from tests.runtime_process import RuntimeProcess


def migration(runs: Path, *, seconds: float = 0, key: str = "migrate-4.2") -> dict[str, object]:
    """A guarded event whose every run appends a line to `runs`, takes `seconds`, then says so."""
    script = f'echo ran >> "{runs}"; sleep {seconds}; echo "migrated"'
    return {"program": "sh", "arguments": ["-c", script], "idempotencyKey": key}


def run_count(runs: Path) -> int:
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def test_two_runtimes_given_one_key_at_once_run_the_command_once_and_both_answer_it(
    console_script: str, idempotency_table: LocalTable, tmp_path: Path
) -> None:
    """Concurrent duplicates on two sandboxes: one run; both post its result, the waiter too."""
    runs = tmp_path / "runs"
    event = migration(runs, seconds=2)
    with FakeRuntimeApi() as api_a, FakeRuntimeApi() as api_b:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        env = idempotency_table.environment
        with (
            RuntimeProcess(console_script, api_a, tmp_path / "a", env=env) as runtime_a,
            RuntimeProcess(console_script, api_b, tmp_path / "b", env=env) as runtime_b,
        ):
            api_a.wait_until_polling()
            api_b.wait_until_polling()
            first = api_a.enqueue(event, request_id="request-a")
            second = api_b.enqueue(event, request_id="request-b")
            posts = [api_a.outcome(first, timeout=60), api_b.outcome(second, timeout=60)]
            logs = runtime_a.stderr + runtime_b.stderr
    assert run_count(runs) == 1
    assert [post.kind for post in posts] == ["response", "response"]
    assert posts[0].document == posts[1].document
    assert posts[0].document["output"] == "migrated\n"
    assert "waiting for its outcome" in logs
    assert "replaying its outcome; nothing was run" in logs
    item = idempotency_table.item("migrate-4.2")
    assert item is not None
    assert item["status"] == {"S": "COMPLETED"}


def test_a_completed_key_replays_its_outcome_without_running_anything(
    console_script: str, runtime_api: FakeRuntimeApi, idempotency_table: LocalTable, tmp_path: Path
) -> None:
    """A retry after the run gets the same error, type and body, and a log line naming the run."""
    runs = tmp_path / "runs"
    event = {**migration(runs), "arguments": ["-c", f'echo ran >> "{runs}"; exit 3']}
    env = idempotency_table.environment
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        original = runtime_api.outcome(runtime_api.enqueue(event, request_id="original"))
        retry = runtime_api.outcome(runtime_api.enqueue(event, request_id="retry"))
        logs = runtime.stderr
    assert run_count(runs) == 1
    assert original.error_type_header == retry.error_type_header == "Function.CommandFailed"
    assert retry.document == {**original.document, "requestId": "retry"}
    assert "was completed by request original: replaying its outcome" in logs


def test_a_command_that_could_not_start_releases_the_key_for_a_retry(
    console_script: str, runtime_api: FakeRuntimeApi, idempotency_table: LocalTable, tmp_path: Path
) -> None:
    """CommandNotFound leaves no record, so a fixed image's retry of the same event runs it."""
    runs = tmp_path / "runs"
    tool = tmp_path / "bin" / "migrate"
    event = {"program": str(tool), "idempotencyKey": "migrate-4.2"}
    env = idempotency_table.environment
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env):
        missing = runtime_api.outcome(runtime_api.enqueue(event))
        assert idempotency_table.item("migrate-4.2") is None
        tool.parent.mkdir()
        tool.write_text(f'#!/bin/sh\necho ran >> "{runs}"\n')
        tool.chmod(0o755)
        fixed = runtime_api.outcome(runtime_api.enqueue(event))
    assert missing.error_type_header == "Function.CommandNotFound"
    assert fixed.kind == "response"
    assert run_count(runs) == 1


def test_an_unreachable_store_fails_guarded_invocations_and_the_runtime_serves_on(
    console_script: str, runtime_api: FakeRuntimeApi, idempotency_table: LocalTable, tmp_path: Path
) -> None:
    """With DynamoDB down: a clear RuntimeFailure, nothing run, and the next invocation served."""
    runs = tmp_path / "runs"
    env = {
        **idempotency_table.environment,
        "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{closed_port()}",
    }
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        guarded = runtime_api.outcome(runtime_api.enqueue(migration(runs)))
        plain = runtime_api.outcome(runtime_api.enqueue({"program": "true"}))
        assert runtime.process.poll() is None
    assert guarded.error_type_header == "Function.RuntimeFailure"
    message = str(guarded.document["errorMessage"])
    assert "could not check key 'migrate-4.2', so the command was not run" in message
    assert idempotency_table.name in message
    assert plain.kind == "response"
    assert run_count(runs) == 0


def test_a_missing_region_is_an_init_error(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A table without AWS_REGION is reported to Lambda as an init error naming the variable."""
    env = {
        "RUN_COMMAND_IDEMPOTENCY_TABLE": "runs",
        "AWS_REGION": "",
        "AWS_DEFAULT_REGION": "",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        assert runtime.wait() != 0
    (post,) = runtime_api.wait_for_posts(1)
    assert post.kind == "init-error"
    assert "AWS_REGION" in str(post.document["errorMessage"])


def test_serve_with_the_guard_on_runs_a_key_once_across_two_emulators(
    serve: Serve,
    guarded_table: LocalTable,
    tmp_path: Path,
) -> None:
    """`--serve` passes the guard's settings to its runtime: two emulators, one table, one run."""
    runs = tmp_path / "runs"
    event = migration(runs, seconds=2)
    emulators = [serve(), serve()]
    answers: list[Invoked] = []

    def invoke(index: int) -> None:
        answers.append(invoke_with_boto3(emulators[index].client, event))

    threads = [threading.Thread(target=invoke, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    late = invoke_with_boto3(emulators[0].client, event)
    assert run_count(runs) == 1
    assert len(answers) == 2
    assert [answer.function_error for answer in [*answers, late]] == [None, None, None]
    assert answers[0].body == answers[1].body == late.body
    assert "replaying its outcome" in late.log


def test_invoke_with_an_idempotency_key_runs_the_command_once(
    console_script: str,
    serve: Serve,
    guarded_table: LocalTable,
    tmp_path: Path,
) -> None:
    """`--invoke --idempotency-key KEY`, sent twice: one run, the same status and output twice."""
    served = serve()
    runs = tmp_path / "runs"
    command = ("sh", "-c", f'echo ran >> "{runs}"; echo migrated; exit 3')
    key = ("--no-stream", "--idempotency-key", "migrate-4.2")
    first = invoke(console_script, served.endpoint, *key, *command)
    second = invoke(console_script, served.endpoint, *key, *command)
    assert (first.returncode, second.returncode) == (3, 3), second.stderr
    assert first.stdout == second.stdout == b"migrated\n"
    assert run_count(runs) == 1
    item = guarded_table.item("migrate-4.2")
    assert item is not None
    assert item["error_type"] == {"S": "CommandFailed"}


def test_a_streamed_invoke_with_a_key_replays_the_output_as_a_stream(
    console_script: str,
    serve: Serve,
    guarded_table: LocalTable,
    tmp_path: Path,
) -> None:
    """`--invoke` streams by default: the replay prints the stored output and exits alike."""
    served = serve()
    runs = tmp_path / "runs"
    command = ("sh", "-c", f'echo ran >> "{runs}"; echo migrated; exit 3')
    first = invoke(console_script, served.endpoint, "--idempotency-key", "k", *command)
    second = invoke(console_script, served.endpoint, "--idempotency-key", "k", *command)
    assert (first.returncode, second.returncode) == (3, 3), second.stderr
    assert first.stdout == second.stdout == b"migrated\n"
    assert run_count(runs) == 1
