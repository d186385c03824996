"""Steering the emulator: the clock, scenarios, faults, models in use, state dumps and resets.

The same operations are offered in process (:class:`Controls`, reached as ``Emulator.controls``) and over HTTP under
``/_emulator/`` on the emulator's own endpoint (:class:`ControlClient`), because the driver runs the provider in
subprocesses and steers the emulator from outside. HTTP form: ``POST /_emulator/<operation>`` with a JSON object of
keyword arguments, answered with JSON (``GET /_emulator/state`` and ``GET /_emulator/health`` also work). Errors come
back as 400 with ``{"error": ...}``. Control requests are unsigned and never reach Bedrock's call log.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .bedrock import BedrockService
from .clock import VirtualClock
from .errors import BedrockError
from .events import drain
from .faults import FaultInjector, FaultRule
from .moto_keys import ensure_key
from .scenarios import (
    DeploymentScenario,
    ImportScenario,
    JobScenario,
    ModelScenario,
    Scenario,
    ScenarioBook,
    ThroughputScenario,
)
from .state import Store

CONTROL_PREFIX = "/_emulator/"
DEFAULT_REGION = "us-east-1"


class Controls:
    """In-process control API; every method takes and returns JSON-able values (the HTTP API calls it by name)."""

    OPERATIONS = (
        "health",
        "state",
        "advance",
        "set_speed",
        "clock",
        "add_job_scenario",
        "add_model_scenario",
        "add_deployment_scenario",
        "add_throughput_scenario",
        "add_import_scenario",
        "set_throughput_quota",
        "clear_scenarios",
        "add_fault",
        "clear_faults",
        "faults",
        "set_model_in_use",
        "drain_job_events",
        "ensure_kms_key",
        "reset",
    )

    def __init__(
        self,
        clock: VirtualClock,
        store: Store,
        scenarios: ScenarioBook,
        faults: FaultInjector,
        service: BedrockService,
        reset_moto: Any = None,
    ) -> None:
        self._clock = clock
        self._store = store
        self._scenarios = scenarios
        self._faults = faults
        self._service = service
        self._reset_moto = reset_moto

    def health(self) -> dict[str, Any]:
        return {"ok": True}

    def state(self) -> dict[str, Any]:
        """All jobs, models, tags and the Bedrock call log (operation, status, error, clientRequestToken, target)."""
        return {**self._store.dump(self._clock.now()), "clock": self._clock.describe()}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move virtual time forward by ``seconds``; lifecycles catch up on the next look."""
        self._clock.advance(float(seconds))
        self._store.settle(self._clock.now())
        return self._clock.describe()

    def set_speed(self, speed: float) -> dict[str, Any]:
        """Virtual seconds per wall second (0 freezes time, 1000 runs a six-hour job in 21.6 s)."""
        self._clock.set_speed(float(speed))
        return self._clock.describe()

    def clock(self) -> dict[str, Any]:
        return self._clock.describe()

    def add_job_scenario(
        self, scenario: JobScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        """Scenario for jobs whose jobName or customModelName starts with ``prefix``, or the next job (``once``),
        or (neither) the new default. ``scenario`` fields: see :class:`JobScenario`."""
        return self._add_scenario(JobScenario, scenario, prefix, once)

    def add_model_scenario(
        self, scenario: ModelScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        """Same as :meth:`add_job_scenario` for models made by CreateCustomModel (:class:`ModelScenario`)."""
        return self._add_scenario(ModelScenario, scenario, prefix, once)

    def add_deployment_scenario(
        self, scenario: DeploymentScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        """Same as :meth:`add_job_scenario` for custom model deployments (:class:`DeploymentScenario`; ``prefix``
        matches the deployment's name)."""
        return self._add_scenario(DeploymentScenario, scenario, prefix, once)

    def add_throughput_scenario(
        self, scenario: ThroughputScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        """Same for provisioned throughputs (:class:`ThroughputScenario`; ``prefix`` matches the throughput's name)."""
        return self._add_scenario(ThroughputScenario, scenario, prefix, once)

    def add_import_scenario(
        self, scenario: ImportScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        """Same for model import jobs (:class:`ImportScenario`; ``prefix`` matches jobName or importedModelName)."""
        return self._add_scenario(ImportScenario, scenario, prefix, once)

    def _add_scenario(
        self, kind: type[Scenario], scenario: Scenario | dict[str, Any] | None, prefix: str | None, once: bool
    ) -> dict[str, Any]:
        """What every ``add_<kind>_scenario`` does: take a scenario of ``kind`` or its fields, file the rule, answer
        the book."""
        chosen = scenario if isinstance(scenario, kind) else kind.from_dict(scenario or {})
        self._scenarios.add(chosen, prefix=prefix, once=once)
        return self._scenarios.describe()

    def set_throughput_quota(self, no_commitment: int | None = None, commitment: int | None = None) -> dict[str, Any]:
        """Model units each region may hold in provisioned throughputs, without and with a commitment (defaults 2 and
        0, as an account has before AWS support grants more); past them CreateProvisionedModelThroughput answers
        ServiceQuotaExceededException."""
        with self._store.lock:
            if no_commitment is not None:
                self._store.throughput_quota["no_commitment"] = int(no_commitment)
            if commitment is not None:
                self._store.throughput_quota["commitment"] = int(commitment)
            return dict(self._store.throughput_quota)

    def clear_scenarios(self) -> dict[str, Any]:
        self._scenarios.clear()
        return self._scenarios.describe()

    def add_fault(
        self,
        kind: str,
        operations: list[str] | None = None,
        rate: float | None = None,
        calls: list[int] | None = None,
        times: int | None = None,
        delay_seconds: float = 0.0,
    ) -> dict[str, Any]:
        """Inject ``kind`` (see :mod:`faults`) on ``operations`` (default: all), on the chosen 1-based ``calls`` of
        those operations, or at ``rate`` (seeded), or always; at most ``times`` times."""
        rule = FaultRule(
            kind=kind,
            operations=frozenset(operations) if operations is not None else None,
            rate=rate,
            calls=frozenset(calls) if calls is not None else None,
            times=times,
            delay_seconds=float(delay_seconds),
        )
        self._faults.add(rule)
        return rule.to_dict()

    def clear_faults(self, seed: int | None = None) -> dict[str, Any]:
        self._faults.clear(seed)
        return self._faults.describe()

    def faults(self) -> dict[str, Any]:
        return self._faults.describe()

    def set_model_in_use(
        self, model: str, in_use: bool = True, by: str | None = None, region: str = DEFAULT_REGION
    ) -> dict[str, Any]:
        """Mark a custom model (name or ARN) as used, e.g. by a provisioned throughput: DeleteCustomModel then
        answers ConflictException. ``in_use=False`` releases ``by`` (or every user when ``by`` is None)."""
        return self._service.set_model_in_use(model, bool(in_use), by, region)

    def drain_job_events(self, region: str | None = None) -> list[dict[str, Any]]:
        """Bedrock's "Model Customization Job State Change" EventBridge events (full envelopes) of every job status
        change at or before virtual now that was not drained before, oldest first; ``region``: only that region's
        jobs (the others stay pending). Events a ``drop_events`` fault loses are never returned (counted in
        ``state()["events"]``). Shape: see :mod:`events`, after
        https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html"""
        return drain(self._store, self._faults, self._clock.now(), region)

    def ensure_kms_key(
        self,
        key_id: str,
        description: str = "",
        policy: str | None = None,
        rotation: bool = False,
        region: str = DEFAULT_REGION,
    ) -> dict[str, Any]:
        """A KMS key with the id ``key_id`` in moto (kept when it exists): what a template resolved locally names
        (see :mod:`moto_keys`). Returns ``{"KeyId", "Arn", "Created"}``."""
        return ensure_key(key_id, region=region, description=description, policy=policy, rotation=bool(rotation))

    def reset(self, seed: int | None = None, moto: bool = True) -> dict[str, Any]:
        """Forget every job, model, tag, token, call, event, fault and scenario (and moto's resources when
        ``moto``)."""
        self._store.reset(seed)
        self._faults.clear(seed)
        self._scenarios.clear()
        if moto and self._reset_moto is not None:
            self._reset_moto()
        return {"ok": True}

    # --- HTTP --------------------------------------------------------------------------------------------------------
    def dispatch(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        name = path[len(CONTROL_PREFIX) :].strip("/").replace("-", "_")
        if name not in self.OPERATIONS:
            return 404, {"error": f"unknown control operation {name!r}; known: {list(self.OPERATIONS)}"}
        try:
            kwargs = json.loads(body) if body.strip() else {}
            if not isinstance(kwargs, dict):
                raise ValueError("the request body must be a JSON object of keyword arguments")
            return 200, getattr(self, name)(**kwargs)
        except BedrockError as exc:
            return 400, {"error": exc.message, "code": exc.code}
        except (TypeError, ValueError) as exc:
            return 400, {"error": str(exc)}


class ControlError(RuntimeError):
    """A control request the emulator refused (bad arguments, unknown operation)."""


class ControlClient:
    """The control API over HTTP, for processes other than the one running the emulator.

    >>> control = ControlClient("http://127.0.0.1:40123")
    >>> control.advance(6 * 3600)
    """

    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def call(self, operation: str, **kwargs: Any) -> Any:
        data = json.dumps({k: v for k, v in kwargs.items() if v is not None}).encode()
        request = urllib.request.Request(
            f"{self.endpoint_url}{CONTROL_PREFIX}{operation}",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise ControlError(f"{operation}: HTTP {exc.code}: {detail}") from exc

    def health(self) -> dict[str, Any]:
        return self.call("health")

    def state(self) -> dict[str, Any]:
        return self.call("state")

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.call("advance", seconds=seconds)

    def set_speed(self, speed: float) -> dict[str, Any]:
        return self.call("set_speed", speed=speed)

    def clock(self) -> dict[str, Any]:
        return self.call("clock")

    def add_job_scenario(
        self, scenario: JobScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        return self._add_scenario("add_job_scenario", JobScenario, scenario, prefix, once)

    def add_model_scenario(
        self, scenario: ModelScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        return self._add_scenario("add_model_scenario", ModelScenario, scenario, prefix, once)

    def add_deployment_scenario(
        self, scenario: DeploymentScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        return self._add_scenario("add_deployment_scenario", DeploymentScenario, scenario, prefix, once)

    def add_throughput_scenario(
        self, scenario: ThroughputScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        return self._add_scenario("add_throughput_scenario", ThroughputScenario, scenario, prefix, once)

    def add_import_scenario(
        self, scenario: ImportScenario | dict[str, Any] | None = None, prefix: str | None = None, once: bool = False
    ) -> dict[str, Any]:
        return self._add_scenario("add_import_scenario", ImportScenario, scenario, prefix, once)

    def _add_scenario(
        self,
        operation: str,
        kind: type[Scenario],
        scenario: Scenario | dict[str, Any] | None,
        prefix: str | None,
        once: bool,
    ) -> dict[str, Any]:
        """What every ``add_<kind>_scenario`` sends: a scenario of ``kind`` as its fields, its prefix and once."""
        data = scenario.to_dict() if isinstance(scenario, kind) else scenario
        return self.call(operation, scenario=data, prefix=prefix, once=once)

    def set_throughput_quota(self, no_commitment: int | None = None, commitment: int | None = None) -> dict[str, Any]:
        return self.call("set_throughput_quota", no_commitment=no_commitment, commitment=commitment)

    def clear_scenarios(self) -> dict[str, Any]:
        return self.call("clear_scenarios")

    def add_fault(
        self,
        kind: str,
        operations: list[str] | None = None,
        rate: float | None = None,
        calls: list[int] | None = None,
        times: int | None = None,
        delay_seconds: float = 0.0,
    ) -> dict[str, Any]:
        return self.call(
            "add_fault",
            kind=kind,
            operations=list(operations) if operations is not None else None,
            rate=rate,
            calls=list(calls) if calls is not None else None,
            times=times,
            delay_seconds=delay_seconds,
        )

    def clear_faults(self, seed: int | None = None) -> dict[str, Any]:
        return self.call("clear_faults", seed=seed)

    def faults(self) -> dict[str, Any]:
        return self.call("faults")

    def set_model_in_use(
        self, model: str, in_use: bool = True, by: str | None = None, region: str = DEFAULT_REGION
    ) -> dict[str, Any]:
        return self.call("set_model_in_use", model=model, in_use=in_use, by=by, region=region)

    def drain_job_events(self, region: str | None = None) -> list[dict[str, Any]]:
        return self.call("drain_job_events", region=region)

    def ensure_kms_key(
        self,
        key_id: str,
        description: str = "",
        policy: str | None = None,
        rotation: bool = False,
        region: str = DEFAULT_REGION,
    ) -> dict[str, Any]:
        return self.call(
            "ensure_kms_key", key_id=key_id, description=description, policy=policy, rotation=rotation, region=region
        )

    def reset(self, seed: int | None = None, moto: bool = True) -> dict[str, Any]:
        return self.call("reset", seed=seed, moto=moto)
