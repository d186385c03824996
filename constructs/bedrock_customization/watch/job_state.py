"""Bedrock's view of a job or a custom model, read once (GetModelCustomizationJob, GetCustomModel), as typed snapshots.

Why snapshots: the live view, the report and ``--once`` all show the same look at the job; a frozen dataclass taken
once per refresh keeps them consistent and keeps boto3's dicts out of the rendering code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

#: statusDetails' keys in the order a job goes through them, and the words shown for them.
PHASES = (
    ("validationDetails", "validation"),
    ("dataProcessingDetails", "data processing"),
    ("trainingDetails", "training"),
)
TERMINAL_JOB_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
TERMINAL_MODEL_STATUSES = frozenset({"Active", "Failed"})


@dataclass(frozen=True)
class Phase:
    name: str
    status: str
    #: When the phase started (Bedrock's creationTime of the sub-task) and its last change (its end once finished).
    started: datetime | None = None
    updated: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class JobSnapshot:
    arn: str
    name: str = ""
    status: str = ""
    phases: tuple[Phase, ...] = ()
    base_model: str = ""
    customization_type: str = ""
    created: datetime | None = None
    last_modified: datetime | None = None
    ended: datetime | None = None
    output_model_arn: str = ""
    output_model_name: str = ""
    output_s3_uri: str = ""
    failure_message: str = ""
    #: The final losses Bedrock reports on the job once it completed (trainingMetrics, validationMetrics).
    training_loss: float | None = None
    validation_loss: float | None = None
    #: Why the job could not be read (then only ``arn`` is set).
    error: str = ""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES

    @property
    def current_phase(self) -> Phase | None:
        """The phase in progress, else the last one that started (None before any)."""
        started = [p for p in self.phases if p.status != "NotStarted"]
        running = [p for p in started if p.status == "InProgress"]
        return (running or started or [None])[-1]


@dataclass(frozen=True)
class ModelSnapshot:
    arn: str
    name: str = ""
    status: str = ""
    customization_type: str = ""
    base_model: str = ""
    job_arn: str = ""
    created: datetime | None = None
    failure_message: str = ""
    error: str = ""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_MODEL_STATUSES


def read_job(bedrock: Any, job_arn: str) -> JobSnapshot:
    """GetModelCustomizationJob as a :class:`JobSnapshot`; an API error becomes ``error`` (the rest is unknown)."""
    try:
        job = bedrock.get_model_customization_job(jobIdentifier=job_arn)
    except ClientError as exc:
        return JobSnapshot(arn=job_arn, error=_error_text(exc, "bedrock:GetModelCustomizationJob"))
    details = job.get("statusDetails") or {}
    phases = tuple(
        Phase(
            name=label,
            status=(details.get(key) or {}).get("status", "NotStarted"),
            started=(details.get(key) or {}).get("creationTime"),
            updated=(details.get(key) or {}).get("lastModifiedTime"),
        )
        for key, label in PHASES
    )
    validation = [m.get("validationLoss") for m in job.get("validationMetrics") or [] if "validationLoss" in m]
    return JobSnapshot(
        arn=job.get("jobArn", job_arn),
        name=job.get("jobName", ""),
        status=job.get("status", ""),
        phases=phases,
        base_model=job.get("baseModelArn", ""),
        customization_type=job.get("customizationType", ""),
        created=job.get("creationTime"),
        last_modified=job.get("lastModifiedTime"),
        ended=job.get("endTime"),
        output_model_arn=job.get("outputModelArn", ""),
        output_model_name=job.get("outputModelName", ""),
        output_s3_uri=(job.get("outputDataConfig") or {}).get("s3Uri", ""),
        failure_message=job.get("failureMessage", ""),
        training_loss=(job.get("trainingMetrics") or {}).get("trainingLoss"),
        validation_loss=validation[0] if validation else None,
    )


def read_model(bedrock: Any, model_arn: str) -> ModelSnapshot:
    """GetCustomModel as a :class:`ModelSnapshot`; an API error becomes ``error``."""
    try:
        model = bedrock.get_custom_model(modelIdentifier=model_arn)
    except ClientError as exc:
        return ModelSnapshot(arn=model_arn, error=_error_text(exc, "bedrock:GetCustomModel"))
    return ModelSnapshot(
        arn=model.get("modelArn", model_arn),
        name=model.get("modelName", ""),
        status=model.get("modelStatus", ""),
        customization_type=model.get("customizationType", ""),
        base_model=model.get("baseModelArn", ""),
        job_arn=model.get("jobArn", ""),
        created=model.get("creationTime"),
        failure_message=model.get("failureMessage", ""),
    )


def _error_text(exc: ClientError, action: str) -> str:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "error"), error.get("Message", "")
    if code in ("AccessDeniedException", "AccessDenied"):
        return f"{code}: needs {action} ({message})" if message else f"{code}: needs {action}"
    return f"{code}: {message}" if message else code
