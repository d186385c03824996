"""Bedrock's botocore service model: the one source of routes, request shapes and error statuses.

Reading the model instead of hand-writing routes and rules means the emulator answers every field the SDK knows,
with the same constraints the real service enforces, and moves with botocore when the pin is bumped.
"""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "bedrock"
#: The SigV4 credential-scope service that marks a request as Bedrock control plane.
SIGNING_NAME = "bedrock"


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@cache
def error_status(code: str) -> int | None:
    """HTTP status the model declares for an error shape, or None for codes outside Bedrock's model."""
    try:
        shape = service_model().shape_for(code)
    except Exception:
        return None
    error = shape.metadata.get("error") or {}
    return error.get("httpStatusCode")
