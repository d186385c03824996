"""Job and model states as pure functions of (record, virtual now).

Nothing runs in the background: a job's status, its statusDetails phases, its endTime are derived from its creation
time, its scenario and an optional stop time whenever someone looks. That makes the lifecycle exact under any clock
speed, free of timer threads, and identical between a test that advances the clock and a demo that lets it run.

Job: InProgress (validation -> data processing -> training) -> Completed | Failed; a stop while InProgress gives
Stopping for ``stop_seconds`` then Stopped. Each phase in statusDetails is NotStarted, InProgress, Completed, Failed,
Stopping or Stopped with its own lastModifiedTime. Model from CreateCustomModel: Creating -> Active | Failed.
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


@dataclass
class JobView:
    status: str
    phases: dict[str, tuple[str, datetime]]  # phase -> (status, lastModifiedTime)
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
                    phases[phase] = ("Completed", finish)
                elif start <= stop_at:
                    phases[phase] = (label, changed)
                else:
                    phases[phase] = ("NotStarted", created)
            return JobView(label, phases, changed, stopped_at if final else None, None)
    if now >= end:
        phases = {}
        failed = scenario.outcome == "fail"
        for phase, (_start, finish) in bounds.items():
            if failed and phase == scenario.fail_phase:
                phases[phase] = ("Failed", finish)
            elif finish <= end:
                phases[phase] = ("Completed", finish)
            else:
                phases[phase] = ("NotStarted", created)
        if failed:
            return JobView("Failed", phases, end, end, scenario.failure_message)
        return JobView("Completed", phases, end, end, None)
    phases = {}
    last = created
    for phase, (start, finish) in bounds.items():
        if now >= finish:
            phases[phase] = ("Completed", finish)
            last = max(last, finish)
        elif now >= start:
            phases[phase] = ("InProgress", start)
            last = max(last, start)
        else:
            phases[phase] = ("NotStarted", created)
    return JobView("InProgress", phases, last, None, None)


def status_details(created: datetime, view: JobView) -> dict[str, Any]:
    return {
        DETAIL_KEYS[phase]: {"status": status, "creationTime": created, "lastModifiedTime": changed}
        for phase, (status, changed) in view.phases.items()
    }


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
