"""What makes a model invocable: custom model deployments, provisioned throughputs, model import jobs and imported
models, with the service's semantics (see the README's simplifications).

- Deployments: ``custom-model-deployment/<id>``; Creating -> Active | Failed; UpdateCustomModelDeployment swaps the
  model: ``updateDetails`` goes Updating -> UpdateCompleted | UpdateFailed while ``status`` stays Active.
- Throughputs: ``provisioned-model/<id>``; Creating -> InService | Failed; an update (name, model) goes Updating ->
  InService (or Failed). Model units are counted against a per-region quota (ServiceQuotaExceededException): 2 without
  commitment and 0 with one by default (the User Guide's defaults; ``set_throughput_quota`` changes them). A
  throughput with a commitment cannot be deleted before its term ends; its model changes only between a custom model,
  its base model and custom models of the same base (User Guide, "Modify a Provisioned Throughput").
- Import jobs: ``model-import-job/<id>``; InProgress -> Completed | Failed; a completed job makes an imported model
  ``imported-model/<id>`` (GetImportedModel, DeleteImportedModel). Import jobs can be neither stopped nor deleted.
- A deployment or throughput holds the custom model it serves (and the one an update moves it to): DeleteCustomModel
  answers ConflictException while any holds it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import rules
from .errors import BedrockError, conflict, validation
from .lifecycle import ServingUpdate, ServingView
from .paging import check_tag_count, listed, page_body
from .state import (
    DeploymentRecord,
    ImportedModelRecord,
    ImportJobRecord,
    ModelRecord,
    ServingRecord,
    ThroughputRecord,
    request_of,
)

if TYPE_CHECKING:
    from .bedrock import BedrockService, CallNote

_FOUNDATION_ARN = re.compile(r"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/(?P<id>.+)")
_FOUNDATION_ID = re.compile(r"[a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2}")
#: Commitment terms as the emulator counts them (the API says "one month" and "six months").
COMMITMENT_TERMS = {"OneMonth": timedelta(days=30), "SixMonths": timedelta(days=180)}
_DEPLOYMENT_STATUS = {"creating": "Creating", "ready": "Active", "updating": "Active", "failed": "Failed"}
_THROUGHPUT_STATUS = {"creating": "Creating", "ready": "InService", "updating": "Updating", "failed": "Failed"}


class InferenceOperations:
    """The operations, registered into :class:`~.bedrock.BedrockService`'s handlers (they run under its lock)."""

    def __init__(self, service: BedrockService) -> None:
        self.service = service
        self.store = service.store
        self.now = service.now
        self.scenarios = service.scenarios

    def handlers(self) -> dict[str, Any]:
        return {
            "CreateCustomModelDeployment": self.create_deployment,
            "GetCustomModelDeployment": self.get_deployment,
            "ListCustomModelDeployments": self.list_deployments,
            "UpdateCustomModelDeployment": self.update_deployment,
            "DeleteCustomModelDeployment": self.delete_deployment,
            "CreateProvisionedModelThroughput": self.create_throughput,
            "GetProvisionedModelThroughput": self.get_throughput,
            "ListProvisionedModelThroughputs": self.list_throughputs,
            "UpdateProvisionedModelThroughput": self.update_throughput,
            "DeleteProvisionedModelThroughput": self.delete_throughput,
            "CreateModelImportJob": self.create_import_job,
            "GetModelImportJob": self.get_import_job,
            "ListModelImportJobs": self.list_import_jobs,
            "GetImportedModel": self.get_imported_model,
            "ListImportedModels": self.list_imported_models,
            "DeleteImportedModel": self.delete_imported_model,
        }

    def taggable(self, arn: str) -> bool:
        store = self.store
        return any(arn in records for records in (store.deployments, store.throughputs, store.import_jobs)) or (
            arn in store.imported_models
        )

    def users_of(self, model_arn: str, now: datetime) -> list[str]:
        """The deployments and throughputs that hold the custom model: they serve it or an update moves them to it."""
        users = []
        for record in [*self.store.deployments.values(), *self.store.throughputs.values()]:
            view = record.view(now)
            if model_arn in (view.model_arn, view.desired_model_arn):
                users.append(record.arn)
        return users

    # --- shared --------------------------------------------------------------------------------------------------
    def _custom_model(self, identifier: str, region: str, now: datetime) -> ModelRecord:
        model = self.service._model(identifier, region)
        status = model.view(now).status
        if status != "Active":
            raise validation(f"The custom model {model.name} is {status}; only an Active model can be served.")
        return model

    @staticmethod
    def _refuse_delete_while_busy(record: ServingRecord, noun: str, now: datetime) -> None:
        """A deployment or throughput being created or updated cannot be deleted (ConflictException)."""
        phase = record.view(now).phase
        if phase in ("creating", "updating"):
            raise conflict(f"The {noun} {record.name} is being {phase[:-3]}ed and cannot be deleted.")

    # --- custom model deployments --------------------------------------------------------------------------------
    def _deployment(self, identifier: str, region: str) -> DeploymentRecord:
        return self.service._lookup(self.store.deployments, identifier, region, "a custom model deployment")

    def create_deployment(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        operation = "CreateCustomModelDeployment"
        note.target = params["modelDeploymentName"]
        existing = self.service._replay(region, operation, params, note)
        if existing:
            return 202, {"customModelDeploymentArn": existing}
        rules.check_tags(params.get("tags"))
        now = self.now()
        model = self._custom_model(params["modelArn"], region, now)
        name = params["modelDeploymentName"]
        if any(d.region == region and d.name == name for d in self.store.deployments.values()):
            raise validation(f"A custom model deployment with the name {name} already exists.")
        check_tag_count(params.get("tags"), name)
        record = DeploymentRecord(
            arn=self.store.new_arn(region, "custom-model-deployment"),
            name=name,
            region=region,
            created=now,
            request=request_of(params),
            token=params.get("clientRequestToken"),
            scenario=self.scenarios.pick_deployment(name),
            model_arn=model.arn,
        )
        arn = self.service._filed(self.store.deployments, record, operation, params, params.get("tags"), note)
        return 202, {"customModelDeploymentArn": arn}

    def _deployment_body(self, record: DeploymentRecord, now: datetime) -> dict[str, Any]:
        view = record.view(now)
        body: dict[str, Any] = {
            "customModelDeploymentArn": record.arn,
            "modelDeploymentName": record.name,
            "modelArn": view.model_arn,
            "createdAt": record.created,
            "status": _DEPLOYMENT_STATUS[view.phase],
            "lastUpdatedAt": view.last_modified,
        }
        if "description" in record.request:
            body["description"] = record.request["description"]
        started = [u for u in record.updates if u.at <= now]
        if started and view.update_status:
            body["updateDetails"] = {
                "modelArn": started[-1].model_arn or view.model_arn,
                "updateStatus": view.update_status,
            }
        if view.failure_message:
            body["failureMessage"] = view.failure_message
        return body

    def get_deployment(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["customModelDeploymentIdentifier"]
        record = self._deployment(params["customModelDeploymentIdentifier"], region)
        return 200, self._deployment_body(record, self.now())

    def list_deployments(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        now = self.now()
        rows = []
        for record in self.store.deployments.values():
            body = self._deployment_body(record, now)
            filters = {"statusEquals": body["status"], "modelArnEquals": body["modelArn"]}
            if record.region != region or not listed(
                params,
                created=record.created,
                name=record.name,
                equals=filters,
                after="createdAfter",
                before="createdBefore",
            ):
                continue
            summary = {
                "customModelDeploymentArn": record.arn,
                "customModelDeploymentName": record.name,
                "modelArn": body["modelArn"],
                "createdAt": record.created,
                "status": body["status"],
                "lastUpdatedAt": body["lastUpdatedAt"],
            }
            if "failureMessage" in body:
                summary["failureMessage"] = body["failureMessage"]
            rows.append(summary)
        rows += [  # users marked with the control set_model_in_use
            {
                "customModelDeploymentArn": holder,
                "customModelDeploymentName": holder.rsplit("/", 1)[-1],
                "modelArn": model.arn,
                "createdAt": model.created,
                "status": "Active",
            }
            for model, holder in self.service._holders(region, params, "custom-model-deployment")
        ]
        return 200, page_body(rows, params, "createdAt", "modelDeploymentSummaries")

    def update_deployment(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["customModelDeploymentIdentifier"]
        record = self._deployment(params["customModelDeploymentIdentifier"], region)
        note.target = record.arn
        now = self.now()
        phase = record.view(now).phase
        if phase != "ready":
            status = "Updating" if phase == "updating" else _DEPLOYMENT_STATUS[phase]
            raise validation(f"The custom model deployment {record.name} is {status} and cannot be updated now.")
        model = self._custom_model(params["modelArn"], region, now)
        record.updates.append(ServingUpdate(now, model_arn=model.arn))
        return 202, {"customModelDeploymentArn": record.arn}

    def delete_deployment(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["customModelDeploymentIdentifier"]
        record = self._deployment(params["customModelDeploymentIdentifier"], region)
        note.target = record.arn
        self._refuse_delete_while_busy(record, "custom model deployment", self.now())
        self.service._forget(self.store.deployments, record.arn)
        return 200, {}

    # --- provisioned throughputs ---------------------------------------------------------------------------------
    def _throughput(self, identifier: str, region: str) -> ThroughputRecord:
        now = self.now()  # a throughput is known by its current name (an update may rename it)
        return self.service._lookup(
            self.store.throughputs, identifier, region, "a Provisioned Throughput", lambda t: t.view(now).name
        )

    def _resolve_model(self, identifier: str, region: str, now: datetime) -> tuple[str, str]:
        """(model ARN, foundation model ARN) of a foundation model id/ARN or an Active custom model name/ARN."""
        match = _FOUNDATION_ARN.fullmatch(identifier)
        if match:
            return identifier, identifier
        if _FOUNDATION_ID.fullmatch(identifier):
            arn = f"arn:aws:bedrock:{region}::foundation-model/{identifier}"
            return arn, arn
        model = self._custom_model(identifier, region, now)
        # a custom model's root foundation model; a model from CreateCustomModel names none (its own ARN stands in)
        return model.arn, model.job.foundation_model_arn if model.job else model.arn

    def create_throughput(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        operation = "CreateProvisionedModelThroughput"
        note.target = params["provisionedModelName"]
        existing = self.service._replay(region, operation, params, note)
        if existing:
            return 201, {"provisionedModelArn": existing}
        rules.check_tags(params.get("tags"))
        now = self.now()
        model_arn, foundation_arn = self._resolve_model(params["modelId"], region, now)
        name = params["provisionedModelName"]
        if any(t.region == region and t.view(now).name == name for t in self.store.throughputs.values()):
            raise validation(f"A Provisioned Throughput with the name {name} already exists.")
        commitment = params.get("commitmentDuration")
        kind = "commitment" if commitment else "no_commitment"
        held = sum(
            t.model_units
            for t in self.store.throughputs.values()
            if t.region == region and bool(t.commitment) == bool(commitment)
        )
        quota = self.store.throughput_quota[kind]
        if held + params["modelUnits"] > quota:
            raise BedrockError(
                "ServiceQuotaExceededException",
                f"The request exceeds the account's quota of {quota} model units for Provisioned Throughputs "
                f"{'with' if commitment else 'without'} commitment ({held} in use, {params['modelUnits']} requested).",
            )
        check_tag_count(params.get("tags"), name)
        record = ThroughputRecord(
            arn=self.store.new_arn(region, "provisioned-model"),
            name=name,
            region=region,
            created=now,
            request=request_of(params),
            token=params.get("clientRequestToken"),
            scenario=self.scenarios.pick_throughput(name),
            model_arn=model_arn,
            foundation_model_arn=foundation_arn,
            model_units=params["modelUnits"],
            commitment=commitment,
            commitment_expiration=now + COMMITMENT_TERMS[commitment] if commitment else None,
        )
        arn = self.service._filed(self.store.throughputs, record, operation, params, params.get("tags"), note)
        return 201, {"provisionedModelArn": arn}

    def _throughput_body(self, record: ThroughputRecord, view: ServingView) -> dict[str, Any]:
        body: dict[str, Any] = {
            "modelUnits": record.model_units,
            "desiredModelUnits": record.model_units,
            "provisionedModelName": view.name,
            "provisionedModelArn": record.arn,
            "modelArn": view.model_arn,
            "desiredModelArn": view.desired_model_arn,
            "foundationModelArn": record.foundation_model_arn,
            "status": "Failed" if view.update_failed else _THROUGHPUT_STATUS[view.phase],
            "creationTime": record.created,
            "lastModifiedTime": view.last_modified,
        }
        if view.failure_message:
            body["failureMessage"] = view.failure_message
        if record.commitment:
            body["commitmentDuration"] = record.commitment
            body["commitmentExpirationTime"] = record.commitment_expiration
        return body

    def get_throughput(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["provisionedModelId"]
        record = self._throughput(params["provisionedModelId"], region)
        return 200, self._throughput_body(record, record.view(self.now()))

    def list_throughputs(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        now = self.now()
        rows = []
        for record in self.store.throughputs.values():
            body = self._throughput_body(record, record.view(now))
            filters = {"statusEquals": body["status"], "modelArnEquals": body["modelArn"]}
            if record.region != region or not listed(
                params, created=record.created, name=body["provisionedModelName"], equals=filters
            ):
                continue
            rows.append({k: v for k, v in body.items() if k != "failureMessage"})
        for model, holder in self.service._holders(region, params, "provisioned-model"):  # set_model_in_use
            base = model.job.foundation_model_arn if model.job else model.arn
            rows.append(
                {
                    "provisionedModelName": holder.rsplit("/", 1)[-1],
                    "provisionedModelArn": holder,
                    "modelArn": model.arn,
                    "desiredModelArn": model.arn,
                    "foundationModelArn": base,
                    "modelUnits": 1,
                    "desiredModelUnits": 1,
                    "status": "InService",
                    "creationTime": model.created,
                    "lastModifiedTime": model.created,
                }
            )
        return 200, page_body(rows, params, "creationTime", "provisionedModelSummaries")

    def update_throughput(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["provisionedModelId"]
        record = self._throughput(params["provisionedModelId"], region)
        note.target = record.arn
        now = self.now()
        view = record.view(now)
        if view.phase != "ready" or view.update_failed:
            status = self._throughput_body(record, view)["status"]
            raise validation(f"The Provisioned Throughput {view.name} is {status} and cannot be updated now.")
        model_arn = None
        if "desiredModelId" in params:
            if ":foundation-model/" in record.model_arn:
                raise validation("You can't change the model of a Provisioned Throughput associated with a base model.")
            model_arn, foundation_arn = self._resolve_model(params["desiredModelId"], region, now)
            if foundation_arn != record.foundation_model_arn:
                raise validation(
                    f"The model {params['desiredModelId']} is not the base model of {view.model_arn} nor a custom "
                    "model customized from that base model."
                )
        name = params.get("desiredProvisionedModelName")
        if name and any(
            t.region == region and t.arn != record.arn and t.view(now).name == name
            for t in self.store.throughputs.values()
        ):
            raise validation(f"A Provisioned Throughput with the name {name} already exists.")
        record.updates.append(ServingUpdate(now, model_arn=model_arn, name=name))
        return 200, {}

    def delete_throughput(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["provisionedModelId"]
        record = self._throughput(params["provisionedModelId"], region)
        note.target = record.arn
        now = self.now()
        if record.commitment_expiration is not None and now < record.commitment_expiration:
            raise validation(
                f"You can't delete a Provisioned Throughput before its commitment term is over "
                f"({record.commitment}, until {record.commitment_expiration.isoformat()})."
            )
        self._refuse_delete_while_busy(record, "Provisioned Throughput", now)
        self.service._forget(self.store.throughputs, record.arn)
        return 200, {}

    # --- model import jobs and imported models -------------------------------------------------------------------
    def _import_job(self, identifier: str, region: str) -> ImportJobRecord:
        return self.service._lookup(self.store.import_jobs, identifier, region, "a model import job")

    def _imported_model(self, identifier: str, region: str) -> ImportedModelRecord:
        return self.service._lookup(self.store.imported_models, identifier, region, "an imported model")

    def create_import_job(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        operation = "CreateModelImportJob"
        note.target = params["jobName"]
        existing = self.service._replay(region, operation, params, note)
        if existing:
            return 201, {"jobArn": existing}
        rules.check_tags(params.get("jobTags"))
        rules.check_tags(params.get("importedModelTags"))
        self.service._role_check(operation, note)
        now = self.now()
        name, model_name = params["jobName"], params["importedModelName"]
        if any(j.region == region and j.name == name for j in self.store.import_jobs.values()):
            raise conflict("The provided job name is currently in use.")
        taken = any(m.region == region and m.name == model_name for m in self.store.imported_models.values()) or any(
            j.region == region and j.request["importedModelName"] == model_name and not j.view(now).terminal
            for j in self.store.import_jobs.values()
        )
        if taken:
            raise conflict(f"An imported model with the name {model_name} already exists.")
        check_tag_count(params.get("jobTags"), name)
        check_tag_count(params.get("importedModelTags"), model_name)
        job = ImportJobRecord(
            arn=self.store.new_arn(region, "model-import-job"),
            name=name,
            region=region,
            request=request_of(params),
            token=params.get("clientRequestToken"),
            created=now,
            scenario=self.scenarios.pick_import(name, model_name),
        )
        return 201, {
            "jobArn": self.service._filed(self.store.import_jobs, job, operation, params, params.get("jobTags"), note)
        }

    def _import_body(self, job: ImportJobRecord, now: datetime) -> dict[str, Any]:
        view = job.view(now)
        body: dict[str, Any] = {
            "jobArn": job.arn,
            "jobName": job.name,
            "importedModelName": job.request["importedModelName"],
            "roleArn": job.request["roleArn"],
            "modelDataSource": job.request["modelDataSource"],
            "status": view.status,
            "creationTime": job.created,
            "lastModifiedTime": view.end_time or job.created,
        }
        if view.end_time:
            body["endTime"] = view.end_time
        if view.failure_message:
            body["failureMessage"] = view.failure_message
        if job.imported_model_arn:
            body["importedModelArn"] = job.imported_model_arn
        if "vpcConfig" in job.request:
            body["vpcConfig"] = job.request["vpcConfig"]
        if "importedModelKmsKeyId" in job.request:
            body["importedModelKmsKeyArn"] = self.service._kms_arn(job.request["importedModelKmsKeyId"], job.region)
        return body

    def get_import_job(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["jobIdentifier"]
        return 200, self._import_body(self._import_job(params["jobIdentifier"], region), self.now())

    def list_import_jobs(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        now = self.now()
        rows = []
        for job in self.store.import_jobs.values():
            body = self._import_body(job, now)
            filters = {"statusEquals": body["status"]}
            if job.region != region or not listed(params, created=job.created, name=job.name, equals=filters):
                continue
            keys = ("jobArn", "jobName", "status", "lastModifiedTime", "creationTime", "endTime", "importedModelArn")
            rows.append({**{k: body[k] for k in keys if k in body}, "importedModelName": body["importedModelName"]})
        return 200, page_body(rows, params, "creationTime", "modelImportJobSummaries")

    def _imported_body(self, model: ImportedModelRecord) -> dict[str, Any]:
        body: dict[str, Any] = {
            "modelArn": model.arn,
            "modelName": model.name,
            "jobName": model.job.name,
            "jobArn": model.job.arn,
            "modelDataSource": model.job.request["modelDataSource"],
            "creationTime": model.created,
            "modelArchitecture": model.job.scenario.model_architecture,
            "instructSupported": True,
        }
        if "importedModelKmsKeyId" in model.job.request:
            body["modelKmsKeyArn"] = self.service._kms_arn(model.job.request["importedModelKmsKeyId"], model.region)
        return body

    def get_imported_model(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["modelIdentifier"]
        return 200, self._imported_body(self._imported_model(params["modelIdentifier"], region))

    def list_imported_models(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        rows = []
        for model in self.store.imported_models.values():
            if model.region != region or not listed(params, created=model.created, name=model.name):
                continue
            body = self._imported_body(model)
            keys = ("modelArn", "modelName", "creationTime", "instructSupported", "modelArchitecture")
            rows.append({k: body[k] for k in keys})
        return 200, page_body(rows, params, "creationTime", "modelSummaries")

    def delete_imported_model(self, params: dict, region: str, note: CallNote) -> tuple[int, dict]:
        note.target = params["modelIdentifier"]
        model = self._imported_model(params["modelIdentifier"], region)
        note.target = model.arn
        self.service._forget(self.store.imported_models, model.arn)
        return 200, {}
