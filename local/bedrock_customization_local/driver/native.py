"""The non-custom resources the driver plays itself: wait conditions (and their handles), EventBridge rules, Lambda
permissions.

Why these and no others: the long wait (``docs/long-wait.md``) is built from them. The stack declares one
EventBridge rule for Bedrock's job state changes and one rate rule for polls, each with a Lambda permission, and per
waiting job an ``AWS::CloudFormation::WaitCondition`` with a ``CreationPolicy`` that the provider signals. Their
semantics are part of the protocol the provider is tested against: a rule really exists (in moto) before the job
that enables it starts, a permission really lets EventBridge invoke the function, and a condition really holds back
what depends on it until it is signalled or times out. Every other non-custom resource still resolves to a local
value (:mod:`.intrinsics`).

Rules and permissions are created, updated and deleted synchronously through moto (``session.client("events")``
and ``session.client("lambda")``); a wait condition is a :class:`SignalWait` the stack's loop watches while
:class:`~.cloudformation_api.CloudFormationApi`'s ``SignalResource`` feeds it from the emulator's
threads.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .cloudformation_api import CloudFormationError, validation_error
from .errors import DriverError
from .intrinsics import DRIVEN_NATIVE_TYPES
from .responses import HandleSignal, WaitHandle

WAIT_CONDITION = "AWS::CloudFormation::WaitCondition"
WAIT_CONDITION_HANDLE = "AWS::CloudFormation::WaitConditionHandle"
EVENTS_RULE = "AWS::Events::Rule"
LAMBDA_PERMISSION = "AWS::Lambda::Permission"
NATIVE_TYPES = DRIVEN_NATIVE_TYPES
assert frozenset({WAIT_CONDITION, WAIT_CONDITION_HANDLE, EVENTS_RULE, LAMBDA_PERMISSION}) == NATIVE_TYPES

#: CreationPolicy.ResourceSignal.Timeout when the template sets none (CloudFormation's documented default).
DEFAULT_SIGNAL_TIMEOUT = "PT5M"
#: The longest Timeout CloudFormation accepts for a resource signal: 12 hours.
MAX_SIGNAL_TIMEOUT_SECONDS = 12 * 3600
_DURATION = re.compile(r"^PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
#: Properties of AWS::Events::Rule targets that PutTargets takes as they are written in the template.
_TARGET_KEYS = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "RoleArn", "RetryPolicy", "DeadLetterConfig")
#: Properties of AWS::Lambda::Permission that AddPermission takes under the same names.
_PERMISSION_KEYS = (
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


class NativeFailure(Exception):
    """The resource's own service refused (the reason is what CloudFormation would show in the event)."""


@dataclass(frozen=True)
class Made:
    """What a native resource's create or update produced: its physical id (``Ref``) and ``Fn::GetAtt`` values."""

    physical_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


def parse_duration(text: Any) -> int:
    """Seconds of an ISO 8601 duration as CreationPolicy takes it (``PT12H``, ``PT30M``, ``PT1H30M10S``)."""
    match = _DURATION.match(str(text))
    if not match:
        raise DriverError(f"Timeout {text!r} is not an ISO 8601 duration such as PT12H, PT30M or PT90S")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def signal_policy(logical_id: str, creation_policy: Mapping[str, Any]) -> tuple[int, int]:
    """(Count, Timeout in seconds) of a resolved ``CreationPolicy``, checked as CloudFormation checks them."""
    signal = creation_policy.get("ResourceSignal") or {}
    try:
        count = int(signal.get("Count", 1))
    except (TypeError, ValueError) as exc:
        raise DriverError(
            f"{logical_id}: CreationPolicy Count must be an integer, got {signal.get('Count')!r}"
        ) from exc
    if count < 1:
        raise DriverError(f"{logical_id}: CreationPolicy Count must be at least 1, got {count}")
    timeout = parse_duration(signal.get("Timeout", DEFAULT_SIGNAL_TIMEOUT))
    if timeout > MAX_SIGNAL_TIMEOUT_SECONDS:
        raise DriverError(
            f"{logical_id}: CreationPolicy Timeout {signal.get('Timeout')} exceeds the maximum of PT12H "
            f"(43200 seconds) CloudFormation allows"
        )
    return count, timeout


def generated_name(stack_name: str, logical_id: str, limit: int) -> str:
    """A name as CloudFormation generates one: ``<stack>-<logical id>-<RANDOM>``, the front cut to fit ``limit``."""
    suffix = uuid.uuid4().hex[:12].upper()
    front = f"{stack_name}-{logical_id}"[: limit - len(suffix) - 1]
    return f"{front}-{suffix}"


