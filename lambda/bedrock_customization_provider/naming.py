"""Deterministic names and idempotency tokens, derived from the CloudFormation request.

Lambda may deliver the same CloudFormation event twice, or again after a crash. Deriving the ``clientRequestToken``
and the generated names from StackId + LogicalResourceId + RequestId makes every delivery of one request ask Bedrock
for the same thing, so Bedrock's idempotency returns the first job instead of starting a second one. A replacement
(a new RequestId) gets new names, so it never collides with the resource it replaces.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from typing import Any

#: Bedrock's name limit for jobs and custom models.
MAX_NAME_LENGTH = 63
_HASH_LENGTH = 12
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_PROPERTIES_DIGEST_LENGTH = 16
_OWNER_DIGEST_LENGTH = 12
#: ``cfn-<properties>-<owner>-<request>``; tokens made before the owner part was added have none.
_TOKEN = re.compile(r"cfn-([0-9a-f]{16})(?:-([0-9a-f]{12}))?-[0-9a-f]{40}")
#: ``<properties>-<owner>``; tags made before the owner part was added have none.
_MODEL_TAG = re.compile(r"([0-9a-f]{16})(?:-([0-9a-f]{12}))?")


def request_digest(stack_id: str, logical_id: str, request_id: str, purpose: str) -> str:
    """A hex digest unique to one request and one purpose (token, job name, model name)."""
    material = "\n".join((purpose, stack_id, logical_id, request_id)).encode()
    return hashlib.sha256(material).hexdigest()


def properties_digest(properties: Mapping[str, Any], ignore: Collection[str] = ()) -> str:
    """A short digest of the properties that define a resource (tags and provider keys left out via ``ignore``)."""
    defining = {k: v for k, v in properties.items() if k not in ignore}
    material = json.dumps(defining, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(material).hexdigest()[:_PROPERTIES_DIGEST_LENGTH]


def client_request_token(
    stack_id: str, logical_id: str, request_id: str, purpose: str, properties: str = "0" * 16
) -> str:
    """``cfn-<properties digest>-<owner digest>-<request digest>``, matching the API's IdempotencyToken pattern.

    The request digest makes redeliveries idempotent. The properties digest (from :func:`properties_digest`) lets a
    later Update recognise that an existing resource was made from the very properties it asks for, which is what
    CloudFormation's rollback of a failed update does: it then keeps that resource instead of building it again. The
    owner digest (:func:`owner_digest`) says which stack and logical id made it: the provider acts on nothing else.
    """
    owner = owner_digest(stack_id, logical_id)
    return f"cfn-{properties}-{owner}-{request_digest(stack_id, logical_id, request_id, purpose)[:40]}"


def owner_digest(stack_id: str, logical_id: str) -> str:
    """A short digest of the stack and logical id a resource belongs to (carried in its token)."""
    return hashlib.sha256(f"owner\n{stack_id}\n{logical_id}".encode()).hexdigest()[:_OWNER_DIGEST_LENGTH]


def token_owner(token: str | None) -> str | None:
    """The owner digest inside a token made by :func:`client_request_token`; None for an older token or another."""
    match = _TOKEN.fullmatch(token or "")
    return match.group(2) if match else None


def token_properties_digest(token: str | None) -> str | None:
    """The properties digest inside a token made by :func:`client_request_token`; None for any other token."""
    match = _TOKEN.fullmatch(token or "")
    return match.group(1) if match else None


def model_tag_value(properties: str, owner: str) -> str:
    """The value of a custom model's provider tag: ``<properties digest>-<owner digest>``.

    GetCustomModel returns neither the token nor the source, so what a token says of a job, this tag says of a model:
    the properties it was made from (:func:`properties_digest`) and the stack and logical id that made it
    (:func:`owner_digest`). One tag for both: a model keeps 49 of Bedrock's 50 tags for the user.
    """
    return f"{properties}-{owner}"


def model_tag_parts(value: str | None) -> tuple[str | None, str | None]:
    """(properties digest, owner digest) of a provider tag's value; an older tag (the properties digest alone) has no
    owner, and anything else neither."""
    match = _MODEL_TAG.fullmatch(value or "")
    return (match.group(1), match.group(2)) if match else (None, None)


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
    readable = generated_name_prefix(stack_id, logical_id)
    return f"{readable}-{digest}" if readable else digest


def generated_name_prefix(stack_id: str, logical_id: str) -> str:
    """The readable part every generated name of this resource shares (``<stack>-<logical id>``, shortened)."""
    readable = _NOT_ALNUM.sub("-", f"{stack_name(stack_id)}-{logical_id}").strip("-")
    return readable[: MAX_NAME_LENGTH - _HASH_LENGTH - 1].rstrip("-")


def is_generated_name(name: str, stack_id: str, logical_id: str) -> bool:
    """Whether ``name`` is one :func:`generated_name` makes for this resource, whatever the request."""
    prefix = generated_name_prefix(stack_id, logical_id)
    pattern = (re.escape(prefix) + "-" if prefix else "") + f"[0-9a-f]{{{_HASH_LENGTH}}}"
    return re.fullmatch(pattern, name) is not None
