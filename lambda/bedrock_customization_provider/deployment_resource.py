"""``Custom::BedrockCustomModelDeployment``: on-demand inference of a custom model (CreateCustomModelDeployment).

Physical id: the deployment ARN. Attributes: see :data:`~.contract.DEPLOYMENT_ATTRIBUTES`. ``modelArn`` changes in
place (UpdateCustomModelDeployment; the request waits until the deployment's ``updateDetails.updateStatus`` leaves
Updating: UpdateCompleted, or UpdateFailed which fails the request and leaves the deployment serving its old model),
``tags`` change in place, anything else (``modelDeploymentName``, ``description``) deploys anew. Statuses: Creating
-> Active | Failed. Delete removes the deployment (after a creation or update under way has ended) and waits until
Bedrock no longer knows it, so the custom model it served can be deleted next. The CloudFormation meaning is
:class:`~.serving_resource.ServingKind`'s.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from . import contract, listing, rules
from .errors import ignore_not_found, none_if_not_found
from .lifecycle import Reading, Request, attributes, creation_time, failure
from .serving_resource import ServingKind

CREATING = "Creating"
ACTIVE = "Active"
FAILED = "Failed"
UPDATE_UNDER_WAY = "Updating"
UPDATE_FAILED = "UpdateFailed"


class DeploymentKind(ServingKind):
    """The custom model deployment resource over a Bedrock client (usually a :class:`~.retry.RetryingClient`)."""

    resource_type = contract.DEPLOYMENT_RESOURCE_TYPE
    operation = rules.DEPLOYMENT_OPERATION
    name_member = "modelDeploymentName"
    in_place = contract.DEPLOYMENT_IN_PLACE_MEMBERS
    noun = "custom model deployment"
    purpose = "deployment"
    attr_arn = contract.ATTR_DEPLOYMENT_ARN
    attr_name = contract.ATTR_DEPLOYMENT_NAME

    def start(self, api_request: Mapping[str, Any]) -> str:
        return self.bedrock.create_custom_model_deployment(**api_request)["customModelDeploymentArn"]

    def find(self, identifier: str) -> dict[str, Any] | None:
        return none_if_not_found(self.bedrock.get_custom_model_deployment, customModelDeploymentIdentifier=identifier)

    def recent(self, name_contains: str, since: datetime.datetime) -> list[dict[str, Any]]:
        return listing.recent_by_name(
            self.bedrock.list_custom_model_deployments,
            "modelDeploymentSummaries",
            name_contains=name_contains,
            created_after=since,
            after_member="createdAfter",  # this List's name for creationTimeAfter
        )

    def reading(self, description: Mapping[str, Any], *, updating: bool) -> Reading:
        return deployment_reading(description, updating=updating)

    def busy(self, description: Mapping[str, Any]) -> bool:
        return description.get("status") == CREATING or _update_status(description) == UPDATE_UNDER_WAY

    def update_in_place(self, request: Request) -> bool:
        model = request.properties.get("modelArn")
        if model == request.old_properties.get("modelArn"):
            return False
        self.bedrock.update_custom_model_deployment(customModelDeploymentIdentifier=request.physical_id, modelArn=model)
        return True

    def remove(self, request: Request, arn: str, description: Mapping[str, Any]) -> None:
        ignore_not_found(self.bedrock.delete_custom_model_deployment, customModelDeploymentIdentifier=arn)

    def arn_of(self, description: Mapping[str, Any]) -> str:
        return str(description["customModelDeploymentArn"])

    def name_of(self, description: Mapping[str, Any]) -> str:
        return str(description.get("modelDeploymentName") or description.get("customModelDeploymentName") or "")


def _update_status(description: Mapping[str, Any]) -> str | None:
    return (description.get("updateDetails") or {}).get("updateStatus")


def deployment_reading(description: Mapping[str, Any], *, updating: bool = False) -> Reading:
    """A deployment's state from GetCustomModelDeployment: final once Active (and no update under way) or Failed.

    ``updating``: our in-place update is what is waited for, so an UpdateFailed fails it (otherwise an earlier
    failed update says nothing of the deployment, which still serves its model)."""
    status = str(description.get("status", CREATING))
    name = str(description.get("modelDeploymentName", description.get("customModelDeploymentArn")))
    update = _update_status(description)
    if status == CREATING or (status == ACTIVE and update == UPDATE_UNDER_WAY):
        return Reading(final=False, began_at=creation_time({"creationTime": description.get("createdAt")}))
    if status == FAILED:
        return Reading(
            final=True,
            failure=failure(description, "custom model deployment", name, status, "The deployment failed."),
        )
    if updating and update == UPDATE_FAILED:
        target = (description.get("updateDetails") or {}).get("modelArn", "the new model")
        return Reading(
            final=True,
            failure=failure(
                description,
                "custom model deployment",
                name,
                f"{status}, update to {target} {UPDATE_FAILED}; it still serves {description.get('modelArn')}",
                "The deployment's update failed.",
            ),
        )
    return Reading(final=True, attributes=deployment_attributes(description))


def deployment_attributes(description: Mapping[str, Any]) -> dict[str, str]:
    """The resource's attributes from GetCustomModelDeployment; every one present (empty when unknown)."""
    return attributes(
        {
            contract.ATTR_DEPLOYMENT_ARN: description.get("customModelDeploymentArn"),
            contract.ATTR_DEPLOYMENT_NAME: description.get("modelDeploymentName"),
            contract.ATTR_MODEL_ARN: description.get("modelArn"),
            contract.ATTR_STATUS: description.get("status"),
        }
    )
