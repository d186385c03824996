"""CloudFormation's custom-resource request events, built the way CloudFormation sends them.

Why a module of its own: the details are the protocol. Every number and boolean in ``ResourceProperties`` arrives
as a string (``3`` → ``"3"``, ``true`` → ``"true"``), ServiceToken is repeated inside the properties, an Update carries
``OldResourceProperties`` and the current ``PhysicalResourceId``, and every request has a fresh ``RequestId``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any


def stringify(value: Any) -> Any:
    """What CloudFormation does to custom resource properties: numbers and booleans become strings, recursively."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return {key: stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    return value


def request_event(
    request_type: str,
    *,
    stack_id: str,
    logical_id: str,
    resource_type: str,
    properties: Mapping[str, Any],
    response_url_for: Any,
    physical_id: str | None = None,
    old_properties: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """One request event; ``response_url_for(stack_id, logical_id, request_id)`` mints its ResponseURL."""
    request_id = request_id or str(uuid.uuid4())
    resource_properties = stringify(properties)
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": resource_properties.get("ServiceToken"),
        "ResponseURL": response_url_for(stack_id, logical_id, request_id),
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": resource_properties,
    }
    if request_type != "Create":
        if physical_id is None:
            raise ValueError(f"a {request_type} event needs the resource's PhysicalResourceId")
        event["PhysicalResourceId"] = physical_id
    if request_type == "Update":
        event["OldResourceProperties"] = stringify(old_properties or {})
    return event
