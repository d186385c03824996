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
            raise ModelInUseError(
                "Cannot delete the custom model: a provisioned throughput or custom model deployment still uses it. "
                "Delete those first, then retry the stack deletion (or set RemovalPolicy to Retain). "
                f"Bedrock: {error_message(exc)} Model: {model_arn}"
            ) from exc
        raise
