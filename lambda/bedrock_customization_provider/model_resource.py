"""``Custom::BedrockCustomModel``: what Create, Update and Delete mean for a custom model from model artifacts.

Physical id: the model ARN. Attributes: see :data:`~.contract.MODEL_ATTRIBUTES`. ``modelTags`` change in place; any
other change registers a new model (CloudFormation then deletes the old one), unless the model at the physical id was
created from exactly the requested properties (its :data:`~.contract.MODEL_PROPERTIES_TAG_KEY` tag says so): then the
request describes that model, as CloudFormation's rollback of a refused replacement does, and it is kept. Delete
removes the model unless RemovalPolicy is Retain.

A model being created can be neither stopped nor deleted. A replacement that CloudFormation stopped waiting for (its
Update ran out of time, could not schedule its polls, or was cancelled) is still Creating when the rollback comes; the
rollback, which sends the old properties, finds it by its tag (made from the properties that failed) and deletes it
once creation ends, and so does the Delete of a cancelled Create. Nothing is left that the stack does not own.

Ownership: the same tag names the stack and logical id that created the model (:func:`~.naming.model_tag_value`).
A model another resource created is never retagged or deleted: the request is refused with a reason. Models tagged
before the owner was added are judged by their name, as older jobs are (:func:`model_owned_by`).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Mapping
from typing import Any

from . import contract, models, naming, rules, tagging
from .errors import CustomModelFailedError, OwnershipError
from .lifecycle import (
    Done,
    Pending,
    Reading,
    Request,
    Step,
    attributes,
    changed_members,
    creation_time,
    failure,
    id_after_failure,
    nothing_to_delete,
    owned_by_name,
    refuse_fixed_names,
)

logger = logging.getLogger(__name__)

FIXED_NAME_MEMBERS = ("modelName",)
#: Memo key (see :class:`~.lifecycle.Pending`): models nobody owns that a rollback or a Delete waits to delete.
ABANDONED_MODELS = "AbandonedModels"
#: How far back to look for such models: an Update's hour, its rollback's hour, and a continued rollback after that.
ABANDONED_MODEL_WINDOW = datetime.timedelta(hours=12)


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """The custom model resource over a Bedrock client (usually a :class:`~.retry.RetryingClient`)."""

    bedrock: Any
    resource_type: str = contract.MODEL_RESOURCE_TYPE

    def create(self, request: Request) -> Step:
        api_request, generated = self._api_request(request)
        arn = models.create_model(self.bedrock, api_request, name_is_ours=generated)
        return Pending(arn, started={contract.ATTR_MODEL_ARN: arn, contract.ATTR_MODEL_NAME: api_request["modelName"]})

    def update(self, request: Request) -> Step:
        self._api_request(request)  # validate first: bad input calls nothing
        replacing = changed_members(request, contract.MODEL_TAG_MEMBERS)
        if not request.physical_id.startswith("arn:"):  # the sentinel of a failed Create: nothing to update in place
            replacing = replacing or ["(failed create)"]
        elif replacing and self._made_from_tags(tags := self._tags(request.physical_id), request.properties):
            # The model that exists was created from exactly these properties: CloudFormation rolls back to it (after
            # a refused or failed replacement, say). Keep it; replacing it would need its fixed name, or build it
            # twice. A replacement the failed update left Creating is nobody's: delete it once it can be deleted.
            logger.info("Model %s was created from these properties: updating it in place", request.physical_id)
            abandoned = []
            if not request.retain:  # retained, an abandoned replacement is kept as well: no need to look for it
                abandoned = self._models_made_from(request, request.old_properties, besides=request.physical_id)
            description = self._retag(request, tags)
            still_creating = self._delete_unless_creating(request, abandoned)
            if still_creating:
                return Pending(request.physical_id, memo={ABANDONED_MODELS: still_creating})
            return Done(request.physical_id, model_attributes(description))
        if replacing:
            refuse_fixed_names(request, replacing, FIXED_NAME_MEMBERS)
            return self.create(request)
        return Done(request.physical_id, model_attributes(self._retag(request)))

    def _retag(self, request: Request, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Tags from the old properties to the new ones on the model at the physical id (``tags``: its current tags,
        when already read); its description. A model this resource did not create is refused."""
        description = models.find_model(self.bedrock, request.physical_id)
        if description is None:
            raise CustomModelFailedError(f"Custom model {request.physical_id} no longer exists; tags cannot change.")
        self._refuse_unless_owned(description, self._tags(request.physical_id) if tags is None else tags, request)
        tagging.apply_tag_changes(
            self.bedrock,
            request.physical_id,
            request.old_properties.get("modelTags"),
            request.properties.get("modelTags"),
        )
        return description

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        if ABANDONED_MODELS in memo:  # an update kept the model at its physical id and waits to delete abandoned ones
            if self._delete_unless_creating(request, memo[ABANDONED_MODELS]):
                return Pending(physical_id)
            description = models.find_model(self.bedrock, physical_id)
            if description is None:
                raise CustomModelFailedError(f"Custom model {physical_id} no longer exists.")
            return Done(physical_id, model_attributes(description))
        description = models.find_model(self.bedrock, physical_id)
        if description is None:
            raise CustomModelFailedError(f"Custom model {physical_id} disappeared while it was being created.")
        reading = model_reading(description)
        if not reading.final:
            return Pending(physical_id, began_at=reading.began_at)
        if reading.failure is None:
            return Done(physical_id, reading.attributes)
        if not request.retain:
            self._refuse_unless_owned(description, self._tags(physical_id), request)
            models.delete_custom_model(self.bedrock, physical_id)
        return Done(id_after_failure(request), failure=reading.failure)

    def read(self, physical_id: str) -> Reading:
        description = models.find_model(self.bedrock, physical_id)
        if description is None:
            return Reading(final=True, failure=f"Custom model {physical_id} no longer exists.")
        return model_reading(description)

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        # A model being created can be neither stopped nor deleted. After a Create, keep its ARN so the Delete that
        # follows removes it. After an Update, CloudFormation keeps the old model and never learns of this one:
        # remove it now if it can be, else the rollback (sent the properties it was made from) removes it later.
        if ABANDONED_MODELS in memo:
            waiting = ", ".join(arn.rsplit("/", 1)[-1] for arn in memo[ABANDONED_MODELS])  # ids: the reason is short
            return Done(
                request.physical_id,
                failure=f"Abandoned custom models still Creating ({waiting}): continue the rollback once they are not, "
                f"to delete them. {why}",
            )
        reason = f"Custom model still Creating: {why}"
        if request.request_type == "Create":
            return Done(physical_id, failure=reason)
        if self._delete_unless_creating(request, [physical_id]):
            logger.warning("The new model %s cannot be deleted while Creating; the rollback deletes it", physical_id)
            reason += " The rollback deletes it when created."
        return Done(request.physical_id, failure=reason)

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        arn = request.physical_id
        if nothing_to_delete(request):
            return Done(arn)
        if not arn.startswith("arn:"):
            return self._delete_cancelled_create(request, memo)
        description = models.find_model(self.bedrock, arn)
        if description is None:
            return Done(arn)
        self._refuse_unless_owned(description, self._tags(arn), request)
        if models.model_status(description) == models.CREATING:
            return Pending(arn)  # a model still being created cannot be deleted yet (a Create that ran out of time)
        models.delete_custom_model(self.bedrock, arn)
        return Done(arn)

    def _api_request(self, request: Request) -> tuple[dict[str, Any], bool]:
        """The validated CreateCustomModel request and whether its name was generated here.

        The model's tags end with the provider's own: the digests of the properties it is created from and of its
        owner (this stack and logical id).
        """
        ids = (request.stack_id, request.logical_id, request.request_id)
        props = dict(request.properties)
        generated = "modelName" not in props
        props.setdefault("modelName", naming.generated_name(*ids, "model"))
        api_request = rules.checked_request(rules.MODEL_OPERATION, props)
        owner = naming.owner_digest(request.stack_id, request.logical_id)
        digest_tag = {
            "key": contract.MODEL_PROPERTIES_TAG_KEY,
            "value": naming.model_tag_value(_properties_digest(request.properties), owner),
        }
        api_request["modelTags"] = [*(api_request.get("modelTags") or []), digest_tag]
        api_request["clientRequestToken"] = naming.client_request_token(*ids, "custom-model")
        return api_request, generated

    def _delete_cancelled_create(self, request: Request, memo: Mapping[str, Any]) -> Step:
        """Delete with a physical id we never gave: CloudFormation cancelled our Create before it answered.

        The model that Create started may exist, still Creating: find it (this resource's name, recent, made from
        these properties) and delete it once it can be. Only the first invocation has the properties to find it by;
        the polls wait for exactly the ARNs in the memo.
        """
        if ABANDONED_MODELS in memo:
            abandoned = memo[ABANDONED_MODELS]
        else:
            abandoned = self._models_made_from(request, request.properties, besides=None)
        still_creating = self._delete_unless_creating(request, abandoned)
        if still_creating:
            return Pending(request.physical_id, memo={ABANDONED_MODELS: still_creating})
        return Done(request.physical_id)

    def _delete_unless_creating(self, request: Request, model_arns: list[str]) -> list[str]:
        """Delete those of ``model_arns`` that exist and are not Creating (none with Retain); return those Creating."""
        if request.retain:
            return []
        creating = []
        for arn in model_arns:
            description = models.find_model(self.bedrock, arn)
            if description is None:
                continue
            if models.model_status(description) == models.CREATING:
                creating.append(arn)
                continue
            logger.info("Deleting %s, a model no resource owns", arn)
            models.delete_custom_model(self.bedrock, arn)
        return creating

    def _models_made_from(self, request: Request, properties: Mapping[str, Any], *, besides: str | None) -> list[str]:
        """This resource's models (its fixed name, or names generated for its stack and logical id) of the last
        :data:`ABANDONED_MODEL_WINDOW`, made from exactly ``properties`` and by this resource (their tag says so),
        ``besides`` excepted. A model of the same fixed name that another stack made is never among them."""
        fixed = properties.get("modelName")
        if fixed:
            description = models.find_model(self.bedrock, fixed)
            candidates = [description] if description else []
        else:
            since = datetime.datetime.now(datetime.UTC) - ABANDONED_MODEL_WINDOW
            prefix = naming.generated_name_prefix(request.stack_id, request.logical_id)
            candidates = [
                summary
                for summary in models.list_models(self.bedrock, name_contains=prefix, created_after=since)
                if naming.is_generated_name(summary["modelName"], request.stack_id, request.logical_id)
            ]
        made_from = []
        for candidate in candidates:
            if candidate["modelArn"] == besides:
                continue
            tags = self._tags(candidate["modelArn"])
            owned = model_owned_by(candidate, tags, dataclasses.replace(request, properties=properties))
            if owned and self._made_from_tags(tags, properties):
                made_from.append(candidate["modelArn"])
        return made_from

    def _tags(self, model_arn: str) -> dict[str, str] | None:
        """The model's tags; None when there is no such model."""
        return tagging.current_tags(self.bedrock, model_arn)

    @staticmethod
    def _made_from_tags(tags: Mapping[str, str] | None, properties: Mapping[str, Any]) -> bool:
        """Whether a model with these tags was created from exactly these (non-tag) properties: its provider tag
        carries their digest. Models created before the provider tagged them never match."""
        made_from, _owner = naming.model_tag_parts((tags or {}).get(contract.MODEL_PROPERTIES_TAG_KEY))
        return made_from is not None and made_from == _properties_digest(properties)

    @staticmethod
    def _refuse_unless_owned(description: Mapping[str, Any], tags: Mapping[str, str] | None, request: Request) -> None:
        """Only a model this stack's resource created may be retagged or deleted."""
        if model_owned_by(description, tags, request):
            return
        raise OwnershipError(
            f"Refused: model {description.get('modelName')} was not created by {request.logical_id} of this stack "
            f"(its {contract.MODEL_PROPERTIES_TAG_KEY} tag names another owner, or none and a name this resource "
            "does not use); nothing was done to it."
        )


