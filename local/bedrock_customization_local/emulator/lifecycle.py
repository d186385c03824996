"""Job and model states as pure functions of (record, virtual now).

Nothing runs in the background: a job's status, its statusDetails phases, its endTime are derived from its creation
time, its scenario and an optional stop time whenever someone looks. That makes the lifecycle exact under any clock
speed, free of timer threads, and identical between a test that advances the clock and a demo that lets it run.

Job: InProgress (validation -> data processing -> training) -> Completed | Failed; a stop while InProgress gives
Stopping for ``stop_seconds`` then Stopped. Each phase in statusDetails is NotStarted, InProgress, Completed, Failed,
Stopping or Stopped; a phase that has started reports creationTime = when it started and lastModifiedTime = its last
change (its start while InProgress; its end once Completed, Failed or Stopped; the stop request while Stopping). The
service model documents both as the start and the latest update "of the sub-task", neither required, so a NotStarted
phase carries its status alone. Model from CreateCustomModel: Creating -> Active | Failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .scenarios import JOB_PHASES, JobScenario, ModelScenario

DETAIL_KEYS = {
    "validation": "validationDetails",
    "data_processing": "dataProcessingDetails",
    "training": "trainingDetails",
}
ACTIVE_JOB_STATUSES = frozenset({"InProgress", "Stopping"})
TERMINAL_JOB_STATUSES = frozenset({"Completed", "Failed", "Stopped"})


@dataclass(frozen=True)
class PhaseView:
    """One statusDetails entry: ``started`` and ``changed`` are None while the phase is NotStarted."""

    status: str
    started: datetime | None = None
    changed: datetime | None = None


NOT_STARTED = PhaseView("NotStarted")


@dataclass
class JobView:
    status: str
    phases: dict[str, PhaseView]
    last_modified: datetime
    end_time: datetime | None
    failure_message: str | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES


def _at(start: datetime, seconds: float) -> datetime:
    if math.isinf(seconds):
        return datetime.max.replace(tzinfo=start.tzinfo)
    return start + timedelta(seconds=seconds)


def phase_bounds(created: datetime, scenario: JobScenario) -> dict[str, tuple[datetime, datetime]]:
    bounds: dict[str, tuple[datetime, datetime]] = {}
    offset = 0.0
    for phase in JOB_PHASES:
        length = scenario.phase_seconds(phase)
        bounds[phase] = (_at(created, offset), _at(created, offset + length))
        offset += length
    return bounds


def natural_end(created: datetime, scenario: JobScenario) -> datetime:
    """When the job ends on its own: the end of the failing phase, the end of training, or never."""
    bounds = phase_bounds(created, scenario)
    if scenario.outcome == "fail":
        return bounds[scenario.fail_phase][1]
    return bounds["training"][1]


def job_view(created: datetime, scenario: JobScenario, stop_at: datetime | None, now: datetime) -> JobView:
    bounds = phase_bounds(created, scenario)
    end = natural_end(created, scenario)
    if stop_at is not None and stop_at < end:
        stopped_at = _at(stop_at, scenario.stop_seconds)
        if now >= stop_at:
            final = now >= stopped_at
            label = "Stopped" if final else "Stopping"
            changed = stopped_at if final else stop_at
            phases = {}
            for phase, (start, finish) in bounds.items():
                if finish <= stop_at:
                    phases[phase] = PhaseView("Completed", start, finish)
                elif start <= stop_at:
                    phases[phase] = PhaseView(label, start, changed)
                else:
                    phases[phase] = NOT_STARTED
            return JobView(label, phases, changed, stopped_at if final else None, None)
    if now >= end:
        phases = {}
        failed = scenario.outcome == "fail"
        for phase, (start, finish) in bounds.items():
            if failed and phase == scenario.fail_phase:
                phases[phase] = PhaseView("Failed", start, finish)
            elif finish <= end:
                phases[phase] = PhaseView("Completed", start, finish)
            else:
                phases[phase] = NOT_STARTED
        if failed:
            return JobView("Failed", phases, end, end, scenario.failure_message)
        return JobView("Completed", phases, end, end, None)
    phases = {}
    last = created
    for phase, (start, finish) in bounds.items():
        if now >= finish:
            phases[phase] = PhaseView("Completed", start, finish)
            last = max(last, finish)
        elif now >= start:
            phases[phase] = PhaseView("InProgress", start, start)
            last = max(last, start)
        else:
            phases[phase] = NOT_STARTED
    return JobView("InProgress", phases, last, None, None)


def status_details(view: JobView) -> dict[str, Any]:
    """statusDetails: each phase's status, with its start (creationTime) and last change once it has started."""
    details: dict[str, Any] = {}
    for phase, state in view.phases.items():
        entry: dict[str, Any] = {"status": state.status}
        if state.started is not None:
            entry["creationTime"] = state.started
        if state.changed is not None:
            entry["lastModifiedTime"] = state.changed
        details[DETAIL_KEYS[phase]] = entry
    return details


