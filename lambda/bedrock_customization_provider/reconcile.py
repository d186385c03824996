"""The long wait's other half: signal the stack's wait conditions whose resource is final, trusting no event.

The provider is invoked by two EventBridge rules of its stack (see docs/long-wait.md): Bedrock's job state-change
events (seconds after a job ends, best effort) and a scheduled poll (the fallback, every minute while anything waits).
Neither event is trusted: anyone allowed to invoke the function can send one. An event's job ARN is only a hint of
which condition to look at first; what gets signalled follows from the stack itself and from Bedrock:

1. ``ListStackResources`` of the function's own stack (``STACK_ID``): each ``AWS::CloudFormation::WaitCondition``
   in ``CREATE_IN_PROGRESS`` declares in its ``Metadata`` (:data:`~.contract.WAIT_MEMBERS_METADATA`, read with
   ``DescribeStackResource``) the logical ids it waits for: jobs or models of this stack, whose physical ids are read
   *now*. So an event for a replaced job's old ARN can never complete the new job's condition, and a forged event
   can at most cause a read.
2. The resource is read with its kind (:meth:`~.lifecycle.ResourceKind.read`); once final, the condition gets
   ``SignalResource(SUCCESS, UniqueId=<resource id>)``; a condition of a group completes once each member signalled
   (CloudFormation counts a repeated UniqueId once, so a member signalled by an earlier poll does no harm). A signal
   carries no reason, so it says SUCCESS also for a failed job: the group's check resource after the condition fails
   with Bedrock's message. A condition that cannot be signalled any more (a duplicate signal, a stack that moved
   on) is fine.
3. Nothing left waiting and no stack operation under way: the poll rule is disabled, then the stack's status is read
   again and the rule re-enabled if an operation began meanwhile (its Create may have enabled the rule just before).

An event names one job, so it costs one list, one description per waiting condition and at most one read; a poll
reads every waiting resource.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from . import contract
from .errors import error_code, reason_for
from .lifecycle import ResourceKind

logger = logging.getLogger(__name__)

WAIT_CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"
#: CloudFormation's UniqueId limit for a signal.
MAX_UNIQUE_ID_LENGTH = 64


@dataclass(frozen=True)
class Waiting:
    """A condition of the stack that waits, and the resource it waits for."""

    condition: str
    resource: str
    resource_type: str
    physical_id: str


@dataclass
class Report:
    """What one reconciliation did (logged; tests and benchmarks read it)."""

    waiting: int = 0
    read: list[str] = field(default_factory=list)
    signalled: list[str] = field(default_factory=list)
    rule: str = "unchanged"  # unchanged | disabled | re-enabled


def is_trigger(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` is one of the long wait's (a Bedrock job event or a scheduled event), not a request."""
    return event.get("source") in (contract.JOB_EVENT_SOURCE, "aws.events") and "RequestType" not in event


def hinted_arn(event: Mapping[str, Any]) -> str | None:
    """The job ARN a Bedrock job event names (a hint only: it decides what is read first, never what is signalled)."""
    if event.get("source") != contract.JOB_EVENT_SOURCE:
        return None
    detail = event.get("detail")
    arn = detail.get("jobArn") if isinstance(detail, Mapping) else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def reconcile(
    event: Mapping[str, Any],
    *,
    stack_id: str,
    cloudformation: Any,
    events: Any,
    kinds: Mapping[str, ResourceKind],
    rule_name: str,
) -> Report:
    """Signal every condition of ``stack_id`` (the served stack: its id, or its name for a provider stack serving a
    plain CloudFormation stack) whose resource is final (only the hinted one's, for a job event). ``rule_name``: the
    long wait's poll rule, beside the function (:func:`.served_stack.wait_rule_name`)."""
    report = Report()
    waiting = waiting_conditions(cloudformation, stack_id, kinds)
    report.waiting = len(waiting)
    hint = hinted_arn(event)
    candidates = [w for w in waiting if w.physical_id == hint] if hint else waiting
    settled = 0  # signalled now, or not signalable any more (signalled before, the stack moved on)
    for item in candidates:
        report.read.append(item.physical_id)
        try:
            reading = kinds[item.resource_type].read(item.physical_id)
        except Exception as exc:  # one unreadable resource must not keep the others from their signal
            logger.warning("Cannot read %s for %s: %s", item.physical_id, item.condition, reason_for(exc))
            continue
        if not reading.final:
            continue
        settled += 1
        if _signal(cloudformation, stack_id, item):
            report.signalled.append(item.condition)
    if len(waiting) == settled and not hint:
        report.rule = _disable_rule_when_idle(cloudformation, events, stack_id, rule_name)
    logger.info(
        "Reconciled: %d waiting, %d read, signalled %s, poll rule %s",
        report.waiting,
        len(report.read),
        ", ".join(report.signalled) or "nothing",
        report.rule,
    )
    return report


