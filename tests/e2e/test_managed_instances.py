"""End to end: the console script on Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import run_script
from tests.fake_runtime_api import FakeRuntimeApi, closed_port
from tests.local_dynamodb import LocalTable
from tests.runtime_process import RuntimeProcess

FOUR = {"AWS_LAMBDA_MAX_CONCURRENCY": "4"}


def together(directory: Path, count: int, then: str = "exit 0") -> dict[str, object]:
    """A command that finishes only once `count` of its kind run at the same time."""
    script = (
        f'touch {directory}/"$RUN_COMMAND_REQUEST_ID"; '
        f"while [ $(ls {directory} | wc -l) -lt {count} ]; do sleep 0.05; done; {then}"
    )
    return {"program": "sh", "arguments": ["-c", script], "timeout": 60}


def test_four_workers_run_four_commands_at_the_same_time(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Four commands that each wait for the other three all succeed: they ran at once."""
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=FOUR) as runtime:
        runtime_api.wait_for(lambda: runtime_api.waiting_next == 4 or None)
        ids = [runtime_api.enqueue(together(meeting, 4, "echo met")) for _ in range(4)]
        posts = [runtime_api.outcome(request_id, timeout=60) for request_id in ids]
        runtime_api.wait_for(lambda: runtime_api.waiting_next == 4 or None)
        assert runtime.children() == set()
        runtime.terminate()
        assert runtime.wait() == 143
    assert [post.kind for post in posts] == ["response"] * 4
    assert [post.document["output"] for post in posts] == ["met\n"] * 4


