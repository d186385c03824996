"""Tags from ``cdk.Tags.of(scope).add(...)`` reach Bedrock resources too.

Custom resources are not taggable in CloudFormation's sense, so each construct carries its own ``cdk.TagManager``
(which makes it an ``ITaggable`` the Tags aspect visits) and renders the API's tag lists lazily, after aspects ran:
the tags applied to the construct, overridden by the tags given explicitly.

The manager is created when the construct's ``tags`` are first read (by the Tags aspect, or by the user), with
:func:`attach_tag_manager`: only then can tags be applied, so only then are the resource's tag lists made lazy and
checked again at synth. A construct nobody tags costs no manager, no lazy value and no validation: about ten round
trips to the jsii kernel per job, in a sweep of hundreds.

The tag rules the API's shape cannot express (Bedrock's 50 tags per resource, the reserved ``aws:`` prefix, the
provider's own key) are the provider's (:func:`bedrock_customization_provider.rules.tag_problems`). The explicit tags
meet them with the rest of the construct's request; :class:`TagValidation` applies them again to the final lists, after
aspects ran.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import aws_cdk as cdk
import jsii
from bedrock_customization_provider import rules, shapes
from constructs import IConstruct, IValidation

from .lookups import node_of
from .validation import argument_for, is_unresolved


def new_tag_manager(resource_type: str) -> cdk.TagManager:
    return cdk.TagManager(cdk.TagType.KEY_VALUE, resource_type)


def merged_tags(manager: cdk.TagManager, explicit: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    """Applied tags (sorted by key, as CDK renders them) then explicit ones; an explicit key wins."""
    explicit = dict(explicit or {})
    applied = [(t["Key"], t["Value"]) for t in (manager.render_tags() or []) if t["Key"] not in explicit]
    tags = [{"key": k, "value": v} for k, v in applied] + [{"key": k, "value": v} for k, v in explicit.items()]
    return tags or None


def lazy_tags(manager: cdk.TagManager, explicit: Mapping[str, str] | None) -> Any:
    """A token for the tag list, resolved at synth time (after the Tags aspect has run)."""
    return cdk.Lazy.any(_Producer(manager, explicit), omit_empty_array=True)


def attach_tag_manager(
    scope: IConstruct,
    resource: cdk.CustomResource | None,
    resource_type: str,
    operation: str,
    members: Mapping[str, tuple[str, Mapping[str, str] | None]],
) -> cdk.TagManager:
    """A new tag manager for ``scope``, whose ``resource`` renders each tag list of ``members`` (API member ->
    (argument name, explicit tags)) from it from now on, and the validation of those lists at synth.

    The resource was created with the explicit lists as plain values; each is overridden by a lazy list (a list
    token: a property override merges an object token's fields instead of taking it as the value). ``resource``
    None: the construct failed validation before creating it, so there is nothing to render.
    """
    manager = new_tag_manager(resource_type)
    if resource is not None:
        cfn = node_of(resource).default_child
        assert isinstance(cfn, cdk.CfnResource)
        for member, (_, explicit) in members.items():
            cfn.add_property_override(member, cdk.Token.as_list(lazy_tags(manager, explicit)))
    checked = {member: (argument, manager, explicit) for member, (argument, explicit) in members.items()}
    node_of(scope).add_validation(TagValidation(operation, checked))
    return manager


@jsii.implements(cdk.IStableAnyProducer)
class _Producer:
    def __init__(self, manager: cdk.TagManager, explicit: Mapping[str, str] | None) -> None:
        self._manager = manager
        self._explicit = explicit

    def produce(self) -> Any:
        return merged_tags(self._manager, self._explicit)


@jsii.implements(IValidation)
class TagValidation:
    """The final tag lists of one resource (explicit + applied), checked when the app is synthesized."""

    def __init__(self, operation: str, members: Mapping[str, tuple[str, cdk.TagManager, Mapping[str, str] | None]]):
        #: API member -> (argument name, tag manager, explicit tags)
        self._operation = operation
        self._members = members

    def validate(self) -> list[str]:
        request = {member: merged_tags(m, explicit) for member, (_, m, explicit) in self._members.items()}
        others: Collection[str] = set(shapes.input_shape(self._operation).members) - set(request)
        problems = shapes.validate_request(self._operation, request, is_unresolved=is_unresolved, ignore=others)
        for member, tags in request.items():
            problems += rules.tag_problems(member, tags)
        arguments = {member: argument for member, (argument, _, _) in self._members.items()}
        return [f"{p} (argument {argument_for(p.path, arguments)}, with applied tags)" for p in problems]
