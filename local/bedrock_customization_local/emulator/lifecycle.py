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
