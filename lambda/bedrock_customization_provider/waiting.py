"""How the provider waits: crhelper's scheduled polls inside CloudFormation's custom-resource limit.

CloudFormation waits at most ``ServiceTimeout`` seconds (1..3600) for a custom resource's response. crhelper polls
every ``POLL_INTERVAL_MINUTES`` through an EventBridge rule; a poll that would come after the limit would answer a
request CloudFormation has already failed with a vague "timed out". So each poll asks :class:`ServiceTimeoutBudget`
whether the NEXT poll still fits, and if not, the resource kind gives up now and says why.

The resource kinds never see this module; the long wait (a wait condition of up to 12 hours, signalled from
Bedrock's job state-change events) lives in :mod:`.wait_modes` and :mod:`.reconcile`, not in them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import contract

#: Extra seconds kept before CloudFormation's limit: EventBridge schedules are not exact and a poll takes time.
SLACK_SECONDS = contract.POLL_SLACK_SECONDS


def poll_interval_minutes() -> int:
    """Minutes between polls from ``POLL_INTERVAL_MINUTES`` (default 1, at least 1: EventBridge's finest rate)."""
    return max(1, int(os.environ.get(contract.ENV_POLL_INTERVAL_MINUTES, str(contract.POLL_INTERVAL_MINUTES))))


def stop_margin(poll_interval_seconds: int) -> int:
    """Seconds before CloudFormation's limit at which waiting stops: one poll interval plus slack."""
    return poll_interval_seconds + SLACK_SECONDS


def shortest_service_timeout(poll_interval_seconds: int) -> int:
    """The shortest ServiceTimeout in which one poll fits: one second more than the stop margin."""
    return stop_margin(poll_interval_seconds) + 1


@dataclass(frozen=True)
class ServiceTimeoutBudget:
    """The time left to answer one request: ``service_timeout`` seconds from ``started_at`` (epoch seconds)."""

    service_timeout: int
    started_at: float
    poll_interval_seconds: int

    @property
    def margin(self) -> int:
        """Seconds before the limit at which we stop waiting: one poll interval plus slack."""
        return stop_margin(self.poll_interval_seconds)

    def fits_one_poll(self) -> bool:
        """Whether waiting for even one poll is possible at all (checked before anything is started)."""
        return self.service_timeout >= shortest_service_timeout(self.poll_interval_seconds)

    def exhausted(self, now: float) -> bool:
        """True when the next poll would arrive too close to (or after) CloudFormation's limit."""
        return now + self.margin >= self.started_at + self.service_timeout

    def reason(self) -> str:
        """Why the wait ends, for the FAILED reason (the resource kind says what it did first)."""
        return (
            f"CloudFormation's custom-resource limit (ServiceTimeout {self.service_timeout} s, "
            f"max {contract.MAX_SERVICE_TIMEOUT_SECONDS} s) is reached; WaitMode Long waits up to 12 hours."
        )

    def too_short_problem(self) -> str:
        return (
            f"{contract.SERVICE_TIMEOUT} must exceed one poll interval plus {SLACK_SECONDS} s "
            f"(got {self.service_timeout}, need more than {self.margin})"
        )
