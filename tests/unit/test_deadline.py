"""Unit: SIGTERM and SIGKILL are planned inside both the timeout and the Lambda deadline."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.deadline import StopPlan


def test_without_timeout_or_deadline_nothing_is_ever_stopped() -> None:
    """A local run without a timeout runs as long as it takes."""
    plan = StopPlan.plan(now=100.0, grace=3.0)
    assert plan.term_at is None
    assert plan.kill_at is None


def test_a_timeout_sends_term_then_kill_after_the_grace() -> None:
    """timeout 10 s, grace 3 s: TERM at 10 s, KILL at 13 s."""
    plan = StopPlan.plan(now=100.0, grace=3.0, timeout=10.0)
    assert (plan.term_at, plan.kill_at) == (110.0, 113.0)


def test_the_deadline_leaves_the_margin_and_the_grace() -> None:
    """Deadline in 60 s, margin 0.3 s: KILL lands at 59.7 s, TERM a grace earlier."""
    plan = StopPlan.plan(now=100.0, grace=3.0, deadline=160.0, margin=0.3)
    assert plan.kill_at == pytest.approx(159.7)
    assert plan.term_at == pytest.approx(156.7)


def test_a_timeout_can_only_shorten_the_deadline() -> None:
    """A timeout longer than the time left changes nothing; a shorter one wins."""
    long = StopPlan.plan(now=100.0, grace=3.0, timeout=900.0, deadline=160.0, margin=0.3)
    short = StopPlan.plan(now=100.0, grace=3.0, timeout=5.0, deadline=160.0, margin=0.3)
    assert long.kill_at == pytest.approx(159.7)
    assert (short.term_at, short.kill_at) == (105.0, 108.0)


def test_with_little_time_left_the_grace_shrinks_never_the_margin() -> None:
    """One second left, grace 3 s: TERM now, KILL at the deadline minus the margin."""
    plan = StopPlan.plan(now=100.0, grace=3.0, deadline=101.0, margin=0.3)
    assert plan.term_at == 100.0
    assert plan.kill_at == pytest.approx(100.7)


def test_past_the_deadline_the_kill_is_immediate() -> None:
    """When the margin is already eaten, TERM and KILL are both due now."""
    plan = StopPlan.plan(now=100.0, grace=3.0, deadline=100.1, margin=0.3)
    assert plan.term_at == 100.0
    assert plan.kill_at == 100.0


def test_a_stop_for_another_reason_still_kills_by_the_hard_limit() -> None:
    """A port-ready stop late in the run gets the grace, but not past kill_at."""
    plan = StopPlan.plan(now=100.0, grace=3.0, deadline=160.0, margin=0.3)
    assert plan.kill_deadline(120.0) == 123.0
    assert plan.kill_deadline(158.0) == pytest.approx(159.7)
