"""Tags from ``cdk.Tags.of(scope).add(...)`` reach Bedrock resources too.

Custom resources are not taggable in CloudFormation's sense, so each construct carries its own ``cdk.TagManager``
(which makes it an ``ITaggable`` the Tags aspect visits) and renders the API's tag lists lazily, after aspects ran:
the tags applied to the construct, overridden by the tags given explicitly. Tags applied that way are checked at
synth time too (after aspects), with the same rules as explicit ones.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import aws_cdk as cdk
import jsii
from bedrock_customization_provider import shapes
from constructs import IValidation

from .resource_rules import MAX_TAGS, reserved_tag_keys
from .validation import is_unresolved


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
    """Checks the final tag lists (explicit + applied) of one resource when the app is synthesized."""

    def __init__(self, operation: str, members: Mapping[str, tuple[str, cdk.TagManager, Mapping[str, str] | None]]):
        #: API member -> (argument name, tag manager, explicit tags)
        self._operation = operation
        self._members = members

    def validate(self) -> list[str]:
        request = {member: merged_tags(m, explicit) for member, (_, m, explicit) in self._members.items()}
        others: Collection[str] = set(shapes.input_shape(self._operation).members) - set(request)
        problems = [str(p) for p in shapes.validate_request(self._operation, request, is_unresolved=is_unresolved,
                                                            ignore=others)]  # fmt: skip
        for member, tags in request.items():
            argument = self._members[member][0]
            if tags and len(tags) > MAX_TAGS:
                problems.append(f"{argument} and applied tags must be at most {MAX_TAGS} (got {len(tags)})")
            for key in reserved_tag_keys(t["key"] for t in tags or []):
                problems.append(f"{argument} key {key!r} must not start with 'aws:' (reserved for AWS)")
        return problems
