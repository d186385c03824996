"""What every List and Create shares: Bedrock's pages (``maxResults`` / ``nextToken``) and its tag limit."""

from __future__ import annotations

import base64
from collections.abc import Sized

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


def check_tag_count(tags: Sized | None, resource_name: str) -> None:
    """TooManyTagsException when a resource would carry more than Bedrock's 50 tags."""
    if tags is not None and len(tags) > MAX_TAGS:
        raise BedrockError(
            "TooManyTagsException",
            f"The request exceeds the limit of {MAX_TAGS} tags for the resource.",
            extra={"resourceName": resource_name},
        )
