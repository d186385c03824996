"""A deployed stack's customization jobs and custom models, found through CloudFormation.

ListStackResources gives each resource's type, physical id (the job's or model's ARN) and status; DescribeStacks the
stack's status and outputs. Why no GetTemplate: it is not part of the read-only policy the command documents, and the
local driver does not answer it. So the wait mode is told from what ListStackResources and DescribeStackResource show:
a job or model that a long-wait condition lists in its ``Metadata`` (``BedrockCustomizationWaitsFor``) waits in the
Long mode, and that condition's status is shown; otherwise the mode is Short or None, which the stack's resources do
not tell apart (the ``WaitMode`` property is only in the template).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .errors import NoWatchableResourcesError, StackNotFoundError

# The provider's contract names these; they are repeated here so that the watch command needs nothing from the
# provider package at import time (tests/watch checks they match).
JOB_RESOURCE_TYPE = "Custom::BedrockModelCustomizationJob"
MODEL_RESOURCE_TYPE = "Custom::BedrockCustomModel"
WATCHED_TYPES = (JOB_RESOURCE_TYPE, MODEL_RESOURCE_TYPE)
WAIT_CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"
WAIT_MEMBERS_METADATA = "BedrockCustomizationWaitsFor"
#: Physical ids the provider gives a Create that started nothing (or may have): not an ARN to read.
SENTINEL_PREFIX = "BedrockCustomization::"

WAIT_MODE_LONG = "Long"
#: What the stack's resources say of a resource outside any long-wait group.
WAIT_MODE_NOT_LONG = "Short or None"


@dataclass(frozen=True)
class WatchedResource:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str
    reason: str = ""
    updated: datetime | None = None
    #: :data:`WAIT_MODE_LONG` or :data:`WAIT_MODE_NOT_LONG`.
    wait_mode: str = WAIT_MODE_NOT_LONG
    #: Long mode: the wait condition's logical id and status (the stack waits on it, not on the resource).
    wait_condition: str = ""
    wait_status: str = ""

    @property
    def is_job(self) -> bool:
        return self.resource_type == JOB_RESOURCE_TYPE

    @property
    def arn(self) -> str:
        """The ARN to read from Bedrock; empty before the Create answered or after one that started nothing."""
        if not self.physical_id.startswith("arn:"):
            return ""
        return self.physical_id


@dataclass(frozen=True)
class StackView:
    name: str
    stack_id: str
    status: str
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    resources: tuple[WatchedResource, ...] = ()

    @property
    def jobs(self) -> tuple[WatchedResource, ...]:
        return tuple(r for r in self.resources if r.resource_type == JOB_RESOURCE_TYPE)

    @property
    def models(self) -> tuple[WatchedResource, ...]:
        return tuple(r for r in self.resources if r.resource_type == MODEL_RESOURCE_TYPE)


def read_stack(cloudformation: Any, stack_name: str, *, region: str = "") -> StackView:
    """The stack and its watched resources.

    Raises :class:`StackNotFoundError` for an unknown stack, :class:`NoWatchableResourcesError` for a stack without
    jobs or custom models.
    """
    try:
        (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
            where = f" in {region}" if region else ""
            raise StackNotFoundError(
                f"stack {stack_name} not found{where}: check the name, the region (--region) and the account "
                "(--profile)"
            ) from exc
        raise
    summaries: list[dict[str, Any]] = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack["StackId"]):
        summaries += page["StackResourceSummaries"]
    waits = _long_waits(cloudformation, stack["StackId"], summaries)
    resources = []
    for summary in summaries:
        if summary["ResourceType"] not in WATCHED_TYPES:
            continue
        logical_id = summary["LogicalResourceId"]
        condition = waits.get(logical_id)
        resources.append(
            WatchedResource(
                logical_id=logical_id,
                resource_type=summary["ResourceType"],
                physical_id=summary.get("PhysicalResourceId", ""),
                status=summary.get("ResourceStatus", ""),
                reason=summary.get("ResourceStatusReason", ""),
                updated=summary.get("LastUpdatedTimestamp"),
                wait_mode=WAIT_MODE_LONG if condition else WAIT_MODE_NOT_LONG,
                wait_condition=condition[0] if condition else "",
                wait_status=condition[1] if condition else "",
            )
        )
    view = StackView(
        name=stack["StackName"],
        stack_id=stack["StackId"],
        status=stack.get("StackStatus", ""),
        reason=stack.get("StackStatusReason", ""),
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or []},
        resources=tuple(resources),
    )
    if not resources:
        raise NoWatchableResourcesError(
            f"stack {view.name} ({view.status}) has no {JOB_RESOURCE_TYPE} or {MODEL_RESOURCE_TYPE} resource: "
            "nothing to watch"
        )
    return view


def _long_waits(cloudformation: Any, stack_id: str, summaries: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Member logical id -> (its long-wait condition, that condition's status), from each condition's Metadata
    (DescribeStackResource: ListStackResources gives no metadata)."""
    waits: dict[str, tuple[str, str]] = {}
    for summary in summaries:
        logical_id = summary["LogicalResourceId"]
        if summary["ResourceType"] != WAIT_CONDITION_TYPE:  # any name: a plain template names its own conditions
            continue
        try:
            detail = cloudformation.describe_stack_resource(StackName=stack_id, LogicalResourceId=logical_id)
        except ClientError:
            continue  # the condition went away meanwhile, or DescribeStackResource is not allowed: mode unknown
        metadata = detail["StackResourceDetail"].get("Metadata") or "{}"
        try:
            members = json.loads(metadata).get(WAIT_MEMBERS_METADATA) or []
        except (ValueError, AttributeError):
            members = []
        for member in members:
            waits[member] = (logical_id, summary.get("ResourceStatus", ""))
    return waits
