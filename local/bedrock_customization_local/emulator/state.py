"""The emulator's Bedrock account: jobs, custom models, tags, idempotency tokens and the call log.

One re-entrant lock guards everything, and every operation runs inside it, so concurrent requests see a consistent
account. :meth:`Store.settle` turns derived lifecycle facts into records: when a job is seen Completed for the first
time its custom model comes into being (creationTime = the job's endTime), so ListCustomModels and GetCustomModel
agree with GetModelCustomizationJob whatever order a client asks in.

Jobs are never deleted (Bedrock has no DeleteModelCustomizationJob), which is why a job name stays "in use" forever.
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from .clock import iso
from .lifecycle import (
    ACTIVE_JOB_STATUSES,
    ImportView,
    ModelView,
    ServingUpdate,
    ServingView,
    import_view,
    imported_model_view,
    job_view,
    serving_view,
    status_details,
)
from .paging import tag_map
from .scenarios import (
    DeploymentScenario,
    ImportScenario,
    JobScenario,
    ModelScenario,
    ServingScenario,
    ThroughputScenario,
)

ACCOUNT_ID = "123456789012"
_ID_ALPHABET = string.ascii_lowercase + string.digits


class _Regional(Protocol):
    region: str


_Record = TypeVar("_Record", bound=_Regional)


@dataclass
class JobRecord:
    arn: str
    name: str
    region: str
    request: dict[str, Any]
    token: str | None
    created: datetime
    scenario: JobScenario
    base_model_id: str
    base_model_arn: str  # the direct base: a foundation model, or the custom model this job continues from
    foundation_model_arn: str  # the foundation model at the root of the chain (= base_model_arn for a foundation)
    stop_at: datetime | None = None
    output_model_arn: str | None = None
    settled: bool = False
    #: S3 key -> data rows last written there (training_metrics.publish): a file is rewritten only when it grows
    metrics_published: dict[str, int] = field(default_factory=dict)

    def view(self, now: datetime):
        return job_view(self.created, self.scenario, self.stop_at, now)


@dataclass
class ModelRecord:
    arn: str
    name: str
    region: str
    created: datetime
    request: dict[str, Any]
    token: str | None
    job: JobRecord | None = None
    scenario: ModelScenario | None = None
    in_use_by: list[str] = field(default_factory=list)

    def view(self, now: datetime) -> ModelView:
        if self.scenario is None:
            return ModelView("Active")
        return imported_model_view(self.created, self.scenario, now)

    @property
    def customization_type(self) -> str:
        if self.job is None:
            return "IMPORTED"
        return self.job.request.get("customizationType", "FINE_TUNING")


@dataclass
class ServingRecord:
    """What serves a model (a deployment or a throughput): it serves ``model_arn`` and, while an update runs, holds
    the update's model too; each update changes its model or name on the virtual clock (:func:`serving_view`)."""

    arn: str
    name: str
    region: str
    created: datetime
    request: dict[str, Any]
    token: str | None
    scenario: ServingScenario
    model_arn: str
    updates: list[ServingUpdate] = field(default_factory=list, kw_only=True)

    def view(self, now: datetime) -> ServingView:
        return serving_view(self.created, self.scenario, self.model_arn, self.name, self.updates, now)


@dataclass
class DeploymentRecord(ServingRecord):
    """A custom model deployment."""

    scenario: DeploymentScenario


@dataclass
class ThroughputRecord(ServingRecord):
    """A provisioned throughput of ``model_units`` for ``model_arn`` (a foundation or custom model)."""

    scenario: ThroughputScenario
    foundation_model_arn: str
    model_units: int
    commitment: str | None
    commitment_expiration: datetime | None


@dataclass
class ImportJobRecord:
    arn: str
    name: str
    region: str
    request: dict[str, Any]
    token: str | None
    created: datetime
    scenario: ImportScenario
    imported_model_arn: str | None = None
    settled: bool = False

    def view(self, now: datetime) -> ImportView:
        return import_view(self.created, self.scenario, now)


@dataclass
class ImportedModelRecord:
    """The model a completed import job made (``imported-model/<id>``; deleted with DeleteImportedModel)."""

    arn: str
    name: str
    region: str
    created: datetime
    job: ImportJobRecord


