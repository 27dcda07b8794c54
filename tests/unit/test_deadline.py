"""Unit: when a command is stopped, given its timeout, the invocation's deadline and the grace."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.deadline import StopPlan


@pytest.mark.parametrize(
    ("timeout", "deadline", "term_at", "kill_at"),
    [
        (None, None, None, None),  # local run, no timeout: never stopped
        (10.0, None, 110.0, 113.0),  # timeout only: TERM then the full grace
        (None, 1000.0, 996.7, 999.7),  # far deadline: KILL lands at deadline minus margin
        (5.0, 1000.0, 105.0, 108.0),  # the timeout comes first: it decides
        (None, 103.3, 101.5, 103.0),  # Lambda's 3 s default: half to run, half of grace
        (1.0, 103.3, 101.0, 103.0),  # a shorter timeout still brings TERM forward
        (None, 100.1, 100.0, 100.0),  # already past deadline minus margin: stop at once
    ],
)
def test_the_stop_plan_fits_inside_the_timeout_and_the_deadline(
    timeout: float | None, deadline: float | None, term_at: float | None, kill_at: float | None
) -> None:
    """Grace 3 s, margin 0.3 s, now = 100: where TERM and KILL land."""
    plan = StopPlan.plan(now=100.0, grace=3.0, timeout=timeout, deadline=deadline, margin=0.3)
    assert plan.term_at == pytest.approx(term_at)
    assert plan.kill_at == pytest.approx(kill_at)


def test_a_stop_for_another_reason_still_kills_by_the_hard_limit() -> None:
    """A port-ready stop late in the run gets the grace, but not past kill_at."""
    plan = StopPlan.plan(now=100.0, grace=3.0, deadline=160.0, margin=0.3)
    assert plan.kill_deadline(120.0) == 123.0
    assert plan.kill_deadline(158.0) == pytest.approx(159.7)