def waiting_conditions(cloudformation: Any, stack_id: str, kinds: Mapping[str, ResourceKind]) -> list[Waiting]:
    """Each (condition still waiting, resource it waits for), with the resource's current physical id."""
    resources: dict[str, Mapping[str, Any]] = {}
    kwargs = {"StackName": stack_id}
    while True:
        try:
            page = cloudformation.list_stack_resources(**kwargs)
        except ClientError as exc:  # a served stack known by name that does not exist (yet, or any more)
            if error_code(exc) != "ValidationError":
                raise
            logger.info("Nothing waits: %s", reason_for(exc))
            return []
        for summary in page.get("StackResourceSummaries", []):
            resources[summary["LogicalResourceId"]] = summary
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    found = []
    for logical_id, summary in resources.items():
        if summary.get("ResourceType") != WAIT_CONDITION_TYPE or summary.get("ResourceStatus") != "CREATE_IN_PROGRESS":
            continue
        for member in _members(cloudformation, stack_id, logical_id):
            watched = resources.get(member)
            if watched is None or watched.get("ResourceType") not in kinds:
                continue
            physical_id = str(watched.get("PhysicalResourceId") or "")
            if physical_id.startswith("arn:"):
                found.append(Waiting(logical_id, member, watched["ResourceType"], physical_id))
    return found


def _members(cloudformation: Any, stack_id: str, condition: str) -> list[str]:
    """The logical ids ``condition`` declares it waits for (none: not one of the long wait's conditions)."""
    try:
        detail = cloudformation.describe_stack_resource(StackName=stack_id, LogicalResourceId=condition)
    except ClientError as exc:  # gone meanwhile (a rollback's cleanup, say): nothing to signal
        if error_code(exc) != "ValidationError":
            raise
        return []
    text = detail.get("StackResourceDetail", {}).get("Metadata") or "{}"
    try:
        members = json.loads(text).get(contract.WAIT_MEMBERS_METADATA, [])
    except (ValueError, AttributeError):
        members = None
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        logger.warning("%s declares no list of logical ids under %s", condition, contract.WAIT_MEMBERS_METADATA)
        return []
    return members


def _signal(cloudformation: Any, stack_id: str, item: Waiting) -> bool:
    unique_id = item.physical_id.rsplit("/", 1)[-1][:MAX_UNIQUE_ID_LENGTH]
    try:
        cloudformation.signal_resource(
            StackName=stack_id, LogicalResourceId=item.condition, UniqueId=unique_id, Status="SUCCESS"
        )
    except ClientError as exc:
        if error_code(exc) != "ValidationError":
            raise
        logger.info("%s cannot be signalled (already signalled?): %s", item.condition, reason_for(exc))
        return False
    logger.info("Signalled %s: %s is final", item.condition, item.physical_id)
    return True


def _in_progress(cloudformation: Any, stack_id: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_id).get("Stacks", [])
    except ClientError as exc:  # no stack of that name: no operation will start a wait without enabling the rule
        if error_code(exc) != "ValidationError":
            raise
        return False
    return any(str(stack.get("StackStatus", "")).endswith("_IN_PROGRESS") for stack in stacks)


def _disable_rule_when_idle(cloudformation: Any, events: Any, stack_id: str, rule: str) -> str:
    """Nothing waits: stop polling unless a stack operation is under way (it may be about to wait)."""
    if _in_progress(cloudformation, stack_id):
        return "unchanged"
    events.disable_rule(Name=rule)
    if _in_progress(cloudformation, stack_id):  # began meanwhile: its Create may have enabled the rule just now
        events.enable_rule(Name=rule)
        return "re-enabled"
    return "disabled"
