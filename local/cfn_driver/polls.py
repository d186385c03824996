"""EventBridge, the part crhelper needs: scheduled rules that invoke the provider with a fixed input.

Why read the rules back instead of intercepting crhelper: the provider creates a real rule, a target and a Lambda
permission through the AWS APIs (moto behind the emulator). Delivering from what is actually stored there tests
the provider's side of the contract too: rule names within limits, a target input that round-trips, and a resource
policy that lets ``events.amazonaws.com`` invoke the function from that rule (no permission, no delivery, as in AWS).
EventBridge's limits moto does not enforce (64-character rule names, 8,192-character target input) are checked here.

Schedules run on the shared :class:`~cfn_driver.clock.AcceleratedClock`; ``min_wall_gap`` keeps a very fast clock
from turning a one-minute rate into a busy loop (late delivery is within EventBridge's own guarantees).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .clock import AcceleratedClock
from .runtime import LambdaService

#: EventBridge's limits that crhelper's defaults can break (moto does not enforce them; AWS refuses the call).
MAX_RULE_NAME = 64
MAX_TARGET_INPUT = 8192
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float | None:
    """Seconds between firings of ``rate(...)``; None for anything else (cron is not what crhelper writes)."""
    match = _RATE.match(expression or "")
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


@dataclass
class Delivery:
    rule: str
    function: str
    logical_id: str
    request_type: str
    outcome: str


@dataclass
class PollScheduler:
    """Fires due targets of enabled rate rules; remembers problems instead of hiding them."""

    events: Any  # boto3 EventBridge client (emulator endpoint)
    lambda_client: Any  # boto3 Lambda client (emulator endpoint): resource policies
    lambdas: LambdaService
    clock: AcceleratedClock
    min_wall_gap: float = 0.1
    deliveries: list[Delivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _next_due: dict[str, float] = field(default_factory=dict)  # rule ARN -> virtual time
    _last_wall: dict[str, float] = field(default_factory=dict)

    def rules(self) -> list[dict[str, Any]]:
        rules, token = [], None
        while True:
            page = self.events.list_rules(**({"NextToken": token} if token else {}))
            rules += page.get("Rules", [])
            token = page.get("NextToken")
            if not token:
                return rules

    def deliver_due(self) -> int:
        """Invoke the targets of every rule whose time has come; returns how many invocations were made."""
        now, wall = self.clock.now(), time.monotonic()
        delivered = 0
        live = set()
        for rule in self.rules():
            arn = rule["Arn"]
            live.add(arn)
            every = rate_seconds(rule.get("ScheduleExpression", ""))
            if rule.get("State") != "ENABLED" or every is None:
                continue
            if arn not in self._next_due:  # first seen: EventBridge fires one period after creation
                self._next_due[arn] = now + every
                self._last_wall[arn] = wall
                continue
            if now < self._next_due[arn] or wall - self._last_wall.get(arn, 0.0) < self.min_wall_gap:
                continue
            self._next_due[arn] = now + every
            self._last_wall[arn] = wall
            delivered += self._fire(rule)
        for gone in set(self._next_due) - live:
            del self._next_due[gone]
            self._last_wall.pop(gone, None)
        return delivered

    def _fire(self, rule: dict[str, Any]) -> int:
        try:
            targets = self.events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":  # deleted meanwhile by a poll
                return 0
            raise
        fired = 0
        if len(rule["Name"]) > MAX_RULE_NAME:
            self.problems.append(f"rule name {rule['Name']} is longer than EventBridge's {MAX_RULE_NAME} characters")
            return 0
        for target in targets:
            if len(target.get("Input") or "") > MAX_TARGET_INPUT:
                self.problems.append(
                    f"rule {rule['Name']}: target input of {len(target['Input'])} characters exceeds EventBridge's "
                    f"{MAX_TARGET_INPUT}: PutTargets would have failed in AWS; not delivered"
                )
                continue
            function = target["Arn"].rsplit(":function:", 1)[-1]
            if not self._permitted(function, rule["Arn"]):
                self.problems.append(
                    f"rule {rule['Name']} targets {function}, but no permission lets events.amazonaws.com invoke it "
                    f"from that rule: not delivered"
                )
                continue
            event = json.loads(target.get("Input") or "{}")
            attempts = self.lambdas.invoke_async(function, event)
            self.deliveries.append(
                Delivery(
                    rule=rule["Name"],
                    function=function,
                    logical_id=str(event.get("LogicalResourceId")),
                    request_type=str(event.get("RequestType")),
                    outcome=attempts[-1].outcome if attempts else "none",
                )
            )
            fired += 1
        return fired

    def _permitted(self, function: str, rule_arn: str) -> bool:
        try:
            policy = json.loads(self.lambda_client.get_policy(FunctionName=function)["Policy"])
        except ClientError:
            return False
        for statement in policy.get("Statement", []):
            principal = statement.get("Principal")
            service = principal.get("Service") if isinstance(principal, dict) else principal
            source = (statement.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
            if service == "events.amazonaws.com" and source in (None, rule_arn):
                return True
        return False