# --- AWS::CloudFormation::WaitCondition, both forms -----------------------------------------------------------------
class SignalWait:
    """One wait condition waiting for ``count`` SUCCESS signals with distinct UniqueIds, or one FAILURE.

    Thread-safe: signals arrive on the emulator's server threads (``SignalResource``) or the response endpoint's
    (a PUT to a handle), the stack's loop reads :meth:`outcome`. Both forms share the counting, the settling, the
    timeout and ``Data``; they differ in where signals come from and in CloudFormation's words:

    - **CreationPolicy** (``handle`` None), signalled through :meth:`receive` (SignalResource). Semantics (the
      CreationPolicy attribute reference): "the number of success signals CloudFormation must receive before it sets
      the resource status as CREATE_COMPLETE. If the resource receives a failure signal or doesn't receive the
      specified number of signals before the timeout period expires, the resource creation fails". A UniqueId already
      received is accepted and not counted again (the API reference: "each signal requires a different unique ID");
      each new signal is an event. Once settled, every further signal is refused with a ValidationError.
    - **Handle** (``Handle``/``Timeout``/``Count`` properties): fed by its :class:`~.responses.WaitHandle`
      through :meth:`take`, the signals kept on the handle before it started first. A repeated UniqueId is "a
      retransmission of the previously sent signal ... [CloudFormation] will ignore the signal" (the User Guide's
      "Wait condition signal JSON format"). A signal after it settled changes nothing (S3 took the PUT; nobody reads
      it). SignalResource is refused: the condition has no CreationPolicy.
    """

    def __init__(
        self,
        logical_id: str,
        physical_id: str,
        count: int,
        timeout_seconds: int,
        handle: WaitHandle | None = None,
    ) -> None:
        self.logical_id = logical_id
        self.physical_id = physical_id
        self.count = count
        self.timeout_seconds = timeout_seconds
        self.handle = handle
        self.received: list[tuple[str, str]] = []  # (unique id, status), first arrival of each unique id
        self._data: dict[str, Any] = {}  # unique id -> the Data its first SUCCESS signal carried
        self._lock = threading.Lock()
        self._events: list[str] = []
        self._settled: str | None = None  # the resource status it ended in (CREATE_COMPLETE | CREATE_FAILED)
        self._failure = ""
        if handle is not None:
            handle.attach(self.take)  # the signals kept so far count now

    @property
    def form(self) -> str:
        return "CreationPolicy" if self.handle is None else "Handle"

    def receive(self, unique_id: str, status: str) -> None:
        """A SignalResource call (the CreationPolicy form)."""
        if self.handle is not None:
            raise validation_error(
                f"Resource {self.logical_id} has no CreationPolicy and cannot be signaled through SignalResource "
                f"(signal its WaitConditionHandle's URL)"
            )
        with self._lock:
            if self._settled is not None:
                raise validation_error(f"Resource {self.logical_id} is in {self._settled} state and cannot be signaled")
            self._count(unique_id, status, None, "")

    def take(self, signal: HandleSignal) -> None:
        """A signal PUT to the condition's handle (or kept on it from before the condition started)."""
        with self._lock:
            if self._settled is None:
                self._count(signal.unique_id, signal.status, signal.data, signal.reason)

    def _count(self, unique_id: str, status: str, data: Any, reason: str) -> None:
        """Count one signal (the lock held, not settled yet)."""
        if any(uid == unique_id for uid, _ in self.received):
            return  # a retransmission: accepted, counted once
        self.received.append((unique_id, status))
        if self.handle is None:
            self._events.append(f"Received {status} signal with UniqueId {unique_id}")
        if status == "FAILURE":
            self._settled, self._failure = "CREATE_FAILED", self._failure_reason(unique_id, reason)
            return
        self._data[unique_id] = data
        if self._successes() >= self.count:
            self._settled = "CREATE_COMPLETE"

    def _successes(self) -> int:
        return sum(1 for _, s in self.received if s == "SUCCESS")

    def _failure_reason(self, unique_id: str, reason: str) -> str:
        if self.handle is None:
            return f"Received FAILURE signal with UniqueId {unique_id}"
        # CloudFormation's words for a handle's failure signal, as public stack events show them (e.g.
        # aws-quickstart/quickstart-trendmicro-deepsecurity issue 29); not in the documentation.
        return f"WaitCondition received failed message: '{reason}' for uniqueId: {unique_id}"

    def outcome(self) -> tuple[str, str] | None:
        """("SUCCESS", "") or ("FAILED", reason) once settled by signals; None while waiting."""
        with self._lock:
            if self._settled == "CREATE_COMPLETE":
                return "SUCCESS", ""
            if self._settled == "CREATE_FAILED" and self._failure:
                return "FAILED", self._failure
            return None

    def settle(self, status: str, reason: str = "") -> bool:
        """End the wait from the stack's side (timeout, cancellation, deletion); False when signals settled it
        first. A handle's condition stops listening to it."""
        with self._lock:
            if self._settled is not None:
                settled = False
            else:
                self._settled, self._failure, settled = status, reason, True
        if self.handle is not None:
            self.handle.detach(self.take)
        return settled

    def expire(self) -> bool:
        """The virtual clock passed Timeout: fail with CloudFormation's words for the form (False: a signal that
        raced the timeout settled it first, and wins)."""
        with self._lock:
            received = self._successes()
        if self.handle is None:
            # aws/aws-cli issue 7133, the Knowledge Center's "cloudformation-failed-signal"
            reason = f"Failed to receive {self.count} resource signal(s) within the specified duration"
        else:
            # public stack events (e.g. aws-samples/immersive-media-refarch issue 7, nicolaka/ddc-aws issue 42)
            reason = f"WaitCondition timed out. Received {received} conditions when expecting {self.count}"
        return self.settle("CREATE_FAILED", reason)

    def take_events(self) -> list[str]:
        with self._lock:
            events, self._events = self._events, []
            return events

    @property
    def settled(self) -> str | None:
        with self._lock:
            return self._settled

    def data(self) -> dict[str, Any]:
        """``Fn::GetAtt <condition>.Data``: a JSON string of an object, UniqueId to Data, of the SUCCESS signals.

        The Handle form renders it as the User Guide shows it, compact (``{"Signal1":"Step 1 complete."}``), with
        each signal's Data as sent; the CreationPolicy form has no Data to carry (SignalResource takes none) and
        keeps the rendering it always had (``{"job-1": null}``).
        """
        with self._lock:
            successes = [uid for uid, status in self.received if status == "SUCCESS"]
            if self.handle is None:
                return {"Data": json.dumps({uid: None for uid in successes})}
            return {"Data": json.dumps({uid: self._data.get(uid) for uid in successes}, separators=(",", ":"))}