def test_without_the_variable_one_next_is_outstanding_at_a_time(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """`AWS_LAMBDA_MAX_CONCURRENCY=1` is today's runtime: one connection, one `next` at a time."""
    request_id = runtime_api.enqueue({"program": "sleep", "arguments": ["0.3"]})
    env = {"AWS_LAMBDA_MAX_CONCURRENCY": "1"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        runtime_api.outcome(request_id)
        runtime_api.wait_until_polling()
        assert runtime_api.waiting_next == 1
        runtime.terminate()
        assert runtime.wait() == 143


def test_an_invalid_max_concurrency_is_an_init_error_naming_the_variable(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """`AWS_LAMBDA_MAX_CONCURRENCY=many`: init error saying what is wrong, exit 125."""
    env = {"AWS_LAMBDA_MAX_CONCURRENCY": "many"}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        assert runtime.wait() == 125
    [post] = runtime_api.posts
    assert post.kind == "init-error"
    message = str(post.document["errorMessage"])
    assert message.startswith("AWS_LAMBDA_MAX_CONCURRENCY='many' is not valid")
    assert "positive whole number" in message


def test_one_command_s_timeout_ends_only_that_command(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A command past its own timeout is CommandTimedOut; the three beside it run on and succeed."""
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=FOUR) as runtime:
        runtime_api.wait_for(lambda: runtime_api.waiting_next == 4 or None)
        late = runtime_api.enqueue({"program": "sleep", "arguments": ["300"], "timeout": 0.5})
        ids = [runtime_api.enqueue(together(meeting, 3)) for _ in range(3)]
        assert runtime_api.outcome(late).error_type_header == "Function.CommandTimedOut"
        assert all(runtime_api.outcome(request_id).kind == "response" for request_id in ids)
        runtime.terminate()
        assert runtime.wait() == 143


def test_sigterm_stops_every_running_command_answers_each_and_leaves_nothing(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """A shutdown mid-run: each of three commands (and its children) stopped and answered."""
    pids = tmp_path / "pids"
    pids.mkdir()
    script = f'sleep 300 & echo $! > {pids}/"$RUN_COMMAND_REQUEST_ID"; wait'
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=FOUR) as runtime:
        ids = [runtime_api.enqueue({"program": "sh", "arguments": ["-c", script]}) for _ in "abc"]
        runtime_api.wait_for(lambda: len([p for p in pids.iterdir() if p.stat().st_size]) == 3)
        grandchildren = [int(path.read_text()) for path in pids.iterdir()]
        runtime.terminate()
        assert runtime.wait() == 143
    for request_id in ids:
        assert runtime_api.outcome(request_id).error_type_header == "Function.CommandKilled"
    assert not any(Path(f"/proc/{pid}").exists() for pid in grandchildren)


def test_a_command_s_orphan_is_stopped_without_touching_the_other_commands(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """One command leaves a daemon behind and ends; another still running is not disturbed."""
    marker = tmp_path / "daemon.pid"
    waiter = tmp_path / "go"
    daemon = f"(setsid sleep 300 & echo $! > {marker}) ; sleep 0.2"
    slow = f"while [ ! -e {waiter} ]; do sleep 0.05; done; echo done"
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=FOUR) as runtime:
        runtime_api.wait_for(lambda: runtime_api.waiting_next == 4 or None)
        running = runtime_api.enqueue({"program": "sh", "arguments": ["-c", slow]})
        leaving = runtime_api.enqueue({"program": "sh", "arguments": ["-c", daemon]})
        assert runtime_api.outcome(leaving).kind == "response"
        assert not Path(f"/proc/{int(marker.read_text())}").exists()
        waiter.touch()
        post = runtime_api.outcome(running)
        runtime.terminate()
        assert runtime.wait() == 143
    assert post.kind == "response"
    assert post.document["output"] == "done\n"


def test_a_worker_whose_api_is_gone_ends_the_runtime_once_none_is_left(
    console_script: str, tmp_path: Path
) -> None:
    """No Runtime API at all: every worker retries, gives up, and the runtime exits 125."""
    address = f"127.0.0.1:{closed_port()}"
    with RuntimeProcess(console_script, address, tmp_path, env=FOUR) as runtime:
        assert runtime.wait(60) == 125
    assert runtime.stderr.count("gave up after 7 attempts") == 4
    assert runtime.stderr.splitlines()[-1].startswith("No worker is left.")


def test_each_command_gets_a_private_tmpdir_removed_once_it_ended(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Concurrent commands see distinct 0700 TMPDIRs under /tmp, gone after their answers."""
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    probe = 'touch "$TMPDIR/mine"; stat -c "%a $TMPDIR" "$TMPDIR"'
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=FOUR) as runtime:
        runtime_api.wait_for(lambda: runtime_api.waiting_next == 4 or None)
        ids = [runtime_api.enqueue(together(meeting, 3, probe)) for _ in range(3)]
        own = runtime_api.enqueue({"program": "sh", "arguments": ["-c", 'echo "$TMPDIR"'],
                                   "environment": {"TMPDIR": str(tmp_path)}})  # fmt: skip
        outputs = [str(runtime_api.outcome(request_id).document["output"]) for request_id in ids]
        assert runtime_api.outcome(own).document["output"] == f"{tmp_path}\n"
        runtime.terminate()
        assert runtime.wait() == 143
    modes, directories = zip(*(output.split() for output in outputs), strict=True)
    assert set(modes) == {"700"}
    assert len(set(directories)) == 3
    assert all(os.path.dirname(directory) == "/tmp" for directory in directories)
    assert not any(os.path.exists(directory) for directory in directories)


def test_json_logs_of_the_runtime_and_of_each_command_carry_their_request_ids(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """With four workers, each runtime line and each line of a command's stdout and stderr
    names its invocation (the command's stderr lines among the runtime's own, on stderr)."""
    env = {**FOUR, "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    script = 'echo "out $RUN_COMMAND_REQUEST_ID"; echo "err $RUN_COMMAND_REQUEST_ID" >&2'
    say = {"program": "sh", "arguments": ["-c", script]}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        ids = [runtime_api.enqueue(say) for _ in range(8)]
        results = [runtime_api.outcome(request_id).document for request_id in ids]
        runtime.terminate()
        assert runtime.wait() == 143
    assert [sorted(str(result["output"]).splitlines()) for result in results] == [
        [f"err {request_id}", f"out {request_id}"] for request_id in ids
    ]
    records = [json.loads(line) for line in runtime.stderr.splitlines()]
    running = [record for record in records if record["message"].startswith("Running sh")]
    assert sorted(record["requestId"] for record in running) == sorted(ids)
    errors = [record for record in records if record["message"].startswith("err ")]
    assert sorted(record["requestId"] for record in errors) == sorted(ids)
    assert all(record["message"] == f"err {record['requestId']}" for record in errors)
    output = [json.loads(line) for line in runtime.stdout.splitlines()]
    assert sorted(record["requestId"] for record in output) == sorted(ids)
    assert all(record["message"] == f"out {record['requestId']}" for record in output)
    assert {record["level"] for record in output + errors} == {"INFO"}


def test_an_events_request_id_variable_cannot_put_its_output_under_another_invocation(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """The records of a command's output carry its invocation's id, whatever its variables say."""
    env = {**FOUR, "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    event = {
        "program": "echo",
        "arguments": ["claimed"],
        "environment": {"RUN_COMMAND_REQUEST_ID": "someone-else"},
    }
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        request_id = runtime_api.enqueue(event)
        runtime_api.outcome(request_id)
        runtime.terminate()
        assert runtime.wait() == 143
    output = [json.loads(line) for line in runtime.stdout.splitlines()]
    assert [(record["requestId"], record["message"]) for record in output] == [
        (request_id, "claimed")
    ]


def test_a_tenants_output_records_carry_its_tenant_id(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Like the runtime's own records of that invocation, its output's name the tenant."""
    env = {**FOUR, "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    event = {"program": "echo", "arguments": ["for acme"]}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        headers = {"Lambda-Runtime-Aws-Tenant-Id": "acme"}
        tenants = runtime_api.enqueue(event, headers=headers)
        runtime_api.outcome(tenants)
        alone = runtime_api.enqueue(event)
        runtime_api.outcome(alone)
        runtime.terminate()
        assert runtime.wait() == 143
    output = [json.loads(line) for line in runtime.stdout.splitlines()]
    assert [(record["requestId"], record.get("tenantId")) for record in output] == [
        (tenants, "acme"),
        (alone, None),
    ]


def test_with_one_worker_output_is_forwarded_byte_for_byte(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Concurrency 1: a command's bytes reach stdout as they are, no records, no prefix."""
    env = {"AWS_LAMBDA_MAX_CONCURRENCY": "1", "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    event = {"program": "printf", "arguments": ["a\\377b\\nno newline"]}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        runtime_api.outcome(runtime_api.enqueue(event))
        runtime.terminate()
        assert runtime.wait() == 143
    assert (tmp_path / "runtime.stdout").read_bytes() == b"a\377b\nno newline"


def test_two_concurrent_invocations_with_one_key_in_one_environment_run_once(
    console_script: str, runtime_api: FakeRuntimeApi, idempotency_table: LocalTable, tmp_path: Path
) -> None:
    """Two workers given one idempotencyKey at once: one run, both answer its result."""
    runs = tmp_path / "runs"
    script = f'echo ran >> "{runs}"; sleep 1; echo migrated'
    event = {"program": "sh", "arguments": ["-c", script], "idempotencyKey": "migrate-4.2"}
    env = {**idempotency_table.environment, **FOUR}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=env) as runtime:
        runtime_api.wait_for(lambda: runtime_api.waiting_next == 4 or None)
        ids = [runtime_api.enqueue(event) for _ in range(2)]
        posts = [runtime_api.outcome(request_id, timeout=60) for request_id in ids]
        runtime.terminate()
        assert runtime.wait() == 143
    assert runs.read_text() == "ran\n"
    assert [post.document["output"] for post in posts] == ["migrated\n", "migrated\n"]


def test_an_on_demand_function_gives_each_command_a_fresh_tmpdir_too(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """One worker: two commands in a row get two TMPDIRs, each gone with what it held."""
    event = {
        "program": "sh",
        "arguments": ["-c", 'echo "$TMPDIR" > "$TMPDIR/left"; echo "$TMPDIR"'],
    }
    with RuntimeProcess(console_script, runtime_api, tmp_path) as runtime:
        ids = [runtime_api.enqueue(event) for _ in range(2)]
        outputs = [str(runtime_api.outcome(request_id).document["output"]) for request_id in ids]
        runtime.terminate()
        assert runtime.wait() == 143
    first, second = (output.strip() for output in outputs)
    assert first != second
    assert first.startswith("/tmp/run-command-")
    assert not os.path.exists(first)
    assert not os.path.exists(second)


def test_local_mode_leaves_tmpdir_as_it_is(console_script: str, tmp_path: Path) -> None:
    """Run locally, the command sees the TMPDIR it was started with."""
    event = '{"program": "sh", "arguments": ["-c", "echo $TMPDIR"]}'
    completed = run_script(console_script, "--event", event, env={"TMPDIR": str(tmp_path)})
    assert completed.returncode == 0
    assert completed.stdout.decode() == f"{tmp_path}\n"


def test_in_the_text_format_every_line_is_prefixed_with_its_request_id(
    console_script: str, runtime_api: FakeRuntimeApi, tmp_path: Path
) -> None:
    """Four workers, text logs: the runtime's lines and the command's start with the request id."""
    say = {"program": "sh", "arguments": ["-c", 'echo "out"; echo "err" >&2']}
    with RuntimeProcess(console_script, runtime_api, tmp_path, env=FOUR) as runtime:
        ids = [runtime_api.enqueue(say) for _ in range(4)]
        for request_id in ids:
            runtime_api.outcome(request_id)
        runtime.terminate()
        assert runtime.wait() == 143
    stdout = runtime.stdout.splitlines()
    assert sorted(stdout) == sorted(f"{request_id} out" for request_id in ids)
    stderr = runtime.stderr.splitlines()
    for request_id in ids:
        assert f'{request_id} Running sh ["-c", "echo \\"out\\"; echo \\"err\\" >&2"].' in stderr
        assert f"{request_id} err" in stderr
        assert f"{request_id} sh exited with status 0." in stderr
