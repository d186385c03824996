"""What a resource kind sees of a CloudFormation request, and what it answers.

A resource kind (job, custom model) implements :class:`ResourceKind` with plain functions of a :class:`Request`.
It answers :class:`Done` (respond now) or :class:`Pending` (the resource is on its way; wait and ask again with
``check``, or ``delete`` for a deletion). How the waiting happens, and for how long, is not its business: see
:mod:`.waiting` and :mod:`.cfn_resource`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import contract, naming
from .errors import InvalidPropertiesError, InvalidRequestError, NameInUseError


@dataclass(frozen=True)
class Done:
    """The final answer: SUCCESS with ``attributes`` or, when ``failure`` is set, FAILED with it as the reason."""

    physical_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    failure: str | None = None


@dataclass(frozen=True)
class Pending:
    """The resource ``physical_id`` is on its way to a final state; ask again later.

    ``memo``: what the first invocation learned and later polls need (a poll's event carries no API properties), kept
    small: it rides in every poll's event. ``began_at``: when the resource began (epoch seconds, e.g. the job's
    ``creationTime``), so a redelivered request cannot restart CloudFormation's wait budget. ``started``: set when
    this step has just started the resource (a Create, or the replacement an Update starts): the attributes known
    from that moment, which a wait strategy that does not wait for the final state answers with (see
    :mod:`.wait_modes`); None for every other kind of waiting (stopping, deleting, cleaning up).
    """

    physical_id: str
    memo: Mapping[str, Any] = field(default_factory=dict)
    began_at: float | None = None
    started: Mapping[str, Any] | None = None


Step = Done | Pending


@dataclass(frozen=True)
class Reading:
    """What the service says of a resource now, free of any request: what a wait strategy needs to decide.

    ``final``: it will not change by itself any more. ``failure``: it ended without the result (the service's own
    message first), or it no longer exists. ``attributes``: the resource's attributes once it succeeded.
    ``began_at``: when it began (epoch seconds), while it is not final.
    """

    final: bool
    attributes: Mapping[str, str] = field(default_factory=dict)
    failure: str | None = None
    began_at: float | None = None


#: The request types CloudFormation sends, spelled exactly so: crhelper dispatches on the lowercased type, so
#: ``"DELETE"`` or ``"create"`` would otherwise run a handler (and a Delete stops jobs and deletes models).
REQUEST_TYPES = ("Create", "Update", "Delete")


@dataclass(frozen=True)
class Request:
    """One CloudFormation custom-resource request, provider keys parsed, API members kept as sent (strings)."""

    request_type: str
    resource_type: str
    stack_id: str
    logical_id: str
    request_id: str
    physical_id: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any]
    removal_policy: str
    service_timeout: int
    wait_mode: str = contract.WAIT_MODE_SHORT

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        """Parse the event; raise :class:`InvalidPropertiesError` for bad provider keys or an unknown request type."""
        request_type = event.get("RequestType")
        if request_type not in REQUEST_TYPES:
            raise InvalidRequestError(
                f"Invalid request: RequestType must be exactly one of {', '.join(REQUEST_TYPES)} "
                f"(got {str(request_type)[:40]!r}); nothing was done."
            )
        physical_id = event.get("PhysicalResourceId", "")
        if request_type != "Create" and (not isinstance(physical_id, str) or not physical_id):
            # CloudFormation always names the resource of an Update or Delete; without it, an Update would replace
            # the resource as after a failed Create and a Delete would search for this resource's jobs to stop
            raise InvalidRequestError(
                f"Invalid request: PhysicalResourceId must be a non-empty string (CloudFormation names the resource "
                f"of every Update and Delete; got {physical_id!r:.40}); nothing was done."
            )
        props = dict(event.get("ResourceProperties") or {})
        policy = props.get(contract.REMOVAL_POLICY, contract.REMOVAL_POLICY_DESTROY)
        problems = []
        if not _one_of(policy, contract.REMOVAL_POLICIES):
            problems.append(f"{contract.REMOVAL_POLICY} must be one of Destroy, Retain (got {policy})")
        timeout_text = props.get(contract.SERVICE_TIMEOUT, contract.MAX_SERVICE_TIMEOUT_SECONDS)
        try:
            timeout = int(str(timeout_text))
        except ValueError:
            timeout = contract.MAX_SERVICE_TIMEOUT_SECONDS
            problems.append(f"{contract.SERVICE_TIMEOUT} must be an integer (got {timeout_text})")
        wait_mode = props.get(contract.WAIT_MODE, contract.WAIT_MODE_SHORT)
        if not _one_of(wait_mode, contract.WAIT_MODES):
            modes = ", ".join(sorted(contract.WAIT_MODES))
            problems.append(f"{contract.WAIT_MODE} must be one of {modes} (got {wait_mode})")
        if not contract.MIN_SERVICE_TIMEOUT_SECONDS <= timeout <= contract.MAX_SERVICE_TIMEOUT_SECONDS:
            problems.append(f"{contract.SERVICE_TIMEOUT} must be between 1 and 3600 seconds (got {timeout})")
        request = cls(
            request_type=event["RequestType"],
            resource_type=event["ResourceType"],
            stack_id=event["StackId"],
            logical_id=event["LogicalResourceId"],
            request_id=event["RequestId"],
            physical_id=physical_id if isinstance(physical_id, str) else "",
            properties=api_members(props),
            old_properties=api_members(event.get("OldResourceProperties") or {}),
            removal_policy=policy,
            service_timeout=timeout,
            wait_mode=wait_mode if _one_of(wait_mode, contract.WAIT_MODES) else contract.WAIT_MODE_SHORT,
        )
        if problems and request.request_type != "Delete":
            raise InvalidPropertiesError(problems)
        return request

    @property
    def retain(self) -> bool:
        return self.removal_policy == contract.REMOVAL_POLICY_RETAIN


def _one_of(value: Any, allowed: frozenset[str]) -> bool:
    """Whether ``value`` is one of the strings ``allowed`` (a list or an object is not, and is not hashable)."""
    return isinstance(value, str) and value in allowed


def creation_time(description: Mapping[str, Any]) -> float | None:
    """A Bedrock description's ``creationTime`` as epoch seconds (None when absent): :attr:`Pending.began_at`."""
    created = description.get("creationTime")
    return created.timestamp() if isinstance(created, datetime.datetime) else None


