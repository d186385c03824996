"""The Bedrock side of a model customization job: start, find, list, read status, stop.

Plain functions of a Bedrock client (pass a :class:`~.retry.RetryingClient` for retries). They know nothing about
CloudFormation or about how the provider waits. Names follow Terraform's: ``find_job`` returns None when missing.
Tagging is in :mod:`.tagging`, deleting the job's custom model in :mod:`.models`.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import listing
from .errors import NameInUseError, error_code, error_message, none_if_not_found

logger = logging.getLogger(__name__)

IN_PROGRESS = "InProgress"
STOPPING = "Stopping"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPED = "Stopped"
TERMINAL_STATUSES = frozenset({COMPLETED, FAILED, STOPPED})


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
    return none_if_not_found(bedrock.get_model_customization_job, jobIdentifier=job)


def list_jobs(bedrock: Any, *, name_contains: str, created_after: datetime.datetime) -> list[dict[str, Any]]:
    """ListModelCustomizationJobs summaries (every page) whose name contains ``name_contains``."""
    return listing.recent_by_name(
        bedrock.list_model_customization_jobs,
        "modelCustomizationJobSummaries",
        name_contains=name_contains,
        created_after=created_after,
    )


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
