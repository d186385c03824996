"""The Bedrock side of custom models: create one from model artifacts, find, read status, delete any custom model.

Plain functions of a Bedrock client, like :mod:`.jobs`. :func:`delete_custom_model` also deletes the model a
customization job made.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import listing
from .errors import ModelInUseError, NameInUseError, error_code, error_message, none_if_not_found

logger = logging.getLogger(__name__)

CREATING = "Creating"
ACTIVE = "Active"
FAILED = "Failed"


def create_model(bedrock: Any, request: Mapping[str, Any], *, name_is_ours: bool) -> str:
    """CreateCustomModel; returns the model ARN.

    ``request`` carries its ``clientRequestToken``, so a redelivered request gets the first model back. Should Bedrock
    answer that the name is taken instead, the model is adopted only when ``name_is_ours`` (the name was derived from
    this very request); a user-chosen name taken by someone else fails with what to do.
    """
    try:
        return bedrock.create_custom_model(**request)["modelArn"]
    except ClientError as exc:
        message = error_message(exc).lower()
        taken = error_code(exc) in ("ConflictException", "ValidationException") and (
            "in use" in message or "already exists" in message
        )
        if not taken:
            raise
        existing = find_model(bedrock, request["modelName"]) if name_is_ours else None
        if existing:
            logger.info("Model %s is ours from an earlier delivery: %s", request["modelName"], existing["modelArn"])
            return existing["modelArn"]
        raise NameInUseError(
            f"modelName {request['modelName']} is already used ({error_message(exc)}). "
            "Choose another modelName, or leave it unset to have one generated."
        ) from exc


def find_model(bedrock: Any, model: str) -> dict[str, Any] | None:
    """GetCustomModel by ARN or name; None when there is no such model."""
    return none_if_not_found(bedrock.get_custom_model, modelIdentifier=model)


def list_models(bedrock: Any, *, name_contains: str, created_after: datetime.datetime) -> list[dict[str, Any]]:
    """ListCustomModels summaries (every page, any status) whose name contains ``name_contains``."""
    return listing.recent_by_name(
        bedrock.list_custom_models, "modelSummaries", name_contains=name_contains, created_after=created_after
    )


def model_status(description: Mapping[str, Any]) -> str:
    """``Creating``, ``Active`` or ``Failed``. Models made by a customization job have no status: they are Active."""
    return description.get("modelStatus", ACTIVE)


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
            raise ModelInUseError(_in_use_reason(bedrock, model_arn, error_message(exc))) from exc
        raise


def model_holders(bedrock: Any, model_arn: str) -> list[str]:
    """What keeps a custom model from being deleted: its provisioned throughputs and custom model deployments, each
    as ``<kind> <ARN>``."""
    throughputs = bedrock.list_provisioned_model_throughputs(modelArnEquals=model_arn, maxResults=10)
    deployments = bedrock.list_custom_model_deployments(modelArnEquals=model_arn, maxResults=10)
    return [
        *(
            f"provisioned throughput {t['provisionedModelArn']}"
            for t in throughputs.get("provisionedModelSummaries", [])
        ),
        *(
            f"custom model deployment {d['customModelDeploymentArn']}"
            for d in deployments.get("modelDeploymentSummaries", [])
        ),
    ]


def _in_use_reason(bedrock: Any, model_arn: str, bedrock_message: str) -> str:
    """The FAILED reason for a model in use: what holds it (when the provider can list it) and what to do."""
    try:
        holders = model_holders(bedrock, model_arn)
    except ClientError as exc:  # listing is a courtesy: without it, Bedrock's own message still says why
        logger.warning("Could not list what uses %s: %s", model_arn, error_message(exc))
        holders = []
    held_by = ", ".join(holders) if holders else "a provisioned throughput or custom model deployment"
    return (
        f"Cannot delete the custom model: {held_by} still uses it. Delete that first, then retry the deletion (or set "
        f"RemovalPolicy to Retain). Bedrock: {bedrock_message} Model: {model_arn}"
    )