@dataclass
class ModelView:
    status: str
    failure_message: str | None = None
    changed: datetime | None = field(default=None)


def imported_model_view(created: datetime, scenario: ModelScenario, now: datetime) -> ModelView:
    if scenario.outcome == "stay_creating":
        return ModelView("Creating")
    done = created + timedelta(seconds=scenario.creating_seconds)
    if now < done:
        return ModelView("Creating")
    if scenario.outcome == "fail":
        return ModelView("Failed", scenario.failure_message, done)
    return ModelView("Active", None, done)


# --- deployments, throughputs and import jobs -------------------------------------------------------------------------
@dataclass(frozen=True)
class ServingUpdate:
    """One in-place update of a deployment or throughput: asked for at ``at``; ``model_arn`` / ``name``: the new
    model or name (None: unchanged)."""

    at: datetime
    model_arn: str | None = None
    name: str | None = None


@dataclass
class ServingView:
    """A deployment's or throughput's state: ``phase`` is creating, ready, updating or failed.

    ``model_arn`` / ``name``: what it serves and is called now; ``desired_model_arn``: the model an update under way
    moves to (else ``model_arn``); ``update_status``: the last update's Updating / UpdateCompleted / UpdateFailed.
    """

    phase: str
    model_arn: str
    desired_model_arn: str
    name: str
    update_status: str | None
    failure_message: str | None
    last_modified: datetime
    update_failed: bool = False


def serving_view(
    created: datetime,
    scenario: Any,
    model_arn: str,
    name: str,
    updates: list[ServingUpdate],
    now: datetime,
) -> ServingView:
    """Creating for the scenario's ``creating_seconds``, then ready or failed; each update then lasts
    ``updating_seconds`` and ends completed (its model and name take effect) or failed (they do not)."""
    ready = created + timedelta(seconds=scenario.creating_seconds)
    if scenario.outcome == "stay_creating" or now < ready:
        return ServingView("creating", model_arn, model_arn, name, None, None, created)
    if scenario.outcome == "fail":
        return ServingView("failed", model_arn, model_arn, name, None, scenario.failure_message, ready)
    view = ServingView("ready", model_arn, model_arn, name, None, None, ready)
    for update in updates:
        if now < update.at:
            break
        end = update.at + timedelta(seconds=scenario.updating_seconds)
        if now < end:
            view.phase, view.update_status, view.last_modified = "updating", "Updating", update.at
            view.desired_model_arn = update.model_arn or view.model_arn
            return view
        view.last_modified = end
        if scenario.update_outcome == "fail":
            view.update_status, view.failure_message, view.update_failed = (
                "UpdateFailed",
                scenario.update_failure_message,
                True,
            )
            continue
        view.model_arn = view.desired_model_arn = update.model_arn or view.model_arn
        view.name = update.name or view.name
        view.update_status, view.failure_message, view.update_failed = "UpdateCompleted", None, False
    return view


@dataclass
class ImportView:
    status: str
    end_time: datetime | None
    failure_message: str | None

    @property
    def terminal(self) -> bool:
        return self.status != "InProgress"


def import_view(created: datetime, scenario: Any, now: datetime) -> ImportView:
    """InProgress for the scenario's ``running_seconds`` (forever with ``run_forever``), then Completed or Failed."""
    if scenario.outcome == "run_forever":
        return ImportView("InProgress", None, None)
    end = created + timedelta(seconds=scenario.running_seconds)
    if now < end:
        return ImportView("InProgress", None, None)
    if scenario.outcome == "fail":
        return ImportView("Failed", end, scenario.failure_message)
    return ImportView("Completed", end, None)
