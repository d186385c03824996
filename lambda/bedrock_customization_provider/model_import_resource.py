"""``Custom::BedrockModelImportJob``: a model import job (CreateModelImportJob) and the imported model it makes.

Physical id: the import job's ARN. Attributes: see :data:`~.contract.MODEL_IMPORT_ATTRIBUTES` (the imported model's
ARN once the job completed). Statuses: InProgress -> Completed | Failed; no EventBridge events, so every wait
strategy polls. ``jobTags`` and ``importedModelTags`` change in place (on the job and on its imported model); any
other change imports anew (CloudFormation then deletes the old resource).

Delete: an import job cannot be stopped (the API has no such operation) nor deleted. Delete waits for a running
import to end, then deletes the imported model (DeleteImportedModel) unless RemovalPolicy is Retain; the job itself
stays in Bedrock's history, its name taken.

Ownership: GetModelImportJob and GetImportedModel return no token, so the job and its model both carry the
provider's tag (:mod:`.owner_tags`): only a job this resource started is retagged, and only a model whose own tag
names this resource is deleted.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import contract, listing, naming, owner_tags, rules, tagging
from .errors import JobFailedError, NameInUseError, error_message, ignore_not_found, name_taken, none_if_not_found
from .lifecycle import (
    Done,
    Pending,
    Reading,
    Request,
    Step,
    attributes,
    changed_members,
    creation_time,
    failure,
    id_after_failure,
    nothing_to_delete,
    refuse_fixed_names,
)

logger = logging.getLogger(__name__)

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
FAILED = "Failed"
FIXED_NAME_MEMBERS = ("jobName", "importedModelName")
#: Memo key: the import jobs a cancelled Create's Delete waits for (to delete their models once they end).
ABANDONED_IMPORTS = "AbandonedImports"
RECENT_WINDOW = datetime.timedelta(hours=12)


class ModelImportKind:
    """The model import resource over a Bedrock client (usually a :class:`~.retry.RetryingClient`)."""

    resource_type = contract.MODEL_IMPORT_RESOURCE_TYPE
    in_place = contract.MODEL_IMPORT_TAG_MEMBERS

    def __init__(self, bedrock: Any) -> None:
        self.bedrock = bedrock

    def create(self, request: Request) -> Step:
        api_request, generated = self._api_request(request)
        try:
            arn = self.bedrock.create_model_import_job(**api_request)["jobArn"]
        except ClientError as exc:
            arn = self._adopt_on_redelivery(request, exc, api_request["jobName"], generated)
        started = {
            contract.ATTR_JOB_ARN: arn,
            contract.ATTR_JOB_NAME: api_request["jobName"],
            contract.ATTR_IMPORTED_MODEL_NAME: api_request["importedModelName"],
        }
        return Pending(arn, started=started)

    def update(self, request: Request) -> Step:
        self._api_request(request)  # validate first: bad input calls nothing
        replacing = changed_members(request, self.in_place)
        if not request.physical_id.startswith("arn:"):
            replacing = replacing or ["(failed create)"]
            description = None
        else:
            description = self.find(request.physical_id)
            if description is not None:
                tags = owner_tags.current_tags(self.bedrock, request.physical_id)
                owner_tags.refuse_unless_owned(tags, request, f"model import job {description.get('jobName')}")
                if replacing and owner_tags.made_from(tags, request.properties, self.in_place):
                    replacing = []  # CloudFormation rolls back to the import made from exactly these properties
        if replacing:
            refuse_fixed_names(request, replacing, FIXED_NAME_MEMBERS)
            return self.create(request)
        if description is None:
            raise JobFailedError(f"Model import job {request.physical_id} no longer exists; tags cannot change.")
        props, old = request.properties, request.old_properties
        tagging.apply_tag_changes(self.bedrock, request.physical_id, old.get("jobTags"), props.get("jobTags"))
        model_arn = description.get("importedModelArn")
        if model_arn and self._model_owned(model_arn, request):
            tagging.apply_tag_changes(
                self.bedrock, model_arn, old.get("importedModelTags"), props.get("importedModelTags")
            )
        return Done(request.physical_id, import_attributes(description))

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        description = self.find(physical_id)
        if description is None:
            raise JobFailedError(f"Model import job {physical_id} disappeared while it was running.")
        reading = import_reading(description)
        if not reading.final:
            return Pending(physical_id, began_at=reading.began_at)
        if reading.failure is None:
            return Done(physical_id, reading.attributes)
        model_arn = description.get("importedModelArn")
        if model_arn and not request.retain and self._model_owned(model_arn, request):
            delete_imported_model(self.bedrock, model_arn)
        return Done(id_after_failure(request), failure=reading.failure)

    def read(self, physical_id: str) -> Reading:
        description = self.find(physical_id)
        if description is None:
            return Reading(final=True, failure=f"Model import job {physical_id} no longer exists.")
        return import_reading(description)

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        # An import job cannot be stopped. After a Create, keep its ARN: the Delete that follows waits for it to end
        # and deletes its model. After a replacing Update, CloudFormation never learns of the new job.
        reason = f"Model import still InProgress (it cannot be stopped): {why}"
        if request.request_type == "Create":
            return Done(physical_id, failure=reason)
        logger.warning("Abandoned import job %s: its imported model, once made, is not deleted", physical_id)
        return Done(request.physical_id, failure=f"{reason} Its model, once imported, is not the stack's.")

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        arn = request.physical_id
        if nothing_to_delete(request):
            return Done(arn)
        if not arn.startswith("arn:"):
            return self._delete_cancelled_create(request, memo)
        description = self.find(arn)
        if description is None:
            return Done(arn)
        tags = owner_tags.current_tags(self.bedrock, arn)
        owner_tags.refuse_unless_owned(tags, request, f"model import job {description.get('jobName')}")
        if import_status(description) == IN_PROGRESS:
            return Pending(arn)  # cannot be stopped: wait for its end, then delete its model
        self._delete_model_of(description, request)
        return Done(arn)

    def find(self, identifier: str) -> dict[str, Any] | None:
        """GetModelImportJob by ARN or name; None when there is no such job."""
        return none_if_not_found(self.bedrock.get_model_import_job, jobIdentifier=identifier)

    # --- helpers ---------------------------------------------------------------------------------------------------
    def _api_request(self, request: Request) -> tuple[dict[str, Any], bool]:
        """The validated CreateModelImportJob request: generated names, the provider's tag on the job and on the
        model, the derived token; and whether the job name was generated here."""
        ids = (request.stack_id, request.logical_id, request.request_id)
        props = dict(request.properties)
        generated = "jobName" not in props
        props.setdefault("jobName", naming.generated_name(*ids, "import-job"))
        props.setdefault("importedModelName", naming.generated_name(*ids, "imported-model"))
        api_request = rules.checked_request(rules.MODEL_IMPORT_OPERATION, props)
        tag_members = ("jobTags", "importedModelTags")
        return owner_tags.with_ownership(api_request, request, self.in_place, tag_members, "model-import"), generated

    def _adopt_on_redelivery(self, request: Request, exc: ClientError, name: str, generated: bool) -> str:
        """The job name is taken: a generated one by this very request from an earlier delivery (its tag says so)."""
        if not name_taken(exc):
            raise exc
        existing = self.find(name) if generated else None
        if existing is not None:
            tags = owner_tags.current_tags(self.bedrock, existing["jobArn"])
            if owner_tags.made_here(tags, request, self.in_place):
                logger.info("Import job %s is ours from an earlier delivery", name)
                return str(existing["jobArn"])
        raise NameInUseError(
            f"jobName {name} is already used ({error_message(exc)}). Import job names stay taken: choose a new "
            "jobName or leave it unset to have one generated."
        ) from exc

    def _model_owned(self, model_arn: str, request: Request) -> bool:
        return owner_tags.owned_by(owner_tags.current_tags(self.bedrock, model_arn), request)

    def _delete_model_of(self, description: Mapping[str, Any], request: Request) -> None:
        """Delete the job's imported model, when it exists and its own tag names this resource (else refuse)."""
        model_arn = description.get("importedModelArn")
        if not model_arn:
            return
        tags = owner_tags.current_tags(self.bedrock, model_arn)
        if tags is None:
            return
        owner_tags.refuse_unless_owned(tags, request, f"imported model {description.get('importedModelName')}")
        delete_imported_model(self.bedrock, model_arn)

    def _delete_cancelled_create(self, request: Request, memo: Mapping[str, Any]) -> Step:
        """Delete with a physical id we never gave: CloudFormation cancelled our Create (or its outcome is unknown).

        The import it may have started is found by name, age and tag on the first invocation; the polls wait for
        exactly those jobs to end, and their models are deleted."""
        jobs = memo[ABANDONED_IMPORTS] if ABANDONED_IMPORTS in memo else self._recent_imports_made_from(request)
        running = []
        for arn in jobs:
            description = self.find(arn)
            if description is None:
                continue
            if import_status(description) == IN_PROGRESS:
                running.append(arn)
                continue
            self._delete_model_of(description, request)
        if running:
            return Pending(request.physical_id, memo={ABANDONED_IMPORTS: running})
        return Done(request.physical_id)

    def _recent_imports_made_from(self, request: Request) -> list[str]:
        fixed = request.properties.get("jobName")
        if fixed:
            found = self.find(str(fixed))
            candidates = [str(found["jobArn"])] if found else []
        else:
            since = datetime.datetime.now(datetime.UTC) - RECENT_WINDOW
            prefix = naming.generated_name_prefix(request.stack_id, request.logical_id)
            candidates = [
                summary["jobArn"]
                for summary in listing.recent_by_name(
                    self.bedrock.list_model_import_jobs,
                    "modelImportJobSummaries",
                    name_contains=prefix,
                    created_after=since,
                )
                if naming.is_generated_name(summary["jobName"], request.stack_id, request.logical_id)
            ]
        return owner_tags.made_here_among(self.bedrock, candidates, request, self.in_place)


