"""What happens to a job or model after it is created: decided by the test or the demo, not by the emulator.

A scenario fixes the phase durations (in virtual seconds) and the outcome. Rules pick a scenario for each new resource:
a "next" rule is used once by the next resource created (first in, first out), a prefix rule by every resource whose
name starts with the prefix (the newest matching rule wins), and the default covers the rest. Durations are virtual
time, so a six-hour default job completes in 21.6 wall seconds at speed 1000, or at once after ``advance(6 * 3600)``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, Self

JobOutcome = Literal["complete", "fail", "run_forever"]
JobPhase = Literal["validation", "data_processing", "training"]
ModelOutcome = Literal["active", "fail", "stay_creating"]

JOB_PHASES: tuple[JobPhase, ...] = ("validation", "data_processing", "training")


class _Fields:
    """What every scenario kind offers the control API, which speaks JSON: its fields as a dict, and a scenario from
    such a dict (unknown fields refused by name)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        known = {field.name for field in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields: {sorted(unknown)} (known: {sorted(known)})")
        return cls(**data)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """A scenario field that takes one of a few words: ValueError naming them ("a, b or c") otherwise."""
    if value not in choices:
        words = f"{', '.join(choices[:-1])} or {choices[-1]}"
        raise ValueError(f"{name} must be {words} (got {value!r})")


@dataclass(frozen=True)
class JobScenario(_Fields):
    """Lifecycle of one customization job.

    The job spends ``validation_seconds`` validating its data, then ``data_processing_seconds`` processing it, then
    ``training_seconds`` training; ``complete`` ends Completed with a custom model and the given losses, ``fail``
    ends Failed with ``failure_message`` at the end of ``fail_phase``, ``run_forever`` trains until stopped.
    A stop request moves it to Stopping and, ``stop_seconds`` later, to Stopped.
    """

    validation_seconds: float = 10 * 60
    data_processing_seconds: float = 20 * 60
    training_seconds: float = 5.5 * 3600
    outcome: JobOutcome = "complete"
    fail_phase: JobPhase = "training"
    failure_message: str = "Training failed: an internal error occurred while training the model."
    training_loss: float = 0.2015
    validation_loss: float = 0.2437
    stop_seconds: float = 60.0

    def __post_init__(self) -> None:
        _check_choice("outcome", self.outcome, ("complete", "fail", "run_forever"))
        if self.fail_phase not in JOB_PHASES:
            raise ValueError(f"fail_phase must be one of {JOB_PHASES} (got {self.fail_phase!r})")
        for name in ("validation_seconds", "data_processing_seconds", "training_seconds", "stop_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")

    @classmethod
    def lasting(cls, seconds: float, **overrides: Any) -> JobScenario:
        """A job of ``seconds`` in all: 1/36 validation, 2/36 data processing, 33/36 training (6 h: 10/20/330 min)."""
        return cls(
            validation_seconds=seconds / 36,
            data_processing_seconds=seconds * 2 / 36,
            training_seconds=seconds * 33 / 36,
            **overrides,
        )

    def phase_seconds(self, phase: JobPhase) -> float:
        if phase == "training" and self.outcome == "run_forever":
            return math.inf
        return {
            "validation": self.validation_seconds,
            "data_processing": self.data_processing_seconds,
            "training": self.training_seconds,
        }[phase]


@dataclass(frozen=True)
class ModelScenario(_Fields):
    """Lifecycle of one model from CreateCustomModel: Creating for ``creating_seconds``, then Active or Failed."""

    creating_seconds: float = 15 * 60
    outcome: ModelOutcome = "active"
    failure_message: str = "Model import failed: the model artifacts could not be read from the source location."

    def __post_init__(self) -> None:
        _check_choice("outcome", self.outcome, ("active", "fail", "stay_creating"))
        if self.creating_seconds < 0:
            raise ValueError("creating_seconds must be >= 0")


ServingOutcome = Literal["active", "fail", "stay_creating"]
UpdateOutcome = Literal["complete", "fail"]
ImportOutcome = Literal["complete", "fail", "run_forever"]


@dataclass(frozen=True)
class ServingScenario(_Fields):
    """Lifecycle of one custom model deployment or provisioned throughput.

    Creating for ``creating_seconds``, then Active (a deployment) / InService (a throughput), or Failed with
    ``failure_message`` (``fail``), or Creating forever (``stay_creating``). Each in-place update lasts
    ``updating_seconds``, then completes (the new model or name takes effect) or fails (``update_outcome="fail"``:
    a deployment reports UpdateFailed and keeps its model; a throughput ends Failed).
    """

    creating_seconds: float = 10 * 60
    outcome: ServingOutcome = "active"
    failure_message: str = "Deployment failed: the model could not be loaded for inference."
    updating_seconds: float = 5 * 60
    update_outcome: UpdateOutcome = "complete"
    update_failure_message: str = "Update failed: the new model could not be loaded for inference."

    def __post_init__(self) -> None:
        _check_choice("outcome", self.outcome, ("active", "fail", "stay_creating"))
        _check_choice("update_outcome", self.update_outcome, ("complete", "fail"))
        if self.creating_seconds < 0 or self.updating_seconds < 0:
            raise ValueError("creating_seconds and updating_seconds must be >= 0")


@dataclass(frozen=True)
class DeploymentScenario(ServingScenario):
    """A custom model deployment's lifecycle (see :class:`ServingScenario`)."""


@dataclass(frozen=True)
class ThroughputScenario(ServingScenario):
    """A provisioned throughput's lifecycle (see :class:`ServingScenario`)."""

    creating_seconds: float = 15 * 60
    failure_message: str = "Provisioning failed: capacity for the model is not available."


@dataclass(frozen=True)
class ImportScenario(_Fields):
    """Lifecycle of one model import job: InProgress for ``running_seconds``, then Completed (an imported model
    comes into being) or Failed with ``failure_message``; ``run_forever`` never ends (import jobs cannot be stopped).
    """

    running_seconds: float = 20 * 60
    outcome: ImportOutcome = "complete"
    failure_message: str = "Model import failed: config.json is missing from the model files."
    model_architecture: str = "llama3"

    def __post_init__(self) -> None:
        _check_choice("outcome", self.outcome, ("complete", "fail", "run_forever"))
        if self.running_seconds < 0:
            raise ValueError("running_seconds must be >= 0")


#: Scenario kinds by class (each kind has its own default and rules).
Scenario = JobScenario | ModelScenario | DeploymentScenario | ThroughputScenario | ImportScenario
_KINDS: dict[type, str] = {
    JobScenario: "job",
    ModelScenario: "model",
    DeploymentScenario: "deployment",
    ThroughputScenario: "throughput",
    ImportScenario: "import",
}


@dataclass(frozen=True)
class _Rule:
    kind: str
    scenario: Scenario
    prefix: str | None
    once: bool


class ScenarioBook:
    """Thread-safe rule list that chooses the scenario for each new job or model."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self.default_job = JobScenario()
        self.default_model = ModelScenario()
        self.defaults: dict[str, Scenario] = {}

    def add(
        self,
        scenario: Scenario,
        *,
        prefix: str | None = None,
        once: bool = False,
    ) -> None:
        """``prefix`` matches names that start with it; ``once`` uses the rule for one resource only.

        Neither: the rule becomes the new default for its kind. ``once`` without ``prefix``: the next one created.
        """
        kind = _KINDS[type(scenario)]
        with self._lock:
            if prefix is None and not once:
                if kind == "job":
                    self.default_job = scenario  # type: ignore[assignment]
                elif kind == "model":
                    self.default_model = scenario  # type: ignore[assignment]
                else:
                    self.defaults[kind] = scenario
                return
            self._rules.append(_Rule(kind, scenario, prefix, once))

    def pick_job(self, *names: str) -> JobScenario:
        return self._pick("job", names) or self.default_job  # type: ignore[return-value]

    def pick_model(self, *names: str) -> ModelScenario:
        return self._pick("model", names) or self.default_model  # type: ignore[return-value]

    def pick_deployment(self, name: str) -> DeploymentScenario:
        return self._pick("deployment", (name,)) or self.defaults.get("deployment") or DeploymentScenario()  # type: ignore[return-value]

    def pick_throughput(self, name: str) -> ThroughputScenario:
        return self._pick("throughput", (name,)) or self.defaults.get("throughput") or ThroughputScenario()  # type: ignore[return-value]

    def pick_import(self, *names: str) -> ImportScenario:
        return self._pick("import", names) or self.defaults.get("import") or ImportScenario()  # type: ignore[return-value]

    def _pick(self, kind: str, names: tuple[str, ...]) -> Scenario | None:
        with self._lock:
            # "next" rules first, oldest first; then prefix rules, newest first.
            ordered = [r for r in self._rules if r.once and r.prefix is None] + [
                r for r in reversed(self._rules) if r.prefix is not None
            ]
            for rule in ordered:
                if rule.kind != kind:
                    continue
                if rule.prefix is not None and not any(name and name.startswith(rule.prefix) for name in names):
                    continue
                if rule.once:
                    self._rules.remove(rule)
                return rule.scenario
            return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.default_job = JobScenario()
            self.default_model = ModelScenario()
            self.defaults.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "default_job": self.default_job.to_dict(),
                "default_model": self.default_model.to_dict(),
                **{f"default_{kind}": scenario.to_dict() for kind, scenario in self.defaults.items()},
                "rules": [
                    {"kind": r.kind, "prefix": r.prefix, "once": r.once, "scenario": r.scenario.to_dict()}
                    for r in self._rules
                ],
            }


__all__ = [
    "JOB_PHASES",
    "DeploymentScenario",
    "ImportScenario",
    "JobScenario",
    "ModelScenario",
    "ScenarioBook",
    "ServingScenario",
    "ThroughputScenario",
]
