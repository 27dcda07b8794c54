"""Domain: when to send SIGTERM and SIGKILL, given a timeout, a deadline and a grace period."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class StopPlan:
    """Monotonic times (seconds) at which a running command is stopped; `None` means never.

    `term_at` is when SIGTERM goes to the process group, `kill_at` the latest moment SIGKILL
    lands, whatever else happens (a port-ready or shutdown stop also ends by then).
    """

    term_at: float | None = None
    kill_at: float | None = None
    grace: float = 3.0

    @classmethod
    def plan(
        cls,
        *,
        now: float,
        grace: float,
        timeout: float | None = None,
        deadline: float | None = None,
        margin: float = 0.0,
    ) -> StopPlan:
        """Fit TERM, grace and KILL inside both the event's timeout and the deadline.

        The hard limit is `deadline - margin`: SIGKILL never lands later, so the error can
        still be posted before the sandbox is killed. With little time left the grace shrinks
        (to at most half the time left), never the margin. A timeout can only bring the stop
        forward.
        """
        hard_limit = None if deadline is None else deadline - margin
        term_at = None if timeout is None else now + timeout
        if hard_limit is not None:
            # Little time left (Lambda's default timeout is 3 s, the grace 3 s): the grace
            # shrinks to half of what is left, so the command still gets the other half.
            latest_term = max(hard_limit - grace, now + max(0.0, hard_limit - now) / 2)
            term_at = latest_term if term_at is None else min(term_at, latest_term)
        if term_at is None:
            return cls(grace=grace)
        kill_at = term_at + grace
        if hard_limit is not None:
            kill_at = max(term_at, min(kill_at, hard_limit))
        return cls(term_at=term_at, kill_at=kill_at, grace=grace)

    def kill_deadline(self, term_sent_at: float) -> float:
        """When SIGKILL must follow a SIGTERM sent at `term_sent_at` for any reason."""
        kill_at = term_sent_at + self.grace
        return kill_at if self.kill_at is None else min(kill_at, self.kill_at)
