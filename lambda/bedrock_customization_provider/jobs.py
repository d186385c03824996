"""The Bedrock side of a model customization job: start, find, read status, stop, tag, delete its model.

Plain functions of a Bedrock client (pass a :class:`~.retry.RetryingClient` for retries). They know nothing about
CloudFormation or about how the provider waits. Names follow Terraform's: ``find_job`` returns None when missing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from .errors import ModelInUseError, NameInUseError

logger = logging.getLogger(__name__)

IN_PROGRESS = "InProgress"
STOPPING = "Stopping"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPED = "Stopped"
TERMINAL_STATUSES = frozenset({COMPLETED, FAILED, STOPPED})


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def error_message(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Message", "") or error_code(exc)


def start_job(bedrock: Any, request: Mapping[str, Any]) -> str:
    """CreateModelCustomizationJob; returns the job ARN.

    ``request`` carries its ``clientRequestToken``: a redelivered request gets the first job back. If Bedrock answers
    "job name is currently in use" instead, the job holding the name is ours when it carries the same token.
    """
    try:
        return bedrock.create_model_customization_job(**request)["jobArn"]
    except ClientError as exc:
        if error_code(exc) != "ValidationException" or "in use" not in error_message(exc).lower():
            raise
        existing = find_job(bedrock, request["jobName"])
        if existing and existing.get("clientRequestToken") == request.get("clientRequestToken"):
            logger.info("Job name %s is ours from an earlier delivery: %s", request["jobName"], existing["jobArn"])
            return existing["jobArn"]
        raise NameInUseError(
            f"jobName {request['jobName']} is already used by another job ({error_message(exc)}). "
            "Job names stay taken forever: choose a new jobName or leave it unset to have one generated."
        ) from exc


def find_job(bedrock: Any, job: str) -> dict[str, Any] | None:
    """GetModelCustomizationJob by ARN or name; None when there is no such job."""
    try:
        return bedrock.get_model_customization_job(jobIdentifier=job)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def list_jobs(bedrock: Any, *, name_contains: str, created_after: datetime.datetime) -> list[dict[str, Any]]:
    """ListModelCustomizationJobs summaries (every page) whose name contains ``name_contains``."""
    summaries: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"nameContains": name_contains, "creationTimeAfter": created_after, "maxResults": 100}
    while True:
        page = bedrock.list_model_customization_jobs(**kwargs)
        summaries += page.get("modelCustomizationJobSummaries", [])
        if not page.get("nextToken"):
            return summaries
        kwargs["nextToken"] = page["nextToken"]


def job_status(description: Mapping[str, Any]) -> str:
    """The job's status, e.g. ``InProgress``, ``Completed``."""
    return description.get("status", IN_PROGRESS)


def stop_job(bedrock: Any, job_arn: str) -> None:
    """StopModelCustomizationJob; a job that is already stopping or finished is not an error."""
    try:
        bedrock.stop_model_customization_job(jobIdentifier=job_arn)
    except ClientError as exc:
        if error_code(exc) not in ("ConflictException", "ResourceNotFoundException", "ValidationException"):
            raise
        logger.info("Job %s not stopped (%s): %s", job_arn, error_code(exc), error_message(exc))


def tags_by_key(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["key"]: t["value"] for t in tags or ()}


def apply_tag_changes(
    bedrock: Any,
    resource_arn: str,
    old_tags: Iterable[Mapping[str, str]] | None,
    new_tags: Iterable[Mapping[str, str]] | None,
) -> None:
    """TagResource for added or changed tags, UntagResource for removed keys; nothing when nothing changed."""
    old, new = tags_by_key(old_tags), tags_by_key(new_tags)
    removed = sorted(set(old) - set(new))
    changed = [{"key": k, "value": v} for k, v in new.items() if old.get(k) != v]
    if removed:
        bedrock.untag_resource(resourceARN=resource_arn, tagKeys=removed)
    if changed:
        bedrock.tag_resource(resourceARN=resource_arn, tags=changed)


def delete_custom_model(bedrock: Any, model_arn: str) -> None:
    """DeleteCustomModel; a model that does not exist is already deleted.

    Raises :class:`ModelInUseError` when a provisioned throughput or a deployment still uses the model.
    """
    try:
        bedrock.delete_custom_model(modelIdentifier=model_arn)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return
        if error_code(exc) == "ConflictException":
            raise ModelInUseError(
                "Cannot delete the custom model: a provisioned throughput or custom model deployment still uses it. "
                "Delete those first, then retry the stack deletion (or set RemovalPolicy to Retain). "
                f"Bedrock: {error_message(exc)} Model: {model_arn}"
            ) from exc
        raise
