"""Wait strategies: how a Create or Update is answered once the resource kind has started the resource.

The resource kinds (:mod:`.job_resource`, :mod:`.model_resource`) only start, read, stop and delete; when a step
starts a resource they answer :class:`~.lifecycle.Pending` with ``started`` set. What happens next is the strategy's
choice, made per request from the ``WaitMode`` property. Side by side:

=========== ===================================== ========================================= =======================
strategy    the custom resource answers           the stack sees the end by                 longest wait
=========== ===================================== ========================================= =======================
ShortWait   once the resource is final            crhelper's polls (one per interval)       ServiceTimeout (1 h)
LongWait    once the resource has started         a wait condition, signalled by            the condition's Timeout
                                                  :mod:`.reconcile` (events and polls);     (12 h)
                                                  a reader (:mod:`.result_resource`) after
                                                  it gives the attributes
NoWait      once the resource has started         never: the stack completes while it runs  none
=========== ===================================== ========================================= =======================

Deletes always wait (a running job must be Stopped before its model can go): they are not a strategy's business.
A new strategy is a new class here, registered in :func:`strategies`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from . import contract, served_stack
from .errors import reason_for
from .lifecycle import Done, Pending, Request, ResourceKind, Step

logger = logging.getLogger(__name__)


class WaitStrategy(Protocol):
    """How a Create or Update of a resource is answered."""

    def answer(self, step: Step, request: Request, kind: ResourceKind) -> Step:
        """The step to answer for what the kind did: Pending keeps waiting (crhelper polls), Done answers now."""


class ShortWait:
    """Wait for the final state within the custom resource's ServiceTimeout (crhelper's scheduled polls)."""

    def answer(self, step: Step, request: Request, kind: ResourceKind) -> Step:
        return step


class NoWait:
    """Answer as soon as the resource has started, with the attributes known then."""

    def answer(self, step: Step, request: Request, kind: ResourceKind) -> Step:
        if isinstance(step, Pending) and step.started is not None:
            return Done(step.physical_id, dict(step.started))
        return step


class LongWait:
    """Answer once the resource has started, and make sure the stack's poll rule runs while its condition waits.

    The construct puts a wait condition after the resource (``<logical id>Wait<digest>``); :mod:`.reconcile` signals
    it when the resource is final, from Bedrock's events and from the stack's poll rule. That rule is DISABLED while
    nothing waits, so every Create or Update in this mode enables it, also one that started nothing (a condition new
    to the stack may wait for a job that already ended: only a poll will see it). If the rule cannot be enabled, the
    resource is given up (a job is stopped) and the request fails: a condition nobody polls would wait 12 hours.
    """

    def __init__(self, events: Any) -> None:
        self._events = events

    def answer(self, step: Step, request: Request, kind: ResourceKind) -> Step:
        if isinstance(step, Done) and step.failure is not None:
            return step
        try:
            self._events.enable_rule(Name=served_stack.wait_rule_name(request.stack_id))
        except Exception as exc:
            why = f"the stack's wait rule could not be enabled ({reason_for(exc)})."
            logger.error("Cannot enable the wait rule: %s", why)
            if isinstance(step, Pending) and step.started is not None:
                return kind.give_up(request, step.physical_id, why, {})
            return Done(request.physical_id or step.physical_id, failure=f"Cannot wait: {why}")
        if isinstance(step, Pending) and step.started is not None:
            return Done(step.physical_id, dict(step.started))
        return step


def strategies(events: Any) -> Mapping[str, WaitStrategy]:
    """Every strategy by its ``WaitMode`` value; ``events`` is the EventBridge client the long wait needs."""
    return {
        contract.WAIT_MODE_SHORT: ShortWait(),
        contract.WAIT_MODE_NONE: NoWait(),
        contract.WAIT_MODE_LONG: LongWait(events),
    }


def answer(step: Step, request: Request, kind: ResourceKind, chosen: Mapping[str, WaitStrategy]) -> Step:
    """``step`` as the request's wait strategy answers it (Deletes are answered as the kind says)."""
    if request.request_type == "Delete":
        return step
    return chosen[request.wait_mode].answer(step, request, kind)