def wait_properties(logical_id: str, properties: Mapping[str, Any]) -> tuple[int, int]:
    """(Count, Timeout in seconds) of a Handle-form wait condition's resolved properties, checked as CloudFormation
    documents them: Timeout required, whole seconds from 1 to 43200 (a string or a number); Count at least 1."""
    if "Handle" not in properties:
        raise DriverError(f"{logical_id}: a WaitCondition without a CreationPolicy needs a Handle property")
    if "Timeout" not in properties:
        raise DriverError(f"{logical_id}: a WaitCondition with a Handle needs a Timeout (seconds, at most 43200)")
    raw_timeout = properties["Timeout"]
    try:
        if isinstance(raw_timeout, bool):
            raise ValueError("a boolean")
        timeout = int(str(raw_timeout).strip())
    except ValueError as exc:
        raise DriverError(f"{logical_id}: Timeout must be a whole number of seconds, got {raw_timeout!r}") from exc
    if not 1 <= timeout <= MAX_SIGNAL_TIMEOUT_SECONDS:
        raise DriverError(
            f"{logical_id}: Timeout {raw_timeout!r} must be from 1 to {MAX_SIGNAL_TIMEOUT_SECONDS} seconds (12 hours), "
            f"the most CloudFormation allows"
        )
    raw_count = properties.get("Count", 1)
    try:
        if isinstance(raw_count, bool):
            raise ValueError("a boolean")
        count = int(str(raw_count).strip())
    except ValueError as exc:
        raise DriverError(f"{logical_id}: Count must be an integer, got {raw_count!r}") from exc
    if count < 1:
        raise DriverError(f"{logical_id}: Count must be at least 1, got {count}")
    return count, timeout


def condition_physical_id(stack_id: str, logical_id: str) -> str:
    """A wait condition's physical id: the stack id with a logical id appended, its own for the CreationPolicy form,
    its handle's for the Handle form (what public stack events show, e.g. ``.../<stack guid>/myWaitConditionHandle``
    on the condition's rows)."""
    return f"{stack_id}/{logical_id}"


