"""One look at a stack: its resources (CloudFormation), each job and model (Bedrock), each job's metrics (S3).

Why one object: the live view, ``--once`` and the report render the same look, and the command decides from it
whether everything was readable (its exit status) and whether every job has ended (the live view stops).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import MetricsAccessError
from .job_state import JobSnapshot, ModelSnapshot, read_job, read_model
from .metric_files import JobMetrics, metric_location, read_job_metrics
from .stack_resources import StackView, WatchedResource, read_stack


@dataclass(frozen=True)
class Clients:
    """The three read-only clients the command uses (one account, one region)."""

    cloudformation: Any
    bedrock: Any
    s3: Any
    region: str = ""


@dataclass(frozen=True)
class JobEntry:
    resource: WatchedResource
    job: JobSnapshot | None = None
    metrics: JobMetrics | None = None
    #: Why there is no curve: "no metrics yet: ...", an access problem, or the resource has no job yet.
    note: str = ""
    #: The note is a failure to read (exit status 1 with --once), not a state of the job.
    unreadable: bool = False

    @property
    def terminal(self) -> bool:
        if self.job is None:
            return _resource_settled(self.resource)
        return self.job.terminal or bool(self.job.error)


@dataclass(frozen=True)
class ModelEntry:
    resource: WatchedResource
    model: ModelSnapshot | None = None
    note: str = ""
    unreadable: bool = False

    @property
    def terminal(self) -> bool:
        if self.model is None:
            return _resource_settled(self.resource)
        return self.model.terminal or bool(self.model.error)


@dataclass(frozen=True)
class WatchSnapshot:
    stack: StackView
    taken: datetime
    jobs: tuple[JobEntry, ...] = ()
    models: tuple[ModelEntry, ...] = ()

    @property
    def problems(self) -> list[str]:
        """What could not be read, one line each (empty: everything was readable)."""
        entries: list[JobEntry | ModelEntry] = [*self.jobs, *self.models]
        return [f"{e.resource.logical_id}: {e.note}" for e in entries if e.unreadable]

    @property
    def all_terminal(self) -> bool:
        """Every job and model has ended (or cannot change by itself): a live view has nothing more to wait for."""
        return all(e.terminal for e in (*self.jobs, *self.models))


def take_snapshot(clients: Clients, stack_name: str, *, now: datetime | None = None) -> WatchSnapshot:
    """Read everything once. Stack-level problems raise (:class:`~.errors.StackNotFoundError`,
    :class:`~.errors.NoWatchableResourcesError`); per-resource ones end up in the entries' notes."""
    stack = read_stack(clients.cloudformation, stack_name, region=clients.region)
    jobs = tuple(_job_entry(clients, resource) for resource in stack.jobs)
    models = tuple(_model_entry(clients, resource) for resource in stack.models)
    return WatchSnapshot(stack=stack, taken=now or datetime.now(UTC), jobs=jobs, models=models)


def _job_entry(clients: Clients, resource: WatchedResource) -> JobEntry:
    if not resource.arn:
        return JobEntry(resource, note=_no_arn_note(resource))
    job = read_job(clients.bedrock, resource.arn)
    if job.error:
        return JobEntry(resource, job, note=f"cannot read the job: {job.error}", unreadable=True)
    if not job.output_s3_uri:
        return JobEntry(resource, job, note="no metrics: the job names no output location")
    location = metric_location(job.output_s3_uri, job.arn)
    try:
        metrics = read_job_metrics(clients.s3, location)
    except MetricsAccessError as exc:
        return JobEntry(resource, job, note=str(exc), unreadable=True)
    if metrics.training is None or not metrics.training.rows:
        return JobEntry(resource, job, metrics, note=_no_metrics_note(job, location.bucket, location.training_key))
    note = "; ".join(metrics.problems)
    return JobEntry(resource, job, metrics, note=note, unreadable=bool(metrics.problems))


def _model_entry(clients: Clients, resource: WatchedResource) -> ModelEntry:
    if not resource.arn:
        return ModelEntry(resource, note=_no_arn_note(resource))
    model = read_model(clients.bedrock, resource.arn)
    if model.error:
        return ModelEntry(resource, model, note=f"cannot read the model: {model.error}", unreadable=True)
    return ModelEntry(resource, model)


def _no_metrics_note(job: JobSnapshot, bucket: str, key: str) -> str:
    training = next((p for p in job.phases if p.name == "training"), None)
    if training is None or training.status == "NotStarted":
        phase = job.current_phase
        where = f", {phase.name} {phase.status}" if phase else ""
        return f"no metrics yet: training has not started (job {job.status}{where})"
    return f"no metrics yet: job {job.status}, training {training.status}; s3://{bucket}/{key} not written yet"


def _no_arn_note(resource: WatchedResource) -> str:
    if resource.physical_id:
        return f"nothing to read: physical id {resource.physical_id} ({resource.status})"
    return f"nothing to read yet: CloudFormation has no physical id ({resource.status})"


def _resource_settled(resource: WatchedResource) -> bool:
    return not resource.status.endswith("_IN_PROGRESS")
