"""``Custom::BedrockModelCustomizationJob``: what Create, Update and Delete mean for a customization job.

Physical id: the job ARN. Attributes: see :data:`~.contract.JOB_ATTRIBUTES`. Tags change in place on the job and on
its custom model; any other change starts a new job (CloudFormation then deletes the old resource). Delete stops a
running job and deletes its custom model unless RemovalPolicy is Retain.

Ownership: the job's client request token names the stack and logical id that started it; only such a job is
stopped or retagged. Its custom model (``outputModelArn``) is Bedrock's output of that very job, so the job's
ownership covers it: the model is retagged or deleted only after the job it came from passed the check.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Mapping
from typing import Any

from . import contract, jobs, models, naming, rules, tagging
from .errors import JobFailedError, OwnershipError
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
    owned_by_name,
    refuse_fixed_names,
)

logger = logging.getLogger(__name__)

#: How much older than ServiceTimeout a job started by a cancelled Create may be (Lambda retries, clock skew).
CANCELLED_CREATE_SLACK_SECONDS = 900
#: Members a user may fix; unchanged in a replacing update, they would collide with the resource being replaced.
FIXED_NAME_MEMBERS = ("jobName", "customModelName")
#: Memo key (see :class:`~.lifecycle.Pending`): the jobs a cancelled Create's Delete stopped and waits for.
STOPPING_JOBS = "StoppingJobs"


@dataclasses.dataclass(frozen=True)
class JobKind:
    """The job resource over a Bedrock client (usually a :class:`~.retry.RetryingClient`)."""

    bedrock: Any
    resource_type: str = contract.JOB_RESOURCE_TYPE

    def create(self, request: Request) -> Step:
        api_request = self._api_request(request)
        arn = jobs.start_job(self.bedrock, api_request)
        started = {contract.ATTR_JOB_ARN: arn, contract.ATTR_JOB_NAME: api_request["jobName"]}
        return Pending(arn, started=started)

    def update(self, request: Request) -> Step:
        self._api_request(request)  # validate first: bad input calls nothing
        replacing = changed_members(request, contract.JOB_TAG_MEMBERS)
        description = None
        if request.physical_id.startswith("arn:"):
            description = jobs.find_job(self.bedrock, request.physical_id)
            self._refuse_unless_owned(description, request)
        else:  # the sentinel of a failed Create: there is nothing to update in place
            replacing = replacing or ["(failed create)"]
        if replacing and description and self._made_from(description, request):
            # CloudFormation rolls back to the job it still has: keep it, do not train again. A replacement it
            # cancelled on the way (a sibling failed) may still be training: stop it, it is nobody's resource.
            self._stop_recent_jobs(dataclasses.replace(request, properties=request.old_properties))
            replacing = []
        if replacing:
            adopted = self._rollback_to_fixed_name(request)
            if adopted is not None:
                return adopted
            refuse_fixed_names(request, replacing, FIXED_NAME_MEMBERS)
            return self.create(request)
        if description is None:
            raise JobFailedError(f"Job {request.physical_id} no longer exists; tags cannot be updated.")
        self._retag(request, description)
        return Done(request.physical_id, job_attributes(description))

    def _rollback_to_fixed_name(self, request: Request) -> Done | None:
        """A rollback to a changed fixed ``jobName``: adopt the job holding it when made from these very properties.

        CloudFormation rolls a replaced job back by sending the old properties with the new job's physical id. With
        generated names the old job is the physical id itself (handled in :meth:`update`); with a fixed ``jobName``
        that the update changed, the old job still holds the old name and starting it again would fail ("name in
        use"). When that job's token says it was made from exactly these properties and its custom model still
        exists, it is the resource to keep (CloudFormation then deletes the replacement in its cleanup). An update
        that merely returns to an old name finds that job's model deleted with its resource (or the job stopped):
        nothing to keep, and the name stays taken.
        """
        fixed = request.properties.get("jobName")
        if not fixed or fixed == request.old_properties.get("jobName"):
            return None
        description = jobs.find_job(self.bedrock, fixed)
        if description is None or jobs.job_status(description) != jobs.COMPLETED:
            return None
        if not self._made_from(description, request) or not job_owned_by(description, request):
            return None  # another stack's job of the same name and properties is never adopted nor retagged
        model_arn = description.get("outputModelArn")
        if not model_arn or models.find_model(self.bedrock, model_arn) is None:
            return None
        logger.info("Rolling back to job %s (jobName %s), made from these properties", description["jobArn"], fixed)
        self._retag(request, description)
        return Done(description["jobArn"], job_attributes(description))

    def _retag(self, request: Request, description: Mapping[str, Any]) -> None:
        """Tags from the old properties to the new ones, on the job and on its custom model once it exists."""
        props, old = request.properties, request.old_properties
        tagging.apply_tag_changes(self.bedrock, description["jobArn"], old.get("jobTags"), props.get("jobTags"))
        model_arn = description.get("outputModelArn")
        if model_arn:
            tagging.apply_tag_changes(self.bedrock, model_arn, old.get("customModelTags"), props.get("customModelTags"))

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        description = jobs.find_job(self.bedrock, physical_id)
        if description is None:
            raise JobFailedError(f"Job {physical_id} disappeared while it was being created.")
        self._refuse_unless_owned(description, request)
        return self._progress(request, physical_id, description)

    def _progress(self, request: Request, physical_id: str, description: Mapping[str, Any]) -> Step:
        """The answer for the job being created, from its description."""
        reading = job_reading(description)
        if not reading.final:
            return Pending(physical_id, began_at=reading.began_at)
        if reading.failure is None:
            return Done(physical_id, reading.attributes)
        model_arn = description.get("outputModelArn")
        if model_arn and not request.retain:
            models.delete_custom_model(self.bedrock, model_arn)
        return Done(id_after_failure(request), failure=reading.failure)

    def read(self, physical_id: str) -> Reading:
        description = jobs.find_job(self.bedrock, physical_id)
        if description is None:
            return Reading(final=True, failure=f"Job {physical_id} no longer exists.")
        return job_reading(description)

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        jobs.stop_job(self.bedrock, physical_id)
        reason = f"Stopped the job, still running: {why}"
        if request.request_type == "Create":  # keep the ARN: the Delete that follows waits for Stopped
            return Done(physical_id, failure=reason)
        return Done(request.physical_id, failure=reason)

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        arn = request.physical_id
        if arn == contract.FAILED_CREATE_PHYSICAL_ID:
            return Done(arn)
        if not arn.startswith("arn:"):
            return self._stop_cancelled_create(request, memo)
        description = jobs.find_job(self.bedrock, arn)
        if description is None:
            return Done(arn)
        self._refuse_unless_owned(description, request)
        status = jobs.job_status(description)
        if status == jobs.IN_PROGRESS:
            jobs.stop_job(self.bedrock, arn)
            return Pending(arn)
        if status not in jobs.TERMINAL_STATUSES:
            return Pending(arn)
        model_arn = description.get("outputModelArn")
        if model_arn and not request.retain:
            models.delete_custom_model(self.bedrock, model_arn)
        return Done(arn)

    def _stop_cancelled_create(self, request: Request, memo: Mapping[str, Any]) -> Step:
        """Delete with a physical id we never gave: CloudFormation cancelled our Create before it answered.

        CloudFormation makes up a physical id for a Create it cancelled (a sibling failed) and then deletes it. The job
        that Create started may be running: find it by name (fixed, or generated for this stack and logical id),
        recent, and started from exactly these properties (its token says so), and stop it. Models are never deleted
        here: a stopped job makes none, and a name match alone must not destroy anything.

        Only the first invocation has the properties to find the jobs by; it remembers the ARNs it stopped in the
        memo, and each poll waits for exactly those to stop.
        """
        stopping = memo.get(STOPPING_JOBS)
        running = self._stop_recent_jobs(request) if stopping is None else self._still_running(stopping)
        if not running:
            return Done(request.physical_id)
        return Pending(request.physical_id, memo={STOPPING_JOBS: running})

    def _still_running(self, job_arns: list[str]) -> list[str]:
        """Those of ``job_arns`` not stopped yet (one still InProgress is asked to stop again)."""
        running = []
        for arn in job_arns:
            description = jobs.find_job(self.bedrock, arn)
            status = jobs.job_status(description) if description else jobs.STOPPED
            if status == jobs.IN_PROGRESS:
                jobs.stop_job(self.bedrock, arn)
            if status not in jobs.TERMINAL_STATUSES:
                running.append(arn)
        return running

    def _stop_recent_jobs(self, request: Request) -> list[str]:
        """Stop this resource's recent jobs started from ``request.properties``; the ARNs of those not stopped yet."""
        running = []
        for description in self._recent_jobs_made_from(request):
            status = jobs.job_status(description)
            if status == jobs.IN_PROGRESS:
                logger.info("Stopping %s, started by a request CloudFormation cancelled", description["jobArn"])
                jobs.stop_job(self.bedrock, description["jobArn"])
            if status not in jobs.TERMINAL_STATUSES:
                running.append(description["jobArn"])
        return running

    def _recent_jobs_made_from(self, request: Request) -> list[Mapping[str, Any]]:
        """Jobs named for this resource (fixed name, or generated for its stack and logical id), started within the
        wait limit, from exactly ``request.properties`` (their token carries the digest)."""
        fixed = request.properties.get("jobName")
        if fixed:
            candidates = [fixed]
        else:
            since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
                seconds=request.service_timeout + CANCELLED_CREATE_SLACK_SECONDS
            )
            prefix = naming.generated_name_prefix(request.stack_id, request.logical_id)
            candidates = [
                summary["jobArn"]
                for summary in jobs.list_jobs(self.bedrock, name_contains=prefix, created_after=since)
                if naming.is_generated_name(summary["jobName"], request.stack_id, request.logical_id)
            ]
        found = (jobs.find_job(self.bedrock, job) for job in candidates)
        return [d for d in found if d is not None and self._made_from(d, request) and job_owned_by(d, request)]

    def _api_request(self, request: Request) -> dict[str, Any]:
        """The validated CreateModelCustomizationJob request: generated names and the derived token filled in."""
        ids = (request.stack_id, request.logical_id, request.request_id)
        props = dict(request.properties)
        props.setdefault("jobName", naming.generated_name(*ids, "job"))
        props.setdefault("customModelName", naming.generated_name(*ids, "model"))
        api_request = rules.checked_request(rules.JOB_OPERATION, props)
        api_request["clientRequestToken"] = naming.client_request_token(*ids, "job", _properties_digest(request))
        return api_request

    @staticmethod
    def _refuse_unless_owned(description: Mapping[str, Any] | None, request: Request) -> None:
        """Only a job this stack's resource started may be stopped, retagged or have its model deleted."""
        if description is None or job_owned_by(description, request):
            return
        raise OwnershipError(
            f"Refused: job {description.get('jobName')} was not started by {request.logical_id} of this stack "
            f"(its client request token names another owner); nothing was done to it."
        )

    @staticmethod
    def _made_from(description: Mapping[str, Any], request: Request) -> bool:
        """Whether the job was started from exactly these (non-tag) properties: its token carries their digest."""
        return naming.token_properties_digest(description.get("clientRequestToken")) == _properties_digest(request)


