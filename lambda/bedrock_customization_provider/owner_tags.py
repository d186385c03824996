"""Ownership by tag, for the resources whose descriptions carry no client request token.

GetCustomModelDeployment, GetProvisionedModelThroughput, GetModelImportJob and GetImportedModel return neither the
token nor the request, so what a token says of a customization job, the provider's tag says of these (as it already
does of custom models, :func:`~.naming.model_tag_value`): ``<properties digest>-<owner digest>``. The owner digest
names the stack and logical id that created the resource: the provider updates, retags and deletes nothing else. The
properties digest (of every member that cannot change in place) lets an Update recognise the resource that was made
from exactly what it asks for (CloudFormation rolling back a failed replacement) and keep it.

There is no older, untagged generation of these resources: a resource without the provider's tag is never ours.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from . import contract, naming, tagging
from .errors import OwnershipError
from .lifecycle import Request


def properties_digest(properties: Mapping[str, Any], in_place: Collection[str]) -> str:
    """The digest of the members that define the resource (those that change in place left out)."""
    return naming.properties_digest(properties, in_place)


def provider_tag(request: Request, in_place: Collection[str]) -> dict[str, str]:
    """The provider's tag for a resource created from ``request``'s properties by its stack and logical id."""
    owner = naming.owner_digest(request.stack_id, request.logical_id)
    value = naming.model_tag_value(properties_digest(request.properties, in_place), owner)
    return {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": value}


def with_provider_tag(tags: Any, tag: Mapping[str, str]) -> list[Any]:
    """The user's tag list (validated already) followed by the provider's tag."""
    return [*(tags or []), dict(tag)]


def owned_by(tags: Mapping[str, str] | None, request: Request) -> bool:
    """Whether the tags name ``request``'s stack and logical id as the owner."""
    _made_from, owner = naming.model_tag_parts((tags or {}).get(contract.MODEL_PROPERTIES_TAG_KEY))
    return owner is not None and owner == naming.owner_digest(request.stack_id, request.logical_id)


def made_from(tags: Mapping[str, str] | None, properties: Mapping[str, Any], in_place: Collection[str]) -> bool:
    """Whether the tags say the resource was created from exactly ``properties`` (in-place members aside)."""
    digest, _owner = naming.model_tag_parts((tags or {}).get(contract.MODEL_PROPERTIES_TAG_KEY))
    return digest is not None and digest == properties_digest(properties, in_place)


def current_tags(bedrock: Any, arn: str) -> dict[str, str] | None:
    """The resource's tags (None when it does not exist)."""
    return tagging.current_tags(bedrock, arn)


def refuse_unless_owned(tags: Mapping[str, str] | None, request: Request, what: str) -> None:
    """Raise :class:`OwnershipError` unless the tags name ``request``'s stack and logical id."""
    if owned_by(tags, request):
        return
    raise OwnershipError(
        f"Refused: {what} was not created by {request.logical_id} of this stack (its "
        f"{contract.MODEL_PROPERTIES_TAG_KEY} tag names another owner, or none); nothing was done to it."
    )
