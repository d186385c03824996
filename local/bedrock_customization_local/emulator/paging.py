"""What every List and Create shares: Bedrock's filters and pages (``maxResults`` / ``nextToken``), its tag lists
and its tag limit."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sized
from datetime import datetime
from typing import Any

from .errors import BedrockError, validation

#: Bedrock's limit of tags on one resource ("50 tags per resource", existing and requested together); the API's list
#: shapes allow 200 in one request, which the shape validation lets through.
MAX_TAGS = 50
DEFAULT_PAGE = 100


def paginate(rows: list[dict], params: dict, sort_key: str) -> tuple[list[dict], str | None]:
    rows.sort(key=lambda row: row[sort_key], reverse=params.get("sortOrder", "Descending") == "Descending")
    start = 0
    if params.get("nextToken"):
        try:
            start = int(base64.urlsafe_b64decode(params["nextToken"].encode()).decode())
        except ValueError as exc:
            raise validation("The provided pagination token is not valid.") from exc
    size = params.get("maxResults", DEFAULT_PAGE)
    page = rows[start : start + size]
    following = start + size
    token = base64.urlsafe_b64encode(str(following).encode()).decode() if following < len(rows) else None
    return page, token


def page_body(rows: list[dict], params: dict, sort_key: str, items: str) -> dict[str, Any]:
    """A List answer: one page of ``rows`` under ``items``, and ``nextToken`` only when more follow."""
    page, token = paginate(rows, params, sort_key)
    return {items: page, **({"nextToken": token} if token else {})}


def listed(
    params: dict,
    *,
    created: datetime,
    name: str,
    equals: Mapping[str, Any] | None = None,
    after: str = "creationTimeAfter",
    before: str = "creationTimeBefore",
) -> bool:
    """Whether a resource passes a List call's filters: created strictly inside the ``after``/``before`` window
    (ListCustomModelDeployments names them ``createdAfter``/``createdBefore``), ``nameContains``, and every
    ``<filter member>: value`` of ``equals`` (``statusEquals``, ``modelArnEquals``...) the call sets."""
    if after in params and not created > params[after]:
        return False
    if before in params and not created < params[before]:
        return False
    if "nameContains" in params and params["nameContains"] not in name:
        return False
    return all(params[member] == value for member, value in (equals or {}).items() if member in params)


def tag_map(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """The API's tag list (``[{"key": k, "value": v}]``) as the store keeps it (``{k: v}``)."""
    return {t["key"]: t["value"] for t in tags or []}


def check_tag_count(tags: Sized | None, resource_name: str) -> None:
    """TooManyTagsException when a resource would carry more than Bedrock's 50 tags."""
    if tags is not None and len(tags) > MAX_TAGS:
        raise BedrockError(
            "TooManyTagsException",
            f"The request exceeds the limit of {MAX_TAGS} tags for the resource.",
            extra={"resourceName": resource_name},
        )
