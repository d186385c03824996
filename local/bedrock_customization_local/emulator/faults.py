"""Fault injection: the failures a provider must survive, on demand and reproducibly.

A :class:`FaultRule` names a kind of failure, the operations it applies to, and when it fires: on chosen calls
(``calls=[1, 2]``: the first and second matching call), at a rate (``rate=0.3`` with the injector's seeded RNG, so a
run replays exactly), or on every matching call; ``times`` caps how often it fires. Kinds:

- ``throttling``      429 ThrottlingException (botocore retries it; a storm exhausts the retries)
- ``internal``        500 InternalServerException
- ``unavailable``     503 ServiceUnavailableException
- ``access_denied``   403 AccessDeniedException
- ``quota``           400 ServiceQuotaExceededException
- ``iam_propagation`` 400 ValidationException "Could not assume provided IAM role." -- what Bedrock answers while a
                      role created seconds ago has not propagated; only on operations that take a roleArn, and only
                      after the request passed validation, as on the real service
- ``latency``         the call succeeds after ``delay_seconds`` of wall time
- ``drop_events``     a "Model Customization Job State Change" event is lost instead of delivered (EventBridge
                      delivery of Bedrock events is best effort); it never touches an API call. Here ``operations``
                      names the ``jobStatus`` values it applies to (``["Completed"]``: lose only completions;
                      default: every event) and ``calls`` counts matching events, 1-based. See :mod:`events`.

Edge faults (all but ``iam_propagation`` and ``drop_events``) hit before validation, the way a throttling front end
does.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import BedrockError

FAULTS: dict[str, tuple[str, str] | None] = {
    "throttling": ("ThrottlingException", "Too many requests, please wait before trying again."),
    "internal": ("InternalServerException", "An internal server error occurred. Retry your request."),
    "unavailable": ("ServiceUnavailableException", "Service is temporarily unavailable. Retry your request."),
    "access_denied": ("AccessDeniedException", "The request is denied because of missing access permissions."),
    "quota": ("ServiceQuotaExceededException", "The number of requests exceeds the service quota."),
    "iam_propagation": ("ValidationException", "Could not assume provided IAM role."),
    "latency": None,
    "drop_events": None,
}
#: Operations whose request carries a roleArn Bedrock assumes, hence the only ones that can fail IAM propagation.
ROLE_OPERATIONS = frozenset({"CreateModelCustomizationJob", "CreateCustomModel"})


@dataclass
class FaultRule:
    kind: str
    operations: frozenset[str] | None = None
    rate: float | None = None
    calls: frozenset[int] | None = None
    times: int | None = None
    delay_seconds: float = 0.0
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {sorted(FAULTS)}")
        if self.rate is not None and not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be within 0..1 (got {self.rate})")
        if self.operations is not None:
            self.operations = frozenset(self.operations)
        elif self.kind == "iam_propagation":
            self.operations = ROLE_OPERATIONS
        if self.calls is not None:
            self.calls = frozenset(int(c) for c in self.calls)

    @property
    def stage(self) -> str:
        if self.kind == "iam_propagation":
            return "role"
        if self.kind == "drop_events":
            return "events"
        return "edge"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["operations"] = sorted(self.operations) if self.operations is not None else None
        data["calls"] = sorted(self.calls) if self.calls is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {"kind", "operations", "rate", "calls", "times", "delay_seconds"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)} (known: {sorted(allowed)})")
        return cls(**data)


@dataclass(frozen=True)
class Fault:
    """A decided fault: an error to answer, or a delay before answering normally."""

    kind: str
    error: BedrockError | None
    delay_seconds: float


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self, seed: int | None = None) -> None:
        with self._lock:
            self._rules.clear()
            if seed is not None:
                self._seed = seed
            self._rng = random.Random(self._seed)

    def decide(self, operation: str, stage: str) -> list[Fault]:
        """Faults that fire for this call at this stage ("edge" before validation, "role" at the role check,
        "events" for a job state change event about to be delivered, ``operation`` being its jobStatus)."""
        decided: list[Fault] = []
        with self._lock:
            for rule in self._rules:
                if rule.stage != stage:
                    continue
                if rule.operations is not None and operation not in rule.operations:
                    continue
                rule.seen += 1
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.calls is not None:
                    fires = rule.seen in rule.calls
                elif rule.rate is not None:
                    fires = self._rng.random() < rule.rate
                else:
                    fires = True
                if not fires:
                    continue
                rule.fired += 1
                spec = FAULTS[rule.kind]
                error = BedrockError(spec[0], spec[1]) if spec else None
                decided.append(Fault(rule.kind, error, rule.delay_seconds))
        return decided

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"seed": self._seed, "rules": [rule.to_dict() for rule in self._rules]}