def delete_imported_model(bedrock: Any, model_arn: str) -> None:
    """DeleteImportedModel; a model that does not exist is already deleted."""
    ignore_not_found(bedrock.delete_imported_model, modelIdentifier=model_arn)


def import_status(description: Mapping[str, Any]) -> str:
    return str(description.get("status", IN_PROGRESS))


def import_reading(description: Mapping[str, Any]) -> Reading:
    """An import job's state from GetModelImportJob: final once Completed or Failed."""
    status = import_status(description)
    if status == IN_PROGRESS:
        return Reading(final=False, began_at=creation_time(description))
    if status == COMPLETED:
        return Reading(final=True, attributes=import_attributes(description))
    name = str(description.get("jobName"))
    return Reading(
        final=True, failure=failure(description, "model import job", name, status, "The model import failed.")
    )


def import_attributes(description: Mapping[str, Any]) -> dict[str, str]:
    """The resource's attributes from GetModelImportJob; every one present (empty when unknown)."""
    return attributes(
        {
            contract.ATTR_JOB_ARN: description.get("jobArn"),
            contract.ATTR_JOB_NAME: description.get("jobName"),
            contract.ATTR_IMPORTED_MODEL_ARN: description.get("importedModelArn"),
            contract.ATTR_IMPORTED_MODEL_NAME: description.get("importedModelName"),
            contract.ATTR_STATUS: description.get("status"),
        }
    )
