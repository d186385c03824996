"""Deterministic names and idempotency tokens, derived from the CloudFormation request.

Lambda may deliver the same CloudFormation event twice, or again after a crash. Deriving the ``clientRequestToken``
and the generated names from StackId + LogicalResourceId + RequestId makes every delivery of one request ask Bedrock
for the same thing, so Bedrock's idempotency returns the first job instead of starting a second one. A replacement
(a new RequestId) gets new names, so it never collides with the resource it replaces.
"""

from __future__ import annotations

import hashlib
import re

#: Bedrock's name limit for jobs and custom models.
MAX_NAME_LENGTH = 63
_HASH_LENGTH = 12
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def request_digest(stack_id: str, logical_id: str, request_id: str, purpose: str) -> str:
    """A hex digest unique to one request and one purpose (token, job name, model name)."""
    material = "\n".join((purpose, stack_id, logical_id, request_id)).encode()
    return hashlib.sha256(material).hexdigest()


def client_request_token(stack_id: str, logical_id: str, request_id: str, purpose: str) -> str:
    """A token matching ``[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?``."""
    return "cfn-" + request_digest(stack_id, logical_id, request_id, purpose)[:48]


def stack_name(stack_id: str) -> str:
    """``MyStack`` from ``arn:aws:cloudformation:us-east-1:123456789012:stack/MyStack/guid`` (or the id itself)."""
    parts = stack_id.split("/")
    return parts[1] if len(parts) >= 3 else stack_id


def generated_name(stack_id: str, logical_id: str, request_id: str, purpose: str) -> str:
    """A readable, unique name: ``<stack>-<logical id>-<hash>``, at most 63 characters.

    Only letters, digits and single hyphens between them, so it satisfies both the job name pattern
    ``[a-zA-Z0-9](-*[a-zA-Z0-9\\+\\-\\.])*`` and the custom model name pattern ``([0-9a-zA-Z][_-]?){1,63}``.
    """
    digest = request_digest(stack_id, logical_id, request_id, purpose)[:_HASH_LENGTH]
    readable = _NOT_ALNUM.sub("-", f"{stack_name(stack_id)}-{logical_id}").strip("-")
    readable = readable[: MAX_NAME_LENGTH - _HASH_LENGTH - 1].rstrip("-")
    return f"{readable}-{digest}" if readable else digest
