"""Tags from ``cdk.Tags.of(scope).add(...)`` reach Bedrock resources too.

Custom resources are not taggable in CloudFormation's sense, so each construct carries its own ``cdk.TagManager``
(which makes it an ``ITaggable`` the Tags aspect visits) and renders the API's tag lists lazily, after aspects ran:
the tags applied to the construct, overridden by the tags given explicitly.

The tag rules the API's shape cannot express (AWS's 50-tag limit, the reserved ``aws:`` prefix) live here once, in
:func:`tag_rule_problems`, and :class:`TagValidation` applies them twice: to the explicit tags when the construct is
built (reported with every other problem of its arguments), and to the final lists after aspects ran.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from bedrock_customization_provider import shapes
from constructs import IValidation

from .resource_rules import render_tags
from .validation import ProblemCollector, is_unresolved

#: AWS's per-resource tag limit (the API's list shape allows more than Bedrock's tagging accepts).
MAX_TAGS = 50


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


def tag_rule_problems(argument: str, tags: Sequence[Mapping[str, str]] | None, *, applied: bool) -> list[str]:
    """The tag rules beyond the API shape, for one API tag list; ``applied`` says it includes ``cdk.Tags`` ones."""
    if not tags or is_unresolved(tags):
        return []
    subject = f"{argument} and applied tags" if applied else argument
    problems = []
    if len(tags) > MAX_TAGS:
        problems.append(f"{subject} must have at most {MAX_TAGS} tags (got {len(tags)})")
    for key in _reserved_keys(tag["key"] for tag in tags):
        problems.append(f"{argument} key {key!r} must not start with 'aws:' (reserved for AWS)")
    return problems


def _reserved_keys(keys: Iterable[object]) -> list[str]:
    """Keys in the ``aws:`` namespace, which only AWS may set."""
    return [k for k in keys if isinstance(k, str) and not is_unresolved(k) and k.lower().startswith("aws:")]


@jsii.implements(IValidation)
class TagValidation:
    """The tag lists of one resource: explicit tags checked when the construct is built (:meth:`check_explicit`),
    the final lists (explicit + applied) when the app is synthesized (:meth:`validate`)."""

    def __init__(self, operation: str, members: Mapping[str, tuple[str, cdk.TagManager, Mapping[str, str] | None]]):
        #: API member -> (argument name, tag manager, explicit tags)
        self._operation = operation
        self._members = members

    def check_explicit(self, problems: ProblemCollector) -> None:
        """The rules on the explicit tags only (their shape is part of the construct's request check)."""
        for argument, _, explicit in self._members.values():
            tags = explicit if is_unresolved(explicit) else render_tags(explicit)
            for problem in tag_rule_problems(argument, tags, applied=False):
                problems.add(problem)

    def validate(self) -> list[str]:
        request = {member: merged_tags(m, explicit) for member, (_, m, explicit) in self._members.items()}
        others: Collection[str] = set(shapes.input_shape(self._operation).members) - set(request)
        problems = [str(p) for p in shapes.validate_request(self._operation, request, is_unresolved=is_unresolved,
                                                            ignore=others)]  # fmt: skip
        for member, tags in request.items():
            problems += tag_rule_problems(self._members[member][0], tags, applied=True)
        return problems