def api_members(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The properties that are Bedrock API members (everything but the provider keys)."""
    return {k: v for k, v in properties.items() if k not in contract.PROVIDER_KEYS}


def changed_members(request: Request, in_place: frozenset[str]) -> list[str]:
    """Members whose change needs a new resource (compared as CloudFormation sends them: strings)."""
    names = set(request.properties) | set(request.old_properties)
    return sorted(n for n in names - in_place if request.properties.get(n) != request.old_properties.get(n))


def id_after_failure(request: Request) -> str:
    """A failed Create leaves nothing to delete (sentinel); a failed Update keeps the old resource's id."""
    return request.physical_id or contract.FAILED_CREATE_PHYSICAL_ID


def nothing_to_delete(request: Request) -> bool:
    """A Delete after a failed Create (the sentinel physical id) or of a retained resource calls nothing."""
    return request.physical_id == contract.FAILED_CREATE_PHYSICAL_ID or request.retain


def owned_by_name(name: str, request: Request, member: str) -> bool:
    """Ownership of a resource whose token or tag predates the owner part: its name decides (generated for this
    resource, or the fixed ``member`` of the request; a poll, which carries no properties, accepts it)."""
    if naming.is_generated_name(name, request.stack_id, request.logical_id):
        return True
    fixed = request.properties.get(member)
    return fixed == name if fixed else not request.properties


def attributes(values: Mapping[str, Any]) -> dict[str, str]:
    """A resource's attributes, every one present, as strings (empty when unknown; timestamps in ISO 8601)."""
    text = {}
    for name, value in values.items():
        if isinstance(value, datetime.datetime):
            text[name] = value.isoformat()
        else:
            text[name] = "" if value is None else str(value)
    return text


def failure(description: Mapping[str, Any], noun: str, name: str, status: str, default: str) -> str:
    """A FAILED reason: Bedrock's failureMessage first (CloudFormation keeps the reason's start), then which
    resource and its status."""
    message = description.get("failureMessage") or default
    return f"{message} ({noun} {name} {status})"


def refuse_fixed_names(request: Request, replacing: list[str], members: tuple[str, ...]) -> None:
    """A replacement is created before the old resource is deleted: an unchanged fixed name would collide."""
    fixed = [m for m in members if m in request.properties and request.properties[m] == request.old_properties.get(m)]
    if fixed:
        names = ", ".join(f"{m} {request.properties[m]}" for m in fixed)
        raise NameInUseError(
            f"Cannot replace with the same {names}: changing {', '.join(replacing)} creates a new resource while the "
            f"old one still holds the name. Change {' and '.join(fixed)} too, or leave it unset to have one generated."
        )


class ResourceKind(Protocol):
    """The Bedrock side of one custom resource type, free of any waiting strategy."""

    resource_type: str

    def create(self, request: Request) -> Step:
        """Validate and start creating; Done when nothing is left to wait for."""

    def update(self, request: Request) -> Step:
        """In place (Done) or a replacement on its way (Pending with the new physical id)."""

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        """Progress of what a Create/Update is waiting for: Pending while it is not final yet.

        ``memo`` is the memo of the Pending the request answered (empty when it had none).
        """

    def read(self, physical_id: str) -> Reading:
        """The resource's state now (no request: the long wait's reconciler reads what a stack waits for)."""

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        """Waiting must end before the resource is final: stop what can be stopped, answer FAILED with ``why``."""

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        """One step of deleting: Done when gone (or kept), Pending while stopping/deleting is still under way.

        ``memo`` is empty on the first invocation, then the memo of the Pending it answered (polls carry no API
        properties: whatever a poll needs from them must be in the memo).
        """