def _properties_digest(request: Request) -> str:
    return naming.properties_digest(request.properties, contract.JOB_TAG_MEMBERS)


def job_owned_by(description: Mapping[str, Any], request: Request) -> bool:
    """Whether the job was started for ``request``'s stack and logical id.

    Its token says so (:func:`~.naming.owner_digest`). A token from before the owner part was added cannot: then its
    name decides (generated for this resource, or the fixed ``jobName`` of the request; a poll, which carries no
    properties, accepts such an older job)."""
    token = description.get("clientRequestToken")
    owner = naming.token_owner(token)
    if owner is not None:
        return owner == naming.owner_digest(request.stack_id, request.logical_id)
    return owned_by_name(str(description.get("jobName") or ""), request, "jobName")


def job_reading(description: Mapping[str, Any]) -> Reading:
    """A job's state from GetModelCustomizationJob: final once Completed, Failed or Stopped."""
    status = jobs.job_status(description)
    if status not in jobs.TERMINAL_STATUSES:
        return Reading(final=False, began_at=creation_time(description))
    if status == jobs.COMPLETED:
        return Reading(final=True, attributes=job_attributes(description))
    default = "The job was stopped before it completed." if status == jobs.STOPPED else "The job failed."
    name = str(description.get("jobName", description.get("jobArn")))
    return Reading(final=True, failure=failure(description, "job", name, status, default))


def job_attributes(description: Mapping[str, Any]) -> dict[str, str]:
    """The resource's attributes from GetModelCustomizationJob; every one present (empty when unknown)."""
    validation = description.get("validationMetrics") or [{}]
    return attributes(
        {
            contract.ATTR_JOB_ARN: description.get("jobArn"),
            contract.ATTR_JOB_NAME: description.get("jobName"),
            contract.ATTR_CUSTOM_MODEL_ARN: description.get("outputModelArn"),
            contract.ATTR_CUSTOM_MODEL_NAME: description.get("outputModelName"),
            contract.ATTR_STATUS: description.get("status"),
            contract.ATTR_TRAINING_LOSS: (description.get("trainingMetrics") or {}).get("trainingLoss"),
            contract.ATTR_VALIDATION_LOSS: validation[0].get("validationLoss"),
            contract.ATTR_OUTPUT_S3_URI: (description.get("outputDataConfig") or {}).get("s3Uri"),
        }
    )
