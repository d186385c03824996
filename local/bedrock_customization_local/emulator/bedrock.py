"""Bedrock's model-customization operations, with the service's semantics rather than moto's.

Each handler takes validated params (see :mod:`validation`) and returns ``(http_status, body)`` or raises
:class:`BedrockError`. The rules worth knowing, because providers trip over them:

- Idempotency comes first: a Create whose ``clientRequestToken`` was seen before (same operation, same region)
  answers the original ARN and creates nothing; Bedrock's API reference says it "ignores the request, but does not
  return an error", so a reused token with other parameters also gets the original ARN (the call log marks it).
- Job names are unique forever (jobs cannot be deleted): ValidationException "The provided job name is currently in
  use.". A custom model name is taken by an existing model or by a job still running that will create it.
- GetModelCustomizationJob / StopModelCustomizationJob / GetCustomModel / DeleteCustomModel take a name or an ARN.
- ``outputModelArn`` and metrics appear only once the job completes; stopped and failed jobs create no model.
- DeleteCustomModel of a model in use (a provisioned throughput, set through the control API) is a ConflictException.
- A foundation model id without its customization version (``amazon.titan-text-express-v1``) is resolved to the
  customizable, versioned id (``...:0:8k``), which the job's ARN and ``baseModelArn`` then carry.
- The rules beyond the input shape (:mod:`rules`: one training source, the config a customization type needs, both
  model sources, S3 without a role, ``aws:`` tag keys, documented hyperparameter ranges) are ValidationExceptions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bedrock_customization_provider.hyperparameters import resolve_model_id

from . import rules
from .errors import BedrockError, conflict, not_found, validation
from .faults import FaultInjector
from .inference import InferenceOperations
from .lifecycle import ACTIVE_JOB_STATUSES, status_details
from .paging import check_tag_count, listed, page_body, tag_map
from .scenarios import ScenarioBook
from .state import ACCOUNT_ID, JobRecord, ModelRecord, Store, find_record, request_of

_FOUNDATION_ARN = re.compile(r"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/(?P<id>.+)")
_CUSTOM_ARN = re.compile(r"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:custom-model/.+")
_FOUNDATION_ID = re.compile(r"[a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2}")
_Record = TypeVar("_Record")


@dataclass
class CallNote:
    """What a handler tells the call log beyond status and error."""

    target: str | None = None
    replayed: bool = False
    fault: str | None = None


class BedrockService:
    def __init__(
        self, store: Store, now: Callable[[], datetime], scenarios: ScenarioBook, faults: FaultInjector
    ) -> None:
        self.store = store
        self._read_clock = now
        self._request = threading.local()  # the instant of the request this thread is handling
        self.scenarios = scenarios
        self.faults = faults
        self.handlers: dict[str, Callable[[dict, str, CallNote], tuple[int, dict]]] = {
            "CreateModelCustomizationJob": self.create_job,
            "GetModelCustomizationJob": self.get_job,
            "ListModelCustomizationJobs": self.list_jobs,
            "StopModelCustomizationJob": self.stop_job,
            "CreateCustomModel": self.create_model,
            "GetCustomModel": self.get_model,
            "ListCustomModels": self.list_models,
            "DeleteCustomModel": self.delete_model,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags,
        }
        self.inference = InferenceOperations(self)
        self.handlers.update(self.inference.handlers())

    def handle(self, operation: str, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        handler = self.handlers.get(operation)
        if handler is None:
            raise BedrockError(
                "UnknownOperationException", f"The Bedrock emulator does not implement {operation}.", status=501
            )
        with self.store.lock:
            self._request.instant = self._read_clock()
            try:
                self.store.settle(self._request.instant)
                return handler(params, region, note)
            finally:
                self._request.instant = None

    def now(self) -> datetime:
        """The virtual time; while a request is handled, the one instant it happens at. Settling and reading at two
        readings of a running clock would let a job end between them: Completed, without its model ARN (seen as a
        blank model ARN on a loaded machine)."""
        instant = getattr(self._request, "instant", None)
        return instant if instant is not None else self._read_clock()

    # --- shared ------------------------------------------------------------------------------------------------------
    def _replay(self, region: str, operation: str, params: dict, note: CallNote) -> str | None:
        token = params.get("clientRequestToken")
        if not token:
            return None
        arn = self.store.tokens.get((region, operation, token))
        if arn:
            note.replayed = True
            note.target = arn
        return arn

    def _remember(self, region: str, operation: str, params: dict, arn: str) -> None:
        token = params.get("clientRequestToken")
        if token:
            self.store.tokens[(region, operation, token)] = arn

    def _role_check(self, operation: str, note: CallNote) -> None:
        for fault in self.faults.decide(operation, "role"):
            note.fault = fault.kind
            if fault.error is not None:
                raise fault.error

    @staticmethod
    def _lookup(
        records: dict[str, _Record],
        identifier: str,
        region: str,
        what: str,
        name_of: Callable[[Any], str] = lambda record: record.name,
    ) -> _Record:
        """The record ``identifier`` (an ARN or a name) names; ResourceNotFoundException naming ``what`` otherwise."""
        found = find_record(records, identifier, region, name_of)
        if found is None:
            raise not_found(f"Could not find {what} with identifier {identifier}.")
        return found

    def _filed(
        self, records: dict[str, Any], record: Any, operation: str, params: dict, tags: Any, note: CallNote
    ) -> str:
        """File what a Create made: its record, its tags, its token (a replay answers its ARN) and the log's target."""
        records[record.arn] = record
        self.store.tags[record.arn] = tag_map(tags)
        self._remember(record.region, operation, params, record.arn)
        note.target = record.arn
        return record.arn

    def _forget(self, records: dict[str, Any], arn: str) -> None:
        """What a Delete does: the record and its tags go."""
        del records[arn]
        self.store.tags.pop(arn, None)

    def _job(self, identifier: str, region: str) -> JobRecord:
        return self._lookup(self.store.jobs, identifier, region, "a model customization job")

    def _model(self, identifier: str, region: str) -> ModelRecord:
        return self._lookup(self.store.models, identifier, region, "a custom model")

    def _base_model(self, identifier: str, region: str) -> tuple[str, str, str]:
        """(foundation model id, base model ARN, foundation model ARN) for a foundation model id/ARN or an existing
        custom model name/ARN; a custom base passes on the foundation model at the root of its own chain."""
        match = _FOUNDATION_ARN.fullmatch(identifier)
        if match:
            model_id = resolve_model_id(match.group("id")) or match.group("id")
            arn = identifier[: match.start("id")] + model_id
            return model_id, arn, arn
        if _FOUNDATION_ID.fullmatch(identifier):
            model_id = resolve_model_id(identifier) or identifier
            arn = f"arn:aws:bedrock:{region}::foundation-model/{model_id}"
            return model_id, arn, arn
        if _CUSTOM_ARN.fullmatch(identifier) or not identifier.startswith("arn:"):
            model = self.store.models.get(identifier) or self.store.model_by_name(region, identifier)
            if model is None or model.job is None:
                raise validation(f"The provided base model identifier {identifier} is not valid.")
            return model.job.base_model_id, model.arn, model.job.foundation_model_arn
        raise validation(f"The provided base model identifier {identifier} is not valid.")

    # --- customization jobs ------------------------------------------------------------------------------------------
    def create_job(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        operation = "CreateModelCustomizationJob"
        note.target = params["jobName"]
        existing = self._replay(region, operation, params, note)
        if existing:
            return 201, {"jobArn": existing}
        base_id, base_arn, foundation_arn = self._base_model(params["baseModelIdentifier"], region)
        rules.check_job(params, foundation_model_id=base_id)
        self._role_check(operation, note)
        now = self.now()
        if self.store.job_by_name(region, params["jobName"]):
            raise validation("The provided job name is currently in use.")
        model_name = params["customModelName"]
        if self.store.model_by_name(region, model_name) or self.store.pending_model_name(region, model_name, now):
            raise validation("The provided custom model name is currently in use.")
        check_tag_count(params.get("jobTags"), params["jobName"])
        check_tag_count(params.get("customModelTags"), model_name)
        job = JobRecord(
            arn=self.store.new_arn(region, f"model-customization-job/{base_id}"),
            name=params["jobName"],
            region=region,
            request=request_of(params),
            token=params.get("clientRequestToken"),
            created=now,
            scenario=self.scenarios.pick_job(params["jobName"], model_name),
            base_model_id=base_id,
            base_model_arn=base_arn,
            foundation_model_arn=foundation_arn,
        )
        return 201, {"jobArn": self._filed(self.store.jobs, job, operation, params, params.get("jobTags"), note)}

    def _job_body(self, job: JobRecord, now: datetime) -> dict[str, Any]:
        view = job.view(now)
        request = job.request
        body: dict[str, Any] = {
            "jobArn": job.arn,
            "jobName": job.name,
            "outputModelName": request["customModelName"],
            "roleArn": request["roleArn"],
            "status": view.status,
            "statusDetails": status_details(view),
            "creationTime": job.created,
            "lastModifiedTime": view.last_modified,
            "baseModelArn": job.base_model_arn,
            "trainingDataConfig": request["trainingDataConfig"],
            # required in the output shape: a job given no validation data reports no validators
            "validationDataConfig": request.get("validationDataConfig", {"validators": []}),
            "outputDataConfig": request["outputDataConfig"],
            "customizationType": request.get("customizationType", "FINE_TUNING"),
        }
        body.update(_echo(request, "hyperParameters"))
        if job.token:
            body["clientRequestToken"] = job.token
        if view.end_time:
            body["endTime"] = view.end_time
        if view.failure_message:
            body["failureMessage"] = view.failure_message
        if job.output_model_arn:
            body["outputModelArn"] = job.output_model_arn
        if view.status == "Completed":
            body.update(self._metrics(job))
        if "customModelKmsKeyId" in request:
            body["outputModelKmsKeyArn"] = self._kms_arn(request["customModelKmsKeyId"], job.region)
        for member in ("vpcConfig", "customizationConfig"):
            if member in request:
                body[member] = request[member]
        return body

    @staticmethod
    def _metrics(job: JobRecord) -> dict[str, Any]:
        """trainingLoss always; one validationLoss per validator, and none without validation data."""
        validators = job.request.get("validationDataConfig", {}).get("validators", [])
        metrics: dict[str, Any] = {"trainingMetrics": {"trainingLoss": job.scenario.training_loss}}
        if validators:
            metrics["validationMetrics"] = [{"validationLoss": job.scenario.validation_loss} for _ in validators]
        return metrics

    @staticmethod
    def _kms_arn(key: str, region: str) -> str:
        if key.startswith("arn:"):
            return key
        if key.startswith("alias/"):
            return f"arn:aws:kms:{region}:{ACCOUNT_ID}:{key}"
        return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key}"

    def get_job(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["jobIdentifier"]
        job = self._job(params["jobIdentifier"], region)
        return 200, self._job_body(job, self.now())

    def list_jobs(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        now = self.now()
        rows = []
        for job in self.store.jobs.values():
            view = job.view(now)
            if job.region != region or not listed(
                params, created=job.created, name=job.name, equals={"statusEquals": view.status}
            ):
                continue
            summary: dict[str, Any] = {
                "jobArn": job.arn,
                "baseModelArn": job.base_model_arn,
                "jobName": job.name,
                "status": view.status,
                "statusDetails": status_details(view),
                "lastModifiedTime": view.last_modified,
                "creationTime": job.created,
                "customModelName": job.request["customModelName"],
                "customizationType": job.request.get("customizationType", "FINE_TUNING"),
            }
            if view.end_time:
                summary["endTime"] = view.end_time
            if job.output_model_arn:
                summary["customModelArn"] = job.output_model_arn
            rows.append(summary)
        return 200, page_body(rows, params, "creationTime", "modelCustomizationJobSummaries")

    def stop_job(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["jobIdentifier"]
        job = self._job(params["jobIdentifier"], region)
        now = self.now()
        status = job.view(now).status
        if status != "InProgress":
            raise validation(f"Job {job.name} is in status {status} and cannot be stopped.")
        job.stop_at = now
        return 200, {}

    # --- custom models -----------------------------------------------------------------------------------------------
    def create_model(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        operation = "CreateCustomModel"
        note.target = params["modelName"]
        existing = self._replay(region, operation, params, note)
        if existing:
            return 202, {"modelArn": existing}
        rules.check_model(params)
        self._role_check(operation, note)
        now = self.now()
        name = params["modelName"]
        if self.store.model_by_name(region, name) or self.store.pending_model_name(region, name, now):
            raise conflict(f"A custom model with the name {name} already exists.")
        check_tag_count(params.get("modelTags"), name)
        model = ModelRecord(
            arn=self.store.new_arn(region, "custom-model/imported"),
            name=name,
            region=region,
            created=now,
            request=request_of(params),
            token=params.get("clientRequestToken"),
            scenario=self.scenarios.pick_model(name),
        )
        return 202, {
            "modelArn": self._filed(self.store.models, model, operation, params, params.get("modelTags"), note)
        }

    def _model_body(self, model: ModelRecord, now: datetime) -> dict[str, Any]:
        view = model.view(now)
        body: dict[str, Any] = {
            "modelArn": model.arn,
            "modelName": model.name,
            "creationTime": model.created,
            "modelStatus": view.status,
            "customizationType": model.customization_type,
        }
        if view.failure_message:
            body["failureMessage"] = view.failure_message
        job = model.job
        if job is not None:
            request = job.request
            body.update(
                {
                    "jobName": job.name,
                    "jobArn": job.arn,
                    "baseModelArn": job.base_model_arn,
                    "trainingDataConfig": request["trainingDataConfig"],
                    "outputDataConfig": request["outputDataConfig"],
                    **_echo(request, "hyperParameters", "validationDataConfig"),
                    **self._metrics(job),
                }
            )
            if "customModelKmsKeyId" in request:
                body["modelKmsKeyArn"] = self._kms_arn(request["customModelKmsKeyId"], job.region)
            if "customizationConfig" in request:
                body["customizationConfig"] = request["customizationConfig"]
        elif "modelKmsKeyArn" in model.request:
            body["modelKmsKeyArn"] = model.request["modelKmsKeyArn"]
        return body

    def get_model(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["modelIdentifier"]
        model = self._model(params["modelIdentifier"], region)
        return 200, self._model_body(model, self.now())

    def list_models(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        now = self.now()
        rows = []
        for model in self.store.models.values():
            if model.region != region:
                continue
            view = model.view(now)
            # baseModelArn is the direct base (a foundation model or the custom model trained on); the foundation
            # model is the root of that chain. A model from CreateCustomModel has neither in the API (see below).
            base_arn = model.job.base_model_arn if model.job else ""
            foundation_arn = model.job.foundation_model_arn if model.job else ""
            filters = {
                "modelStatus": view.status,
                "baseModelArnEquals": base_arn,
                "foundationModelArnEquals": foundation_arn,
            }
            if not listed(params, created=model.created, name=model.name, equals=filters):
                continue
            summary: dict[str, Any] = {
                "modelArn": model.arn,
                "modelName": model.name,
                "creationTime": model.created,
                "customizationType": model.customization_type,
                "ownerAccountId": ACCOUNT_ID,
                "modelStatus": view.status,
                # Both members are required in CustomModelSummary. baseModelName is a ModelName, whose pattern is a
                # foundation model id's ("provider.model"), not a display name (that is a BrandedName) nor a custom
                # model's name, so it is the id of the foundation model the model descends from. A model imported with
                # CreateCustomModel has no base model anywhere in the API (its jobArn is documented as NULL and the
                # docs name no base for it), and nothing else fits: both are the empty string.
                "baseModelArn": base_arn,
                "baseModelName": _foundation_model_id(foundation_arn),
            }
            rows.append(summary)
        return 200, page_body(rows, params, "creationTime", "modelSummaries")

    def delete_model(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["modelIdentifier"]
        model = self._model(params["modelIdentifier"], region)
        note.target = model.arn
        users = [*model.in_use_by, *self.inference.users_of(model.arn, self.now())]
        if users:
            raise conflict(
                f"The model {model.name} is in use by {', '.join(users)}. Delete the resources that use it "
                "before deleting the model."
            )
        if model.view(self.now()).status == "Creating":
            raise conflict(f"The model {model.name} is being created and cannot be deleted until creation ends.")
        self._forget(self.store.models, model.arn)
        return 200, {}

    # --- tags --------------------------------------------------------------------------------------------------------
    def _taggable(self, arn: str) -> dict[str, str]:
        if arn in self.store.jobs or arn in self.store.models or self.inference.taggable(arn):
            return self.store.tags.setdefault(arn, {})
        raise not_found(f"Could not find the resource {arn}.")

    def tag_resource(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["resourceARN"]
        tags = self._taggable(params["resourceARN"])
        rules.check_tags(params["tags"])
        merged = dict(tags)
        merged.update({t["key"]: t["value"] for t in params["tags"]})
        check_tag_count(merged, params["resourceARN"])
        tags.clear()
        tags.update(merged)
        return 200, {}

    def untag_resource(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["resourceARN"]
        tags = self._taggable(params["resourceARN"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return 200, {}

    def list_tags(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["resourceARN"]
        tags = self._taggable(params["resourceARN"])
        return 200, {"tags": [{"key": k, "value": v} for k, v in tags.items()]}

    # --- what uses a model, marked with set_model_in_use (real deployments and throughputs: inference.py) ----------
    def _holders(self, region: str, params: dict, kind: str) -> list[tuple[ModelRecord, str]]:
        """(model, holder ARN) for the users of ``kind`` (``provisioned-model`` or ``custom-model-deployment``)."""
        return [
            (model, holder)
            for model in self.store.models.values()
            if model.region == region and params.get("modelArnEquals") in (None, model.arn)
            for holder in model.in_use_by
            if (":custom-model-deployment/" in holder) == (kind == "custom-model-deployment")
        ]

    # --- control-side helpers ----------------------------------------------------------------------------------------
    def set_model_in_use(self, identifier: str, in_use: bool, by: str | None, region: str) -> dict[str, Any]:
        with self.store.lock:
            self.store.settle(self.now())
            model = self._model(identifier, region)
            user = _holder_arn(by, model.region) if by else None
            user = user or f"arn:aws:bedrock:{model.region}:{ACCOUNT_ID}:provisioned-model/{self.store.new_id()}"
            if in_use:
                if user not in model.in_use_by:
                    model.in_use_by.append(user)
            elif by is None:
                model.in_use_by.clear()
            elif user in model.in_use_by:
                model.in_use_by.remove(user)
            return {"modelArn": model.arn, "inUseBy": list(model.in_use_by)}

    def active_jobs(self) -> list[str]:
        with self.store.lock:
            now = self.now()
            return [job.arn for job in self.store.jobs.values() if job.view(now).status in ACTIVE_JOB_STATUSES]


def _foundation_model_id(arn: str) -> str:
    """The model id in a foundation model ARN ("amazon.titan-text-express-v1:0:8k"); "" for no ARN."""
    match = _FOUNDATION_ARN.fullmatch(arn)
    return match.group("id") if match else ""


def _echo(request: dict, *members: str) -> dict[str, Any]:
    """Request members the service reports back only when they were given."""
    return {member: request[member] for member in members if member in request}


def _holder_arn(by: str, region: str) -> str:
    """What uses a model, as an ARN: ``custom-model-deployment/<id>`` / ``provisioned-model/<id>`` or a full ARN;
    anything else names a provisioned throughput."""
    if by.startswith("arn:"):
        return by
    kind, _, name = by.rpartition("/")
    kind = kind if kind in ("custom-model-deployment", "provisioned-model") else "provisioned-model"
    return f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:{kind}/{name}"