@dataclass
class CallRecord:
    seq: int
    time: datetime
    operation: str
    region: str
    status: int
    error: str | None
    client_request_token: str | None
    target: str | None
    replayed: bool = False
    fault: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": iso(self.time),
            "operation": self.operation,
            "region": self.region,
            "status": self.status,
            "error": self.error,
            "clientRequestToken": self.client_request_token,
            "target": self.target,
            "replayed": self.replayed,
            "fault": self.fault,
        }


def find_record(
    records: Mapping[str, _Record], identifier: str, region: str, name_of: Callable[[_Record], str]
) -> _Record | None:
    """The record an identifier names: Bedrock's Get, Update and Delete calls take an ARN or a name (looked up in the
    caller's region; the first of that name)."""
    found = records.get(identifier)
    if found is None and not identifier.startswith("arn:"):
        found = next((r for r in records.values() if r.region == region and name_of(r) == identifier), None)
    return found


def request_of(params: dict[str, Any]) -> dict[str, Any]:
    """A Create's parameters as its record keeps them: all but the token (kept apart, for replays)."""
    return {k: v for k, v in params.items() if k != "clientRequestToken"}


def _newly_ended(records: Mapping[str, Any], now: datetime) -> Iterator[tuple[Any, Any]]:
    """(record, view) of each job or import job seen Completed for the first time: every record seen ending is
    marked settled once, so what its end makes (a custom or imported model) is made once, whatever its outcome."""
    for record in list(records.values()):
        if record.settled:
            continue
        view = record.view(now)
        if not view.terminal:
            continue
        record.settled = True
        if view.status == "Completed":
            yield record, view


