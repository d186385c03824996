"""Tags of Bedrock resources (jobs and custom models alike): apply the difference between two tag lists in place.

The provider's own tags (:data:`~.contract.RESERVED_TAG_KEYS`) are never part of a user's tag list: diffing two user
lists can neither add nor remove them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import contract
from .errors import none_if_not_found


def tags_by_key(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` (the API's tag list) as ``{k: v}``.

    Anything else (not a list, or entries without a string key and value) counts as no tag: such a list reaches the
    provider only as the OLD properties of the rollback of an Update that was refused for it, so it was never applied.
    """
    if not isinstance(tags, list | tuple):
        return {}
    return {
        t["key"]: t["value"]
        for t in tags
        if isinstance(t, Mapping) and isinstance(t.get("key"), str) and isinstance(t.get("value"), str)
    }


def current_tags(bedrock: Any, resource_arn: str) -> dict[str, str] | None:
    """ListTagsForResource as ``{key: value}``; None when there is no such resource."""
    answer = none_if_not_found(bedrock.list_tags_for_resource, resourceARN=resource_arn)
    return None if answer is None else tags_by_key(answer.get("tags"))


def apply_tag_changes(
    bedrock: Any,
    resource_arn: str,
    old_tags: Iterable[Mapping[str, str]] | None,
    new_tags: Iterable[Mapping[str, str]] | None,
) -> None:
    """TagResource for added or changed tags, UntagResource for removed keys; nothing when nothing changed.

    Reserved keys in either list are ignored: the provider's own tags stay as they are.
    """
    old, new = _user_tags(old_tags), _user_tags(new_tags)
    removed = sorted(set(old) - set(new))
    changed = [{"key": k, "value": v} for k, v in new.items() if old.get(k) != v]
    if removed:
        bedrock.untag_resource(resourceARN=resource_arn, tagKeys=removed)
    if changed:
        bedrock.tag_resource(resourceARN=resource_arn, tags=changed)


def _user_tags(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {k: v for k, v in tags_by_key(tags).items() if k not in contract.RESERVED_TAG_KEYS}