def _properties_digest(properties: Mapping[str, Any]) -> str:
    return naming.properties_digest(properties, contract.MODEL_TAG_MEMBERS)


def model_owned_by(description: Mapping[str, Any], tags: Mapping[str, str] | None, request: Request) -> bool:
    """Whether the model was created for ``request``'s stack and logical id.

    Its provider tag says so (:func:`~.naming.model_tag_value`). A model tagged before the owner was added (or not
    tagged by the provider at all) cannot: then its name decides, as for older jobs (generated for this resource, or
    the fixed ``modelName`` of the request; a poll, which carries no properties, accepts it)."""
    _made_from, owner = naming.model_tag_parts((tags or {}).get(contract.MODEL_PROPERTIES_TAG_KEY))
    if owner is not None:
        return owner == naming.owner_digest(request.stack_id, request.logical_id)
    return owned_by_name(str(description.get("modelName") or ""), request, "modelName")


def model_reading(description: Mapping[str, Any]) -> Reading:
    """A model's state from GetCustomModel: final once Active or Failed."""
    status = models.model_status(description)
    if status == models.CREATING:
        return Reading(final=False, began_at=creation_time(description))
    if status == models.ACTIVE:
        return Reading(final=True, attributes=model_attributes(description))
    name = str(description.get("modelName"))
    return Reading(final=True, failure=failure(description, "model", name, status, "The custom model failed."))


def model_attributes(description: Mapping[str, Any]) -> dict[str, str]:
    """The resource's attributes from GetCustomModel; every one present (empty when unknown)."""
    return attributes(
        {
            contract.ATTR_MODEL_ARN: description.get("modelArn"),
            contract.ATTR_MODEL_NAME: description.get("modelName"),
            contract.ATTR_STATUS: models.model_status(description),
            contract.ATTR_CUSTOMIZATION_TYPE: description.get("customizationType"),
        }
    )