class Store:
    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self._seed = seed
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            if seed is not None:
                self._seed = seed
            self._ids = random.Random(self._seed)
            self.jobs: dict[str, JobRecord] = {}  # arn -> job, in creation order
            self.models: dict[str, ModelRecord] = {}  # arn -> model, in creation order
            self.tags: dict[str, dict[str, str]] = {}  # arn -> key -> value
            self.tokens: dict[tuple[str, str, str], str] = {}  # (region, operation, token) -> arn
            self.deployments: dict[str, DeploymentRecord] = {}  # arn -> deployment
            self.throughputs: dict[str, ThroughputRecord] = {}  # arn -> throughput
            self.import_jobs: dict[str, ImportJobRecord] = {}  # arn -> import job (never deleted)
            self.imported_models: dict[str, ImportedModelRecord] = {}  # arn -> imported model
            #: model units a region may hold in throughputs: no commitment (documented default 2) and with one
            #: (documented default 0 until AWS support grants some); set with the control set_throughput_quota
            self.throughput_quota: dict[str, int] = {"no_commitment": 2, "commitment": 0}
            self.calls: list[CallRecord] = []
            # job state change events (see events.py): (jobArn, jobStatus) pairs handed out or dropped
            self.events_seen: set[tuple[str, str]] = set()
            self.events_dropped: list[dict[str, str]] = []  # jobArn, jobStatus, time of each event a fault lost
            self.events_delivered = 0

    @property
    def seed(self) -> int:
        return self._seed

    def new_id(self) -> str:
        """Bedrock's 12-character lowercase alphanumeric resource id (seeded: runs repeat exactly)."""
        with self.lock:
            return "".join(self._ids.choice(_ID_ALPHABET) for _ in range(12))

    def new_arn(self, region: str, resource: str) -> str:
        """A new ARN of this account: ``arn:aws:bedrock:<region>:<account>:<resource>/<new id>``."""
        return f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:{resource}/{self.new_id()}"

    # --- lookups -----------------------------------------------------------------------------------------------------
    def job_by_name(self, region: str, name: str) -> JobRecord | None:
        return next((j for j in self.jobs.values() if j.region == region and j.name == name), None)

    def model_by_name(self, region: str, name: str) -> ModelRecord | None:
        return next((m for m in self.models.values() if m.region == region and m.name == name), None)

    def pending_model_name(self, region: str, name: str, now: datetime) -> JobRecord | None:
        """An unfinished job that will create a model of this name (its name is reserved until the job ends)."""
        for job in self.jobs.values():
            if job.region == region and job.request.get("customModelName") == name and not job.view(now).terminal:
                return job
        return None

    # --- lifecycle ---------------------------------------------------------------------------------------------------
    def settle(self, now: datetime) -> None:
        """Create the custom model of every job, and the imported model of every import job, that has completed by
        ``now`` (once)."""
        with self.lock:
            for importing, imported in _newly_ended(self.import_jobs, now):
                assert imported.end_time is not None
                arn = self.new_arn(importing.region, "imported-model")
                importing.imported_model_arn = arn
                self.imported_models[arn] = ImportedModelRecord(
                    arn, importing.request["importedModelName"], importing.region, imported.end_time, importing
                )
                self.tags[arn] = tag_map(importing.request.get("importedModelTags"))
            for job, view in _newly_ended(self.jobs, now):
                model_arn = self.new_arn(job.region, f"custom-model/{job.base_model_id}")
                job.output_model_arn = model_arn
                assert view.end_time is not None
                self.models[model_arn] = ModelRecord(
                    arn=model_arn,
                    name=job.request["customModelName"],
                    region=job.region,
                    created=view.end_time,
                    request={},
                    token=None,
                    job=job,
                )
                self.tags[model_arn] = tag_map(job.request.get("customModelTags"))

    # --- records for tests -------------------------------------------------------------------------------------------
    def _serving_entry(self, record: ServingRecord, now: datetime, *, renamed: bool, **extra: Any) -> dict[str, Any]:
        """A deployment's or throughput's line of :meth:`dump`, its view at ``now`` read once; ``renamed``: its name
        is the view's (an update renames a throughput), else the one it was created with."""
        view = record.view(now)
        return {
            "arn": record.arn,
            "name": view.name if renamed else record.name,
            "phase": view.phase,
            "modelArn": view.model_arn,
            **extra,
            "tags": dict(self.tags.get(record.arn, {})),
        }

    def dump(self, now: datetime) -> dict[str, Any]:
        with self.lock:
            self.settle(now)
            jobs = []
            for job in self.jobs.values():
                view = job.view(now)
                details = status_details(view)
                jobs.append(
                    {
                        "jobArn": job.arn,
                        "jobName": job.name,
                        "region": job.region,
                        "status": view.status,
                        "statusDetails": {
                            key: {name: iso(v) if isinstance(v, datetime) else v for name, v in value.items()}
                            for key, value in details.items()
                        },
                        "clientRequestToken": job.token,
                        "customModelName": job.request.get("customModelName"),
                        "outputModelArn": job.output_model_arn,
                        "creationTime": iso(job.created),
                        "endTime": iso(view.end_time) if view.end_time else None,
                        "failureMessage": view.failure_message,
                        "tags": dict(self.tags.get(job.arn, {})),
                        "scenario": job.scenario.to_dict(),
                    }
                )
            models = []
            for model in self.models.values():
                view = model.view(now)
                models.append(
                    {
                        "modelArn": model.arn,
                        "modelName": model.name,
                        "region": model.region,
                        "modelStatus": view.status,
                        "customizationType": model.customization_type,
                        "jobArn": model.job.arn if model.job else None,
                        "clientRequestToken": model.token,
                        "creationTime": iso(model.created),
                        "failureMessage": view.failure_message,
                        "inUseBy": list(model.in_use_by),
                        "tags": dict(self.tags.get(model.arn, {})),
                    }
                )
            deployments = [self._serving_entry(d, now, renamed=False) for d in self.deployments.values()]
            throughputs = [
                self._serving_entry(t, now, renamed=True, modelUnits=t.model_units, commitment=t.commitment)
                for t in self.throughputs.values()
            ]
            import_jobs = [
                {
                    "jobArn": j.arn,
                    "jobName": j.name,
                    "status": j.view(now).status,
                    "importedModelArn": j.imported_model_arn,
                    "clientRequestToken": j.token,
                    "tags": dict(self.tags.get(j.arn, {})),
                }
                for j in self.import_jobs.values()
            ]
            imported = [
                {"modelArn": m.arn, "modelName": m.name, "jobArn": m.job.arn, "tags": dict(self.tags.get(m.arn, {}))}
                for m in self.imported_models.values()
            ]
            calls = [call.to_dict() for call in self.calls]
            by_operation: dict[str, int] = {}
            for call in self.calls:
                by_operation[call.operation] = by_operation.get(call.operation, 0) + 1
            return {
                "now": iso(now),
                "jobs": jobs,
                "models": models,
                "deployments": deployments,
                "throughputs": throughputs,
                "importJobs": import_jobs,
                "importedModels": imported,
                "activeJobs": [job["jobArn"] for job in jobs if job["status"] in ACTIVE_JOB_STATUSES],
                "calls": calls,
                "callCounts": by_operation,
                "events": {
                    "delivered": self.events_delivered,
                    "dropped": len(self.events_dropped),
                    "droppedEvents": [dict(event) for event in self.events_dropped],
                },
            }
