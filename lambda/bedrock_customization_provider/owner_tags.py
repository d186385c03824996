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

from collections.abc import Collection, Iterable, Mapping
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


def with_ownership(
    api_request: dict[str, Any], request: Request, in_place: Collection[str], tag_members: Collection[str], purpose: str
) -> dict[str, Any]:
    """``api_request`` (a validated Create) with the provider's tag after the user's in each of ``tag_members`` and
    the token derived from the request and its properties digest (a redelivered request makes nothing new)."""
    tag = provider_tag(request, in_place)
    for member in tag_members:
        api_request[member] = with_provider_tag(api_request.get(member), tag)
    digest = properties_digest(request.properties, in_place)
    ids = (request.stack_id, request.logical_id, request.request_id)
    api_request["clientRequestToken"] = naming.client_request_token(*ids, purpose, digest)
    return api_request


def owned_by(tags: Mapping[str, str] | None, request: Request) -> bool:
    """Whether the tags name ``request``'s stack and logical id as the owner."""
    _made_from, owner = naming.model_tag_parts((tags or {}).get(contract.MODEL_PROPERTIES_TAG_KEY))
    return owner is not None and owner == naming.owner_digest(request.stack_id, request.logical_id)


def made_from(tags: Mapping[str, str] | None, properties: Mapping[str, Any], in_place: Collection[str]) -> bool:
    """Whether the tags say the resource was created from exactly ``properties`` (in-place members aside)."""
    digest, _owner = naming.model_tag_parts((tags or {}).get(contract.MODEL_PROPERTIES_TAG_KEY))
    return digest is not None and digest == properties_digest(properties, in_place)


def made_here(tags: Mapping[str, str] | None, request: Request, in_place: Collection[str]) -> bool:
    """Whether the tags say this very resource (stack and logical id) created it from exactly its properties: what
    an earlier delivery or a cancelled Create of this request left, and nothing else, is adopted or cleaned up."""
    return owned_by(tags, request) and made_from(tags, request.properties, in_place)


def made_here_among(bedrock: Any, arns: Iterable[str], request: Request, in_place: Collection[str]) -> list[str]:
    """Those of ``arns`` that :func:`made_here` says this resource created from its properties."""
    return [arn for arn in arns if made_here(current_tags(bedrock, arn), request, in_place)]


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
