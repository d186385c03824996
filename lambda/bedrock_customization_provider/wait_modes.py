"""Wait strategies: how a Create or Update is answered once the resource kind has started the resource.

The resource kinds (:mod:`.job_resource`, :mod:`.model_resource`) only start, read, stop and delete; when a step
starts a resource they answer :class:`~.lifecycle.Pending` with ``started`` set. What happens next is the strategy's
choice, made per request from the ``WaitMode`` property:

- :class:`ShortWait` (``Short``, the default): keep waiting. crhelper polls until the kind reports a final state, and
  :class:`~.waiting.ServiceTimeoutBudget` gives up clearly before CloudFormation's custom-resource limit (1 hour). The
  stack gets every attribute; it costs one Lambda invocation and one Bedrock read per poll interval.
- :class:`NoWait` (``None``): answer SUCCESS at once with the attributes known at start (a job's ARN and name). The
  stack completes while the job trains; no polls, one invocation. For pipelines that must not block for hours.

Deletes always wait (a running job must be Stopped before its model can go): they are not a strategy's business.
A new strategy (a wait condition of up to 12 hours) is a new class here, registered in :data:`STRATEGIES`.
"""

from __future__ import annotations

from typing import Protocol

from . import contract
from .lifecycle import Done, Pending, Request, Step


class WaitStrategy(Protocol):
    """How a started resource's Create or Update is answered."""

    def answer_started(self, pending: Pending, request: Request) -> Step:
        """The step to answer for a resource that has just started: Pending keeps waiting, Done answers now."""


class ShortWait:
    """Wait for the final state within the custom resource's ServiceTimeout (crhelper's scheduled polls)."""

    def answer_started(self, pending: Pending, request: Request) -> Step:
        return pending


class NoWait:
    """Answer as soon as the resource has started, with the attributes known then."""

    def answer_started(self, pending: Pending, request: Request) -> Step:
        return Done(pending.physical_id, dict(pending.started or {}))


STRATEGIES: dict[str, WaitStrategy] = {contract.WAIT_MODE_SHORT: ShortWait(), contract.WAIT_MODE_NONE: NoWait()}


def answer(step: Step, request: Request) -> Step:
    """``step`` as the request's wait strategy answers it: only a step that just started a resource is its concern."""
    if isinstance(step, Pending) and step.started is not None and request.request_type != "Delete":
        return STRATEGIES[request.wait_mode].answer_started(step, request)
    return step
