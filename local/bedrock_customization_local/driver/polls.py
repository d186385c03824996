"""EventBridge, the parts the provider needs: scheduled rules and event-pattern rules that invoke it.

Why read the rules back instead of intercepting crhelper: the provider creates a real rule, a target and a Lambda
permission through the AWS APIs (moto behind the emulator). Delivering from what is actually stored there tests
the provider's side of the contract too: rule names within limits, a target input that round-trips, and a resource
policy that lets ``events.amazonaws.com`` invoke the function from that rule (no permission, no delivery, as in AWS).
EventBridge's limits moto does not enforce (64-character rule names, 8,192-character target input) are checked here,
and so is a target input that carries a presigned response URL or wait condition handle URL (anyone allowed
``events:ListTargetsByRule`` reads it): a problem listed (the target is still invoked, as EventBridge would).

Schedules run on the shared :class:`~.clock.AcceleratedClock`; ``min_wall_gap`` keeps a very fast clock
from turning a one-minute rate into a busy loop (late delivery is within EventBridge's own guarantees). A target
with ``Input`` gets that constant; one without gets what EventBridge sends: a "Scheduled Event" envelope for a
schedule, the matched event itself for a pattern rule.

Events (:meth:`PollScheduler.deliver_events`): Bedrock's job state changes, drained from the emulator
(``drain_job_events``) at every tick of a stack operation, go to every ENABLED rule whose ``EventPattern`` matches
(:func:`match_pattern`: exact values, nested objects, ``prefix`` and ``exists``; any other operator is a problem
listed, and no match). The emulator keeps an event until it is drained, so events of a time when no operation runs
are delivered, late, at the next tick, to the rules enabled then (EventBridge would have delivered them at once).

A Lambda resource policy permits a rule as Lambda decides it: a statement for ``events.amazonaws.com`` allowing
``lambda:InvokeFunction``, whose conditions all hold: ``ArnLike``/``ArnEquals`` on ``AWS:SourceArn`` (``*`` and
``?`` wildcards, per ARN component) and ``StringEquals``/``StringLike`` on ``AWS:SourceAccount``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .clock import AcceleratedClock
from .responses import presigned_url_kind
from .runtime import LambdaService

#: EventBridge's limits that crhelper's defaults can break (moto does not enforce them; AWS refuses the call).
MAX_RULE_NAME = 64
MAX_TARGET_INPUT = 8192
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
#: What a target input holding a custom-resource event shows even when its URL was cut: the event's URL field.
_EVENT_URL_FIELD = '"ResponseURL"'


def rate_seconds(expression: str) -> float | None:
    """Seconds between firings of ``rate(...)``; None for anything else (cron is not what crhelper writes)."""
    match = _RATE.match(expression or "")
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


SCHEDULED_EVENT = "Scheduled Event"


def scheduled_event(rule_arn: str, at: float) -> dict[str, Any]:
    """What EventBridge sends a scheduled rule's target that has no Input."""
    _, _, _, region, account, _ = (rule_arn.split(":", 5) + [""] * 6)[:6]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SCHEDULED_EVENT,
        "source": "aws.events",
        "account": account,
        "time": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


#: EventBridge content-filter operators :func:`match_pattern` evaluates; others are reported, never assumed true.
KNOWN_OPERATORS = ("prefix", "exists")


def match_pattern(pattern: Any, event: Any, path: str = "") -> tuple[bool, list[str]]:
    """Whether ``event`` matches the EventBridge ``pattern``, and the problems met (unsupported parts of it).

    A field's pattern is a list of allowed values (strings, numbers, null, or operator objects) or an object of
    nested fields; an event array matches when any element does; every field of the pattern must match.
    """
    problems: list[str] = []
    if not isinstance(pattern, dict):
        return False, [f"{path or 'pattern'}: a pattern must be an object, got {pattern!r}"]
    for key, expected in pattern.items():
        where = f"{path}.{key}" if path else key
        present = isinstance(event, dict) and key in event
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(expected, dict):
            if not present or not isinstance(value, dict):
                return False, problems
            matched, found = match_pattern(expected, value, where)
            problems += found
            if not matched:
                return False, problems
            continue
        if not isinstance(expected, list):
            problems.append(f"{where}: a leaf of an event pattern must be an array, got {expected!r}")
            return False, problems
        if not _leaf_matches(expected, present, value, where, problems):
            return False, problems
    return True, problems


