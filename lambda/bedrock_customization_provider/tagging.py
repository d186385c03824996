"""Tags of Bedrock resources (jobs and custom models alike): apply the difference between two tag lists in place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def tags_by_key(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` (the API's tag list) as ``{k: v}``."""
    return {t["key"]: t["value"] for t in tags or ()}


def apply_tag_changes(
    bedrock: Any,
    resource_arn: str,
    old_tags: Iterable[Mapping[str, str]] | None,
    new_tags: Iterable[Mapping[str, str]] | None,
) -> None:
    """TagResource for added or changed tags, UntagResource for removed keys; nothing when nothing changed."""
    old, new = tags_by_key(old_tags), tags_by_key(new_tags)
    removed = sorted(set(old) - set(new))
    changed = [{"key": k, "value": v} for k, v in new.items() if old.get(k) != v]
    if removed:
        bedrock.untag_resource(resourceARN=resource_arn, tagKeys=removed)
    if changed:
        bedrock.tag_resource(resourceARN=resource_arn, tags=changed)
