"""Bedrock's List* operations share one shape: filters, ``maxResults``, ``nextToken``.

The provider lists only to find what a lost or cancelled request of its own started, so it always filters by name
and creation time; this reads every page of such a listing through the (retrying) client's own operation.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any


def recent_by_name(
    operation: Callable[..., dict[str, Any]],
    items: str,
    *,
    name_contains: str,
    created_after: datetime.datetime,
    after_member: str = "creationTimeAfter",
) -> list[dict[str, Any]]:
    """The ``items`` of every page of ``operation`` for names containing ``name_contains``, created after a time
    (``after_member``: ListCustomModelDeployments names that filter ``createdAfter``)."""
    summaries: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"nameContains": name_contains, after_member: created_after, "maxResults": 100}
    while True:
        page = operation(**kwargs)
        summaries += page.get(items, [])
        if not page.get("nextToken"):
            return summaries
        kwargs["nextToken"] = page["nextToken"]