def _leaf_matches(allowed: list[Any], present: bool, value: Any, where: str, problems: list[str]) -> bool:
    values = value if isinstance(value, list) else [value]
    for option in allowed:
        if isinstance(option, dict):
            if len(option) != 1 or next(iter(option)) not in KNOWN_OPERATORS:
                problems.append(f"{where}: the driver does not evaluate the operator {option!r}; treated as no match")
                continue
            ((operator, argument),) = option.items()
            if operator == "exists" and bool(argument) == present:
                return True
            if operator == "prefix" and present and any(isinstance(v, str) and v.startswith(argument) for v in values):
                return True
            continue
        if present and any(v == option and type(v) is type(option) for v in values):
            return True
    return False


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ArnLike/ArnEquals: each of the six colon-separated parts compared, ``*`` and ``?`` wildcards in each."""
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != len(actual):
        return False
    return all(_wildcard(w).fullmatch(a) is not None for w, a in zip(wanted, actual, strict=True))


def _wildcard(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text), re.DOTALL)


@dataclass
class Delivery:
    rule: str
    function: str
    logical_id: str
    request_type: str
    outcome: str
    #: For EventBridge envelopes (a Scheduled Event, a Bedrock state change): its detail-type and job status.
    detail_type: str = ""
    status: str = ""


@dataclass
class PollScheduler:
    """Fires due targets of enabled rate rules; remembers problems instead of hiding them."""

    events: Any  # boto3 EventBridge client (emulator endpoint)
    lambda_client: Any  # boto3 Lambda client (emulator endpoint): resource policies
    lambdas: LambdaService
    clock: AcceleratedClock
    #: Hands out events published since the last call (the emulator's ``drain_job_events``); None: no events.
    drain_events: Callable[[], list[dict[str, Any]]] | None = None
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

    def deliver_events(self) -> int:
        """Deliver every event drained now to the targets of each ENABLED rule whose pattern matches it."""
        if self.drain_events is None:
            return 0
        events = self.drain_events()
        if not events:
            return 0
        rules = [r for r in self.rules() if r.get("EventPattern") and r.get("State") == "ENABLED"]
        delivered = 0
        for event in events:
            for rule in rules:
                try:
                    pattern = json.loads(rule["EventPattern"])
                except ValueError:
                    self.problems.append(f"rule {rule['Name']}: EventPattern is not JSON: {rule['EventPattern']!r}")
                    continue
                matched, problems = match_pattern(pattern, event)
                self.problems += [f"rule {rule['Name']}: {problem}" for problem in problems]
                if matched:
                    delivered += self._fire(rule, event)
        return delivered

    def _fire(self, rule: dict[str, Any], matched: dict[str, Any] | None = None) -> int:
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
            if target.get("InputPath") or target.get("InputTransformer"):
                self.problems.append(
                    f"rule {rule['Name']}: target {target.get('Id')} uses InputPath/InputTransformer, which the driver "
                    f"does not play: not delivered"
                )
                continue
            text = target.get("Input") or ""
            kind = presigned_url_kind(text) or ("response URL" if _EVENT_URL_FIELD in text else None)
            if kind:
                self.problems.append(
                    f"rule {rule['Name']}: target {target.get('Id')}'s input carries a presigned {kind}, which "
                    f"anyone allowed events:ListTargetsByRule reads"
                )
            function = target["Arn"].rsplit(":function:", 1)[-1]
            if not self._permitted(function, rule["Arn"]):
                self.problems.append(
                    f"rule {rule['Name']} targets {function}, but no permission lets events.amazonaws.com invoke it "
                    f"from that rule: not delivered"
                )
                continue
            if target.get("Input") is not None:
                event = json.loads(target["Input"])
            else:
                event = matched if matched is not None else scheduled_event(rule["Arn"], self.clock.now())
            attempts = self.lambdas.invoke_async(function, event)
            detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
            self.deliveries.append(
                Delivery(
                    rule=rule["Name"],
                    function=function,
                    logical_id=str(event.get("LogicalResourceId")),
                    request_type=str(event.get("RequestType")),
                    outcome=attempts[-1].outcome if attempts else "none",
                    detail_type=str(event.get("detail-type") or ""),
                    status=str(detail.get("jobStatus") or ""),
                )
            )
            fired += 1
        return fired

    def _permitted(self, function: str, rule_arn: str) -> bool:
        try:
            policy = json.loads(self.lambda_client.get_policy(FunctionName=function)["Policy"])
        except ClientError:
            return False
        statements = policy.get("Statement", [])
        return any(self._allows(s, rule_arn) for s in (statements if isinstance(statements, list) else [statements]))

    def _allows(self, statement: dict[str, Any], rule_arn: str) -> bool:
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else principal
        services = services if isinstance(services, list) else [services]
        actions = statement.get("Action", "lambda:InvokeFunction")
        actions = actions if isinstance(actions, list) else [actions]
        if statement.get("Effect", "Allow") != "Allow" or "events.amazonaws.com" not in services:
            return False
        if not any(action in ("lambda:InvokeFunction", "lambda:*", "*") for action in actions):
            return False
        account = (rule_arn.split(":") + [""] * 5)[4]
        for operator, clauses in (statement.get("Condition") or {}).items():
            for key, expected in clauses.items():
                wanted = expected if isinstance(expected, list) else [expected]
                if key.lower() == "aws:sourcearn":
                    actual = rule_arn
                elif key.lower() == "aws:sourceaccount":
                    actual = account
                else:
                    self.problems.append(f"{statement.get('Sid')}: condition key {key} is not evaluated: no match")
                    return False
                if operator in ("ArnLike", "ArnEquals"):
                    ok = any(arn_like(str(w), actual) for w in wanted)
                elif operator == "StringEquals":
                    ok = actual in [str(w) for w in wanted]
                elif operator == "StringLike":
                    ok = any(_wildcard(str(w)).fullmatch(actual) for w in wanted)
                else:
                    self.problems.append(f"{statement.get('Sid')}: condition {operator} is not evaluated: no match")
                    return False
                if not ok:
                    return False
        return True
