"""What custom model deployments and provisioned throughputs share: the resources that serve a model.

Both are created with a name and a token, read by a Get that answers a status, changed in place by an Update call
(then read until the update is over), tagged, and deleted by a Delete call after which they may linger for a moment.
Neither emits EventBridge events: every wait strategy polls them (the short wait's polls, or the long wait's
reconcile through :meth:`ServingKind.read`). The two kinds (:mod:`.deployment_resource`, :mod:`.throughput_resource`)
supply the Bedrock calls and the reading of their statuses; this module holds the CloudFormation meaning.

Ownership: the provider's tag (:mod:`.owner_tags`) names the stack and logical id that created the resource; only
such a resource is updated, retagged or deleted. A Delete that follows a Create CloudFormation cancelled (a physical
id we never gave) finds what that Create started by its name (fixed, or generated for this resource), its age and its
tag (made from these very properties, by this resource), and deletes it.

Deleting a custom model that one of these still serves: CloudFormation deletes the user before the model it
references (dependency order), and this Delete ends only once Bedrock no longer knows the user, so the model's Delete
that follows is not refused (a user outside the stack still gives :func:`~.models.delete_custom_model`'s reason).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from . import naming, owner_tags, rules, tagging
from .errors import NameInUseError, ProviderError, error_message, name_taken, reason_for
from .lifecycle import (
    Done,
    Pending,
    Reading,
    Request,
    Step,
    changed_members,
    id_after_failure,
    nothing_to_delete,
    refuse_fixed_names,
)

logger = logging.getLogger(__name__)

#: Memo keys (see :class:`~.lifecycle.Pending`): an in-place update is under way; a Delete waits for Bedrock to
#: forget the resource; a cancelled Create's Delete waits for the resources it found.
UPDATING = "Updating"
DELETING = "Deleting"
ABANDONED = "Abandoned"
#: How far back a cancelled Create's Delete looks for what it started (its hour, and a rollback's hour after it).
RECENT_WINDOW = datetime.timedelta(hours=12)


class ServingKind:
    """The CloudFormation meaning of a resource that serves a model; subclasses make the Bedrock calls."""

    resource_type: ClassVar[str]
    #: The Create operation (validation, coercion) and its name member.
    operation: ClassVar[str]
    name_member: ClassVar[str]
    #: Members that change in place (tags and what the Update call takes); any other change replaces.
    in_place: ClassVar[frozenset[str]]
    #: Names of the resource in reasons ("custom model deployment") and in tokens and generated names.
    noun: ClassVar[str]
    purpose: ClassVar[str]
    attr_arn: ClassVar[str]
    attr_name: ClassVar[str]

    def __init__(self, bedrock: Any) -> None:
        self.bedrock = bedrock

    # --- what a subclass provides ---------------------------------------------------------------------------------
    def start(self, api_request: Mapping[str, Any]) -> str:
        """The Create call; returns the ARN."""
        raise NotImplementedError

    def find(self, identifier: str) -> dict[str, Any] | None:
        """The Get call by ARN or name; None when there is no such resource."""
        raise NotImplementedError

    def recent(self, name_contains: str, since: datetime.datetime) -> list[dict[str, Any]]:
        """Summaries (ARN and name at least, as :meth:`arn_of` / :meth:`name_of` read them) created since then."""
        raise NotImplementedError

    def reading(self, description: Mapping[str, Any], *, updating: bool) -> Reading:
        """Its state from a description; ``updating``: an in-place update of ours is under way (its end counts)."""
        raise NotImplementedError

    def busy(self, description: Mapping[str, Any]) -> bool:
        """Whether it is being created or updated (and cannot be deleted yet)."""
        raise NotImplementedError

    def update_in_place(self, request: Request) -> bool:
        """Apply the changed in-place members other than tags; whether an update is now under way."""
        raise NotImplementedError

    def remove(self, request: Request, arn: str, description: Mapping[str, Any]) -> None:
        """The Delete call (not found is not an error)."""
        raise NotImplementedError

    def arn_of(self, description: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def name_of(self, description: Mapping[str, Any]) -> str:
        raise NotImplementedError

    # --- the resource kind ----------------------------------------------------------------------------------------
    def create(self, request: Request) -> Step:
        api_request, generated = self._api_request(request)
        name = api_request[self.name_member]
        try:
            arn = self.start(api_request)
        except ClientError as exc:
            arn = self._adopt_on_redelivery(request, exc, name, generated)
        return Pending(arn, started={self.attr_arn: arn, self.attr_name: name})

    def update(self, request: Request) -> Step:
        self._api_request(request)  # validate first: bad input calls nothing
        replacing = changed_members(request, self.in_place)
        if not request.physical_id.startswith("arn:"):  # the sentinel of a failed Create: nothing to update in place
            return self._replace(request, replacing or ["(failed create)"])
        description = self.find(request.physical_id)
        tags = owner_tags.current_tags(self.bedrock, request.physical_id) if description else None
        if description is not None:
            owner_tags.refuse_unless_owned(tags, request, f"{self.noun} {self.name_of(description)}")
        if replacing and description is not None and owner_tags.made_from(tags, request.properties, self.in_place):
            # CloudFormation rolls back to the resource made from exactly these properties: keep it
            logger.info("%s %s was made from these properties: updating it in place", self.noun, request.physical_id)
            replacing = []
        if replacing:
            return self._replace(request, replacing)
        if description is None:
            raise ProviderError(f"The {self.noun} {request.physical_id} no longer exists; it cannot be updated.")
        tagging.apply_tag_changes(
            self.bedrock, request.physical_id, request.old_properties.get("tags"), request.properties.get("tags")
        )
        if self.update_in_place(request):
            return Pending(request.physical_id, memo={UPDATING: True})
        return Done(request.physical_id, self.reading(description, updating=False).attributes)

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        description = self.find(physical_id)
        if description is None:
            raise ProviderError(f"The {self.noun} {physical_id} disappeared while it was being created or updated.")
        updating = bool(memo.get(UPDATING))
        reading = self.reading(description, updating=updating)
        if not reading.final:
            # an in-place update's budget starts with the update, not with the resource's creation
            return Pending(physical_id, memo=dict(memo), began_at=None if updating else reading.began_at)
        if reading.failure is None:
            return Done(physical_id, reading.attributes)
        if updating:  # the resource is still there, serving what it served before
            return Done(request.physical_id, failure=reading.failure)
        if not request.retain:
            tags = owner_tags.current_tags(self.bedrock, physical_id)
            owner_tags.refuse_unless_owned(tags, request, f"{self.noun} {physical_id}")
            self.remove(request, physical_id, description)
        return Done(id_after_failure(request), failure=reading.failure)

    def read(self, physical_id: str) -> Reading:
        description = self.find(physical_id)
        if description is None:
            return Reading(final=True, failure=f"The {self.noun} {physical_id} no longer exists.")
        return self.reading(description, updating=False)

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        # Nothing can stop a deployment or throughput being created or updated. After a Create, keep the ARN: the
        # Delete that follows waits for it and deletes it. After a replacing Update, CloudFormation never learns of
        # the new one: delete it now if Bedrock lets us, else say so.
        description = self.find(physical_id)
        status = self._status_word(description)
        reason = f"The {self.noun} is still {status}: {why}"
        if request.request_type == "Create" or memo.get(UPDATING) or physical_id == request.physical_id:
            return Done(physical_id if request.request_type == "Create" else request.physical_id, failure=reason)
        if description is not None:
            try:
                self.remove(request, physical_id, description)
            except (ClientError, ProviderError) as exc:
                logger.warning("Cannot delete the abandoned %s %s: %s", self.noun, physical_id, reason_for(exc))
                reason += f" The new {self.noun} {physical_id} could not be deleted: delete it once it is ready."
        return Done(request.physical_id, failure=reason)

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        arn = request.physical_id
        if nothing_to_delete(request):
            return Done(arn)
        if not arn.startswith("arn:"):
            return self._delete_cancelled_create(request, memo)
        description = self.find(arn)
        if description is None:
            return Done(arn)
        if memo.get(DELETING):
            return Pending(arn, memo={DELETING: True})  # deleted already; Bedrock still knows it for a moment
        tags = owner_tags.current_tags(self.bedrock, arn)
        if tags is None:
            return Done(arn)
        owner_tags.refuse_unless_owned(tags, request, f"{self.noun} {self.name_of(description)}")
        if self.busy(description):
            return Pending(arn)  # being created or updated: it cannot be deleted yet
        self.remove(request, arn, description)
        if self.find(arn) is None:
            return Done(arn)
        return Pending(arn, memo={DELETING: True})

    # --- helpers ---------------------------------------------------------------------------------------------------
    def _api_request(self, request: Request) -> tuple[dict[str, Any], bool]:
        """The validated Create request (generated name, the provider's tag, the derived token) and whether the
        name was generated here."""
        ids = (request.stack_id, request.logical_id, request.request_id)
        props = dict(request.properties)
        generated = self.name_member not in props
        props.setdefault(self.name_member, naming.generated_name(*ids, self.purpose))
        api_request = rules.checked_request(self.operation, props)
        return owner_tags.with_ownership(api_request, request, self.in_place, ("tags",), self.purpose), generated

    def _replace(self, request: Request, replacing: list[str]) -> Step:
        refuse_fixed_names(request, replacing, (self.name_member,))
        return self.create(request)

    def _adopt_on_redelivery(self, request: Request, exc: ClientError, name: str, generated: bool) -> str:
        """Bedrock says the name is taken. A generated name is this very request's: the resource holding it is ours
        from an earlier delivery when its tag says so. A fixed name taken fails with what to do."""
        if not name_taken(exc):
            raise exc
        existing = self.find(name) if generated else None
        if existing is not None:
            tags = owner_tags.current_tags(self.bedrock, self.arn_of(existing))
            if owner_tags.made_here(tags, request, self.in_place):
                logger.info("%s %s is ours from an earlier delivery", self.noun, name)
                return self.arn_of(existing)
        raise NameInUseError(
            f"{self.name_member} {name} is already used ({error_message(exc)}). "
            f"Choose another {self.name_member}, or leave it unset to have one generated."
        ) from exc

    def _delete_cancelled_create(self, request: Request, memo: Mapping[str, Any]) -> Step:
        """Delete with a physical id we never gave: CloudFormation cancelled our Create (or its outcome is unknown).

        What that Create may have started is found by name, age and tag on the first invocation (only it has the
        properties); the polls wait for exactly the ARNs in the memo."""
        arns = memo[ABANDONED] if ABANDONED in memo else self._made_from(request)
        deleted = set(memo.get(DELETING) or [])  # asked to delete already: wait for Bedrock to forget them
        waiting = []
        for arn in arns:
            description = self.find(arn)
            if description is None:
                continue
            if arn not in deleted and not self.busy(description):
                logger.info("Deleting %s, started by a request CloudFormation cancelled", arn)
                self.remove(request, arn, description)
                deleted.add(arn)
                if self.find(arn) is None:
                    continue
            waiting.append(arn)
        if waiting:
            return Pending(request.physical_id, memo={ABANDONED: waiting, DELETING: sorted(deleted & set(waiting))})
        return Done(request.physical_id)

    def _made_from(self, request: Request) -> list[str]:
        """This resource's recent resources (its fixed name, or names generated for its stack and logical id), made
        from exactly its properties by it (their tag says so)."""
        fixed = request.properties.get(self.name_member)
        if fixed:
            found = self.find(str(fixed))
            candidates = [self.arn_of(found)] if found else []
        else:
            since = datetime.datetime.now(datetime.UTC) - RECENT_WINDOW
            prefix = naming.generated_name_prefix(request.stack_id, request.logical_id)
            candidates = [
                self.arn_of(summary)
                for summary in self.recent(prefix, since)
                if naming.is_generated_name(self.name_of(summary), request.stack_id, request.logical_id)
            ]
        return owner_tags.made_here_among(self.bedrock, candidates, request, self.in_place)

    def _status_word(self, description: Mapping[str, Any] | None) -> str:
        if description is None:
            return "unknown (no longer found)"
        return str(description.get("status", "unknown"))
