"""``Custom::BedrockCustomizationWaitStart``: arms the stack's long waits by enabling its poll rule.

The poll rule (``bedrock-cr-wait-<stack GUID>``) is DISABLED while nothing waits (:mod:`.reconcile` turns it off).
A job's Create or Update in the long mode enables it, but a group's condition can also be made fresh without any job
starting: a member removed from the group, or an upstream group replaced, changes the group's digest and so its
condition's logical id, and the new condition then waits for jobs that ended long ago. Only a poll sees those.

So every wait condition of the stack depends on this one resource, whose property lists their logical ids: whenever
any condition is new, it is updated first, and its Create or Update enables the rule. Delete does nothing (the
reconciler disables the rule once nothing waits and no stack operation runs). Its physical id is fixed per stack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from . import contract, served_stack
from .errors import reason_for
from .lifecycle import Done, Reading, Request, Step, id_after_failure


@dataclasses.dataclass(frozen=True)
class WaitStartKind:
    """Enables the stack's poll rule on Create and Update (``events``: an EventBridge client)."""

    events: Any
    resource_type: str = contract.WAIT_START_RESOURCE_TYPE

    def create(self, request: Request) -> Step:
        return self._enable(request)

    def update(self, request: Request) -> Step:
        return self._enable(request)

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        return Done(physical_id)

    def read(self, physical_id: str) -> Reading:
        return Reading(final=True)

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        return Done(id_after_failure(request), failure=why)

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        return Done(request.physical_id)

    def _enable(self, request: Request) -> Step:
        rule = served_stack.wait_rule_name(request.stack_id)
        try:
            self.events.enable_rule(Name=rule)
        except Exception as exc:
            return Done(
                id_after_failure(request),
                failure=f"Cannot start the long waits: the stack's poll rule {rule} could not be enabled "
                f"({reason_for(exc)}).",
            )
        return Done(rule, {"PollRule": rule})
