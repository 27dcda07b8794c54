"""The ProcessExecutor stops the whole process tree of a command, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan
from run_command_on_aws_lambda.domain.errors import ErrorType
from run_command_on_aws_lambda.domain.policy import Failure, Success, judge
from run_command_on_aws_lambda.domain.result import Ending
from tests.integration.conftest import Supervised

# A shell that ignores SIGTERM, and so does the grandchild it leaves running in the background.
# Timeouts that expect it to ignore SIGTERM leave it a second to get to the `trap`.
TERM_IGNORING_TREE = 'trap "" TERM; sleep 1000 & sleep 1000'


def test_the_command_leads_its_own_session_and_process_group(supervised: Supervised) -> None:
    """The child is a session leader, so its whole tree can be signalled at once."""
    script = "import os; print(os.getpid(), os.getpgid(0), os.getsid(0))"
    result = supervised.run(CommandSpec(program=sys.executable, arguments=("-c", script)))
    pid, group, session = map(int, result.output.split())
    assert pid == group == session
    assert session != os.getsid(0)


def test_a_timeout_stops_a_term_respecting_tree_with_sigterm(supervised: Supervised) -> None:
    """SIGTERM reaches the child and its grandchild; no need to wait for the grace period."""
    result = supervised.shell("sleep 1000 & sleep 1000", timeout=0.2, grace=60)
    assert result.ending is Ending.TIMED_OUT
    assert result.returncode == -15
    assert result.duration_ms < 60_000
    assert supervised.left_behind() == []


def test_a_timeout_kills_a_tree_ignoring_sigterm_once_the_grace_expires(
    supervised: Supervised,
) -> None:
    """TERM, grace, then KILL for the whole group: a CommandTimedOut after timeout + grace."""
    result = supervised.shell(TERM_IGNORING_TREE, timeout=1.0, grace=0.5)
    assert result.ending is Ending.TIMED_OUT
    assert result.returncode == -9
    assert 1500 <= result.duration_ms < 10_000
    verdict = judge(result)
    assert isinstance(verdict, Failure)
    assert verdict.error_type is ErrorType.COMMAND_TIMED_OUT
    assert supervised.left_behind() == []


def test_a_deadline_stops_the_command_with_sigkill_at_deadline_minus_margin(
    supervised: Supervised,
) -> None:
    """Without a timeout, SIGTERM goes a grace before the hard limit, SIGKILL right at it."""
    now = time.monotonic()
    stop = StopPlan.plan(now=now, grace=0.5, deadline=now + 1.7, margin=0.2)
    result = supervised.run(
        CommandSpec(program="sh", arguments=("-c", TERM_IGNORING_TREE)), stop=stop
    )
    assert result.ending is Ending.TIMED_OUT
    assert result.returncode == -9
    assert 1500 <= result.duration_ms < 60_000
    assert supervised.left_behind() == []


def test_grandchildren_left_running_after_the_child_exits_are_stopped(
    supervised: Supervised,
) -> None:
    """The command's own status decides; what it left in its group is stopped anyway."""
    result = supervised.shell("sleep 1000 & sleep 1000 & echo started; exit 3")
    assert result.ending is Ending.EXITED
    assert result.returncode == 3
    assert result.output == b"started\n"
    assert supervised.left_behind() == []


def test_a_term_ignoring_leftover_is_killed_after_the_grace(supervised: Supervised) -> None:
    """A leftover that ignores SIGTERM gets SIGKILL once the grace is over; exit 0 stays 0."""
    result = supervised.shell('trap "" TERM; sleep 1000 & exit 0', grace=0.3)
    assert isinstance(judge(result), Success)
    assert result.duration_ms >= 300
    assert supervised.left_behind() == []


def test_a_leftover_holding_the_output_pipes_does_not_keep_the_runtime_waiting(
    supervised: Supervised,
) -> None:
    """A grandchild still writing after the child exited is stopped; its output is kept."""
    script = 'trap "" TERM; (while :; do echo tick; sleep 0.01; done) & sleep 0.1; echo bye >&2'
    result = supervised.shell(script, grace=0.2)
    assert result.returncode == 0
    stdout, stderr = supervised.forwarded()
    assert stdout.startswith(b"tick\n")
    assert stderr == b"bye\n"
    assert supervised.left_behind() == []


def test_no_process_and_no_zombie_is_left_after_each_kind_of_invocation(
    supervised: Supervised,
) -> None:
    """Count this test's processes after successes, failures, timeouts and leftovers."""
    scripts = [
        ("true", None),
        ("exit 4", None),
        ("sleep 1000 & sleep 1000 & exit 0", None),
        (TERM_IGNORING_TREE, 0.1),
        ("sh -c 'sh -c \"sleep 1000\" & sleep 1000' & kill -9 $$", None),
    ]
    for script, timeout in scripts:
        supervised.shell(script, timeout=timeout, grace=0.2)
        assert supervised.left_behind() == [], script


SUBREAPER_RUN = """
import json, os, sys, time
from run_command_on_aws_lambda import ProcessExecutor, become_child_subreaper
from run_command_on_aws_lambda.adapters.executor.process_group import children_of
from run_command_on_aws_lambda.domain.command import CommandSpec
from run_command_on_aws_lambda.domain.deadline import StopPlan

assert become_child_subreaper()
executor = ProcessExecutor(stdout=2, stderr=2, reap_orphans=True)
spec = CommandSpec(program="sh", arguments=("-c", sys.argv[1]))
stop = StopPlan.plan(now=time.monotonic(), grace=0.3)
result = executor.execute(spec, environment=dict(os.environ), stop=stop)
print(json.dumps({"output": result.output.decode(), "returncode": result.returncode,
                  "children": children_of(os.getpid())}))
"""

# Starts a TERM-ignoring daemon in a session of its own, shows its /proc stat line, and exits.
DOUBLE_FORK = """
setsid sh -c 'trap "" TERM; echo $$ > {pidfile}; exec sleep 1000' &
while [ ! -s {pidfile} ]; do sleep 0.01; done
cat /proc/$(cat {pidfile})/stat
"""


def test_a_daemon_that_left_the_group_is_stopped_by_a_child_subreaper(tmp_path: Path) -> None:
    """With reap_orphans, a double-forked daemon in its own session is killed and reaped."""
    pidfile = tmp_path / "daemon.pid"
    script = textwrap.dedent(DOUBLE_FORK.format(pidfile=pidfile))
    completed = subprocess.run(
        [sys.executable, "-c", SUBREAPER_RUN, script],
        capture_output=True,
        timeout=60,
        check=True,
    )
    report = json.loads(completed.stdout)
    daemon = int(pidfile.read_text())
    stat = report["output"].rsplit(")", 1)[1].split()
    assert int(stat[3]) == daemon, "the daemon runs in a session of its own"
    assert report["returncode"] == 0
    assert report["children"] == []
    assert not Path(f"/proc/{daemon}").exists()
