"""``Custom::BedrockCustomModel``: what Create, Update and Delete mean for a custom model from model artifacts.

Physical id: the model ARN. Attributes: see :data:`~.contract.MODEL_ATTRIBUTES`. ``modelTags`` change in place; any
other change registers a new model (CloudFormation then deletes the old one), unless the model at the physical id was
created from exactly the requested properties (its :data:`~.contract.MODEL_PROPERTIES_TAG_KEY` tag says so): then the
request describes that model, as CloudFormation's rollback of a refused replacement does, and it is kept. Delete
removes the model unless RemovalPolicy is Retain.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from . import contract, models, naming, rules, tagging
from .errors import CustomModelFailedError
from .lifecycle import (
    Done,
    Pending,
    Request,
    Step,
    changed_members,
    creation_time,
    id_after_failure,
    refuse_fixed_names,
)

logger = logging.getLogger(__name__)

FIXED_NAME_MEMBERS = ("modelName",)


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """The custom model resource over a Bedrock client (usually a :class:`~.retry.RetryingClient`)."""

    bedrock: Any
    resource_type: str = contract.MODEL_RESOURCE_TYPE

    def create(self, request: Request) -> Step:
        api_request, generated = self._api_request(request)
        return Pending(models.create_model(self.bedrock, api_request, name_is_ours=generated))

    def update(self, request: Request) -> Step:
        self._api_request(request)  # validate first: bad input calls nothing
        replacing = changed_members(request, contract.MODEL_TAG_MEMBERS)
        if not request.physical_id.startswith("arn:"):  # the sentinel of a failed Create: nothing to update in place
            replacing = replacing or ["(failed create)"]
        elif replacing and self._made_from(request.physical_id, request):
            # The model that exists was created from exactly these properties: CloudFormation rolls back to it (after
            # a refused replacement, say). Keep it; replacing it would need its fixed name, or build it twice.
            logger.info("Model %s was created from these properties: updating it in place", request.physical_id)
            replacing = []
        if replacing:
            refuse_fixed_names(request, replacing, FIXED_NAME_MEMBERS)
            return self.create(request)
        description = models.find_model(self.bedrock, request.physical_id)
        if description is None:
            raise CustomModelFailedError(f"Custom model {request.physical_id} no longer exists; tags cannot change.")
        tagging.apply_tag_changes(
            self.bedrock,
            request.physical_id,
            request.old_properties.get("modelTags"),
            request.properties.get("modelTags"),
        )
        return Done(request.physical_id, model_attributes(description))

    def check(self, request: Request, physical_id: str) -> Step:
        description = models.find_model(self.bedrock, physical_id)
        if description is None:
            raise CustomModelFailedError(f"Custom model {physical_id} disappeared while it was being created.")
        status = models.model_status(description)
        if status == models.CREATING:
            return Pending(physical_id, began_at=creation_time(description))
        if status == models.ACTIVE:
            return Done(physical_id, model_attributes(description))
        if not request.retain:
            models.delete_custom_model(self.bedrock, physical_id)
        message = description.get("failureMessage") or "The custom model failed."
        return Done(id_after_failure(request), failure=f"{message} (model {description.get('modelName')} {status})")

    def give_up(self, request: Request, physical_id: str, why: str) -> Done:
        # A model being created cannot be stopped. After a Create, keep its ARN so the Delete that follows removes
        # it; after an Update, CloudFormation keeps the old model and never learns of this one: remove it now.
        reason = f"Custom model still Creating: {why}"
        if request.request_type == "Create":
            return Done(physical_id, failure=reason)
        if not request.retain:
            models.delete_custom_model(self.bedrock, physical_id)
        return Done(request.physical_id, failure=reason)

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        arn = request.physical_id
        if not arn.startswith("arn:") or request.retain:
            return Done(arn)
        description = models.find_model(self.bedrock, arn)
        if description is None:
            return Done(arn)
        if models.model_status(description) == models.CREATING:
            return Pending(arn)  # a model still being created cannot be deleted yet (a Create that ran out of time)
        models.delete_custom_model(self.bedrock, arn)
        return Done(arn)

    def _api_request(self, request: Request) -> tuple[dict[str, Any], bool]:
        """The validated CreateCustomModel request and whether its name was generated here.

        The model's tags end with the provider's own: the digest of the properties it is created from.
        """
        ids = (request.stack_id, request.logical_id, request.request_id)
        props = dict(request.properties)
        generated = "modelName" not in props
        props.setdefault("modelName", naming.generated_name(*ids, "model"))
        api_request = rules.checked_request(rules.MODEL_OPERATION, props)
        digest_tag = {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": _properties_digest(request)}
        api_request["modelTags"] = [*(api_request.get("modelTags") or []), digest_tag]
        api_request["clientRequestToken"] = naming.client_request_token(*ids, "custom-model")
        return api_request, generated

    def _made_from(self, model_arn: str, request: Request) -> bool:
        """Whether the model exists and was created from exactly these (non-tag) properties: its tag carries their
        digest. Models created before the provider tagged them never match."""
        tags = tagging.current_tags(self.bedrock, model_arn)
        return tags is not None and tags.get(contract.MODEL_PROPERTIES_TAG_KEY) == _properties_digest(request)


def _properties_digest(request: Request) -> str:
    return naming.properties_digest(request.properties, contract.MODEL_TAG_MEMBERS)


def model_attributes(description: Mapping[str, Any]) -> dict[str, str]:
    """The resource's attributes from GetCustomModel; every one present (empty when unknown)."""
    values = {
        contract.ATTR_MODEL_ARN: description.get("modelArn"),
        contract.ATTR_MODEL_NAME: description.get("modelName"),
        contract.ATTR_STATUS: models.model_status(description),
        contract.ATTR_CUSTOMIZATION_TYPE: description.get("customizationType"),
    }
    return {name: "" if value is None else str(value) for name, value in values.items()}