# --- AWS::Events::Rule ----------------------------------------------------------------------------------------------
class RuleDriver:
    """Rules in moto's EventBridge: PutRule + PutTargets on create and update, RemoveTargets + DeleteRule on delete."""

    def __init__(self, events: Any, stack_name: str) -> None:
        self.events = events
        self.stack_name = stack_name

    @staticmethod
    def replaces(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """Name and EventBusName can only change by replacement (a rule is addressed by them)."""
        return old.get("Name") != new.get("Name") or old.get("EventBusName") != new.get("EventBusName")

    def create(self, logical_id: str, props: Mapping[str, Any]) -> Made:
        name = str(props.get("Name") or generated_name(self.stack_name, logical_id, 64))
        return self._put(name, props, previous_targets=())

    def update(self, logical_id: str, props: Mapping[str, Any], physical_id: str, old: Mapping[str, Any]) -> Made:
        if self.replaces(old, props):
            return self.create(logical_id, props)
        return self._put(physical_id, props, previous_targets=[t.get("Id") for t in old.get("Targets") or []])

    def delete(self, physical_id: str, props: Mapping[str, Any]) -> None:
        bus = {"EventBusName": props["EventBusName"]} if props.get("EventBusName") else {}
        try:
            targets = self.events.list_targets_by_rule(Rule=physical_id, **bus).get("Targets", [])
            if targets:
                self.events.remove_targets(Rule=physical_id, Ids=[t["Id"] for t in targets], **bus)
            self.events.delete_rule(Name=physical_id, **bus)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise NativeFailure(_client_message(exc)) from exc

    def _put(self, name: str, props: Mapping[str, Any], previous_targets: Any) -> Made:
        bus = {"EventBusName": props["EventBusName"]} if props.get("EventBusName") else {}
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED"), **bus}
        for key in ("ScheduleExpression", "Description", "RoleArn"):
            if props.get(key) is not None:
                request[key] = props[key]
        pattern = props.get("EventPattern")
        if pattern is not None:
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "ScheduleExpression" not in request and "EventPattern" not in request:
            raise NativeFailure("Either ScheduleExpression or EventPattern must be specified for an EventBridge rule")
        targets = [{k: t[k] for k in _TARGET_KEYS if k in t} for t in props.get("Targets") or []]
        try:
            arn = self.events.put_rule(**request)["RuleArn"]
            gone = [tid for tid in previous_targets if tid not in {t.get("Id") for t in targets}]
            if gone:
                self.events.remove_targets(Rule=name, Ids=gone, **bus)
            if targets:
                answer = self.events.put_targets(Rule=name, Targets=targets, **bus)
                if answer.get("FailedEntryCount"):
                    raise NativeFailure(f"PutTargets failed: {answer.get('FailedEntries')}")
        except ClientError as exc:
            raise NativeFailure(_client_message(exc)) from exc
        return Made(name, {"Arn": arn})


# --- AWS::Lambda::Permission ----------------------------------------------------------------------------------------
class PermissionDriver:
    """Statements in moto's Lambda resource policies; every property change replaces the permission (as in
    CloudFormation, where all of AWS::Lambda::Permission's properties are "Replacement")."""

    def __init__(self, lambda_client: Any, stack_name: str) -> None:
        self.lambda_client = lambda_client
        self.stack_name = stack_name

    def create(self, logical_id: str, props: Mapping[str, Any]) -> Made:
        statement_id = generated_name(self.stack_name, logical_id, 100)
        request = {k: props[k] for k in _PERMISSION_KEYS if props.get(k) is not None}
        try:
            self.lambda_client.add_permission(
                FunctionName=props.get("FunctionName"), StatementId=statement_id, **request
            )
        except ClientError as exc:
            raise NativeFailure(_client_message(exc)) from exc
        return Made(statement_id, {})

    def delete(self, physical_id: str, props: Mapping[str, Any]) -> None:
        try:
            self.lambda_client.remove_permission(FunctionName=props.get("FunctionName"), StatementId=physical_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise NativeFailure(_client_message(exc)) from exc


def _client_message(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Message') or exc} (Service: {exc.operation_name}, Status Code: " + (
        f"{exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')}, Error Code: {error.get('Code')})"
    )


__all__ = [
    "EVENTS_RULE",
    "LAMBDA_PERMISSION",
    "NATIVE_TYPES",
    "WAIT_CONDITION",
    "WAIT_CONDITION_HANDLE",
    "CloudFormationError",
    "Made",
    "NativeFailure",
    "PermissionDriver",
    "RuleDriver",
    "SignalWait",
    "parse_duration",
    "signal_policy",
    "wait_properties",
]
