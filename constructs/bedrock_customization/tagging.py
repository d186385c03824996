"""Tags from ``cdk.Tags.of(scope).add(...)`` reach Bedrock resources too.

Custom resources are not taggable in CloudFormation's sense, so each construct carries its own ``cdk.TagManager``
(which makes it an ``ITaggable`` the Tags aspect visits) and renders the API's tag lists lazily, after aspects ran:
the tags applied to the construct, overridden by the tags given explicitly.

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
from constructs import IValidation

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
