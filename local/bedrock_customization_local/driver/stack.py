"""CloudFormation's stack operations over custom resources: create, update (with cleanup) and delete, with rollback.

Why it follows CloudFormation this closely: the provider's correctness is defined by what CloudFormation sends it.
So: independent resources run in parallel and dependents wait; a replacement (new physical id on Update) is deleted
only in the cleanup phase after every update succeeded; a failure stops new work and cancels work in flight (a
cancelled Create gets a made-up physical id, as in CloudFormation), then rolls back (Delete of what was created,
failed and cancelled Creates included; Update back to the old properties of what was updated); a stack delete runs
dependents first. A resource that never answers fails after its ServiceTimeout, measured on the shared accelerated
clock.

Custom resources run in the provider's Lambda; wait conditions (``CreationPolicy`` or ``Handle`` form), wait condition
handles, EventBridge rules and Lambda permissions are played by the driver itself (:mod:`.native`) in the same graph.
Only these "driven" resources get events; the others resolve to local values (:mod:`.intrinsics`), and S3 buckets
also exist in moto under that value, made as an operation starts and deleted with the stack (:mod:`.buckets`).

While an operation runs, the stack is readable and signalable from other threads through CloudFormation's API
(:mod:`.cloudformation_api`): :meth:`StackRunner.describe_stack`, :meth:`StackRunner.resource_summaries` and
:meth:`StackRunner.signal` take the runner's lock, and every status change is recorded under it.

A user may delete a stack whose creation is still in progress (DeleteStack accepts a stack in CREATE_IN_PROGRESS):
:meth:`StackRunner.request_delete`, from any thread or from a :attr:`StackRunner.tick_hooks` hook (called on the
stack loop's thread at every tick, so a test can act on an exact state without wall-clock margins). The loop notices
it at its next tick, cancels what is in flight as for a sibling's failure, and deletes everything created.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .assembly import StackArtifact
from .buckets import follow_stack_status
from .cfn_events import request_event
from .cloudformation_api import timestamp, validation_error
from .errors import IntrinsicError
from .intrinsics import CustomState, Resolver, StackEnv
from .native import (
    EVENTS_RULE,
    LAMBDA_PERMISSION,
    WAIT_CONDITION,
    WAIT_CONDITION_HANDLE,
    Made,
    NativeFailure,
    PermissionDriver,
    RuleDriver,
    SignalWait,
    condition_physical_id,
)
from .session import LocalSession
from .template import FunctionSpec, StackTemplate

#: Wall seconds between checks for responses and due polls.
TICK_SECONDS = 0.05
#: Wall seconds a request may wait beyond its ServiceTimeout's wall equivalent (a frozen clock never gets there).
WALL_GUARD_SECONDS = 300.0
JOB_TYPE = "Custom::BedrockModelCustomizationJob"
MODEL_TYPE = "Custom::BedrockCustomModel"
#: The reader after a job's long wait: its answer carries the finished job's model (the job's own resource does not).
RESULT_TYPE = "Custom::BedrockCustomizationResult"


@dataclass
class ResourceRecord:
    """A driven resource that exists: what its provider answered (or the driver made, for native ones: ``function``
    is then empty) and the (resolved) properties it was given."""

    logical_id: str
    resource_type: str
    physical_id: str
    properties: dict[str, Any]
    data: dict[str, Any]
    function: str


@dataclass(frozen=True)
class _LiveStatus:
    """A driven resource's latest status as ListStackResources shows it (``at``: virtual epoch seconds)."""

    resource_type: str
    status: str
    physical_id: str
    reason: str
    at: float


@dataclass(frozen=True)
class StackEvent:
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""
    at: float = field(default_factory=time.time)


@dataclass
class StackOutcome:
    operation: str
    status: str
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    #: "DeleteStack" when a delete requested during the create cancelled it (the stack was then deleted, not rolled
    #: back): the create did not succeed, whatever the final status says.
    cancelled_by: str = ""

    @property
    def ok(self) -> bool:
        done = self.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE")
        return done and not self.warnings and not self.cancelled_by


class Observer(Protocol):
    """What a progress display gets told."""

    def stack_status(self, status: str) -> None: ...

    def resource_status(self, event: StackEvent) -> None: ...

    def idle(self) -> None: ...


class _NullObserver:
    def stack_status(self, status: str) -> None:
        return None

    def resource_status(self, event: StackEvent) -> None:
        return None

    def idle(self) -> None:
        return None


@dataclass
class _Op:
    logical_id: str
    request_type: str  # Create | Update | Delete
    resource_type: str
    function: str
    service_timeout: int
    # Builds (properties, physical id, old properties) when the op starts, so GetAtt sees finished dependencies;
    # None means "nothing to send" (an Update whose resolved properties did not change).
    prepare: Callable[[], tuple[dict[str, Any], str | None, dict[str, Any] | None] | None]
    deps: set[str] = field(default_factory=set)
    record: ResourceRecord | None = None  # for a Delete: the resource being deleted
    signal_count: int = 0  # a wait condition: the SUCCESS signals it asks for (CreationPolicy or Count)


@dataclass(frozen=True)
class _InFlight:
    """A request sent and not answered yet."""

    op: _Op
    deadline: float  # virtual time after which CloudFormation stops waiting
    wall_deadline: float  # monotonic time after which the driver stops waiting anyway (frozen or stalled clock)
    properties: dict[str, Any]
    physical_id: str | None
    wait: SignalWait | None = None  # a wait condition waiting for signals (no request was sent)


@dataclass
class _Result:
    op: _Op
    status: str  # SUCCESS | FAILED | NOT_STARTED
    physical_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    sent: bool = False


class StackRunner:
    """Runs one stack's custom resources through create / update / delete against a :class:`LocalSession`."""

    def __init__(
        self,
        session: LocalSession,
        stack: StackArtifact,
        *,
        observer: Observer | None = None,
        stack_name: str | None = None,
    ) -> None:
        self.session = session
        self.stack = stack
        env = StackEnv.for_stack(stack_name or stack.stack_name, session.region, session.account)
        self.env = dataclasses.replace(env, exports=session.stacks.export_value)
        self.observer: Observer = observer or _NullObserver()
        self.template: StackTemplate | None = None
        self.records: dict[str, ResourceRecord] = {}
        self.retained_models: set[str] = set()
        #: Every ARN of the resources a delete retained (RemovalPolicy Retain): not leftovers either.
        self.retained_resources: set[str] = set()
        #: Job ARN -> its custom model, learned from the long wait's readers (what a retained job's model is).
        self._job_models: dict[str, str] = {}
        self.events: list[StackEvent] = []
        self.requests: list[dict[str, Any]] = []
        #: Request ids CloudFormation stopped listening to (a sibling failed); late responses to them are ignored.
        self.cancelled: list[str] = []
        self.status = "NONE"
        self._registered: dict[str, FunctionSpec] = {}
        # What Ref/GetAtt of driven resources see *during* an operation: answers land here as they arrive.
        self._live: dict[str, CustomState] = {}
        # What CloudFormation's API shows, read from the emulator's threads: guarded by the lock.
        self._lock = threading.RLock()
        self._statuses: dict[str, _LiveStatus] = {}  # driven resources: the latest event of the current resource
        self._waits: dict[str, SignalWait] = {}  # wait conditions that started, by logical id
        self._active: StackTemplate | None = None  # the template of the running (or last) operation
        self._changed_others: set[str] = set()  # non-driven resources whose definition the last update changed
        self._created_at: float | None = None
        self._updated_at: float | None = None
        self._clients: dict[str, Any] = {}
        #: Set by :meth:`request_delete` while the stack is CREATE_IN_PROGRESS; read by the stack loop at each tick.
        self._delete_requested = threading.Event()
        #: Called on the stack loop's thread at every tick of an operation (after polls and events were delivered),
        #: with the runner: a deterministic place to act on the stack's state (e.g. request a delete once a
        #: condition waits), whatever the machine's speed.
        self.tick_hooks: list[Callable[[StackRunner], None]] = []
        session.stacks.register(self)

    # --- public operations --------------------------------------------------------------------------------------
    def deploy(self, template: Mapping[str, Any] | None = None) -> StackOutcome:
        """Create the stack, or update it when it exists; ``template`` defaults to the synthesized one."""
        new = StackTemplate(template if template is not None else self.stack.template(), self.env)
        self._check_imports(new)
        self._register_functions(new)
        now = self._now()
        self._delete_requested.clear()  # a request belongs to the create it interrupted
        with self._lock:
            if self.template is None:  # a new stack (again, after a rollback or a delete)
                self._statuses.clear()
                self._waits.clear()
                self._changed_others = set()
                self._created_at, self._updated_at = now, None
            else:
                old = self.template.resources
                self._changed_others = {
                    lid for lid in new.resources if lid in old and old[lid] != new.resources[lid]
                } - set(new.driven_ids())
                self._updated_at = now
            self._active = new
        try:
            return self._create(new) if self.template is None else self._update(new)
        finally:
            self._sync_live()

    def destroy(self) -> StackOutcome:
        in_use = self.session.stacks.importers_of(self.exports(), excluding=self.env.stack_name)
        if in_use:  # CloudFormation deletes nothing of a stack whose exports another stack imports
            self._set_status("DELETE_IN_PROGRESS")
            self._set_status("DELETE_FAILED")
            failures = [
                (self.env.stack_name, f"Export {name} cannot be deleted as it is in use by {', '.join(stacks)}")
                for name, stacks in in_use.items()
            ]
            return StackOutcome("DELETE", self.status, failures)
        with self._lock:
            self._active = self.template or self._active
        self._set_status("DELETE_IN_PROGRESS")
        ops = self._delete_ops(list(self.records.values()), self.template)
        results = self._execute(ops, stop_on_failure=False)
        failures = self._apply_deletes(results)
        self._sync_live()
        self._set_status("DELETE_FAILED" if failures else "DELETE_COMPLETE")
        if not failures:
            self.template = None
        return StackOutcome("DELETE", self.status, failures)

    def request_delete(self) -> None:
        """DeleteStack while the stack is being created: thread-safe, returns at once.

        CloudFormation accepts DeleteStack on a stack in CREATE_IN_PROGRESS: it cancels what is in progress (a wait
        condition fails "Resource creation cancelled"), then deletes every resource that was created, dependents
        first; the stack goes DELETE_IN_PROGRESS, then DELETE_COMPLETE. The running :meth:`deploy` notices the
        request at its next tick and returns that outcome (``cancelled_by="DeleteStack"``). In any other state the
        driver refuses (a stack at rest is deleted with :meth:`destroy`; deletes during other operations are not
        played): a ValidationError in the driver's words.
        """
        with self._lock:  # the create's end reads the request under the same lock: it is never lost
            if self.status != "CREATE_IN_PROGRESS":
                raise validation_error(
                    f"Stack {self.env.stack_id} is in {self.status} state: the driver plays DeleteStack during an "
                    "operation only while the stack is CREATE_IN_PROGRESS"
                )
            self._delete_requested.set()

    @property
    def delete_requested(self) -> bool:
        """Whether a delete was requested during the running (or last) create."""
        return self._delete_requested.is_set()

    def waiting_conditions(self) -> list[str]:
        """Logical ids of the wait conditions that are waiting for signals now (CREATE_IN_PROGRESS, not settled)."""
        with self._lock:
            return [lid for lid, wait in self._waits.items() if wait.settled is None]

    # --- CloudFormation's API (called from the emulator's threads) -------------------------------------------------
    def describe_stack(self) -> dict[str, Any] | None:
        """DescribeStacks' member for this stack; None before its first operation (it does not exist)."""
        with self._lock:
            if self.status == "NONE" or self._created_at is None:
                return None
            description: dict[str, Any] = {
                "StackId": self.env.stack_id,
                "StackName": self.env.stack_name,
                "CreationTime": timestamp(self._created_at),
                "StackStatus": self.status,
            }
            if self._updated_at is not None:
                description["LastUpdatedTime"] = timestamp(self._updated_at)
            return description

    def resource_summaries(self) -> list[dict[str, Any]]:
        """ListStackResources' members, template order: driven resources as their latest event left them (a wait
        condition waiting is CREATE_IN_PROGRESS; one not started yet is not listed), the others as created with the
        stack (CREATE_COMPLETE, UPDATE_COMPLETE when the last update changed them, DELETE_COMPLETE once the stack
        was deleted or rolled back) with their local Ref value as physical id."""
        with self._lock:
            template, statuses = self._active, dict(self._statuses)
            live, changed, stack_status = dict(self._live), set(self._changed_others), self.status
            stamp = self._updated_at or self._created_at or 0.0
        if template is None:
            return []
        resolver = Resolver(template.template, self.env, live)
        summaries = []
        order = list(template.resources) + [lid for lid in statuses if lid not in template.resources]
        for lid in order:
            if lid in statuses:
                entry = statuses[lid]
                summaries.append(
                    _summary(lid, entry.resource_type, entry.physical_id, entry.status, entry.at, entry.reason)
                )
            elif lid in template.resources and lid not in template.driven_ids():
                if stack_status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
                    status = "DELETE_COMPLETE"
                else:
                    status = "UPDATE_COMPLETE" if lid in changed else "CREATE_COMPLETE"
                summaries.append(
                    _summary(lid, template.resource_type(lid), _local_physical_id(resolver, lid), status, stamp)
                )
        return summaries

    def resource_detail(self, logical_id: str) -> dict[str, Any] | None:
        """DescribeStackResource's detail: the summary plus the stack's ids and the template's ``Metadata`` (a JSON
        string, as CloudFormation returns it; absent when the resource declares none). None: no such resource."""
        summary = next((s for s in self.resource_summaries() if s["LogicalResourceId"] == logical_id), None)
        if summary is None:
            return None
        with self._lock:
            template = self._active
        declared = template.resources.get(logical_id, {}) if template is not None else {}
        detail = {"StackName": self.env.stack_name, "StackId": self.env.stack_id, **summary}
        detail["LastUpdatedTimestamp"] = detail.pop("LastUpdatedTimestamp")
        if declared.get("Metadata") is not None:
            detail["Metadata"] = json.dumps(declared["Metadata"], separators=(",", ":"))
        return detail

    def signal(self, logical_id: str, unique_id: str, status: str) -> None:
        """SignalResource: count a signal for a waiting condition, or refuse with CloudFormation's ValidationError."""
        with self._lock:
            if not self.status.endswith("_IN_PROGRESS"):
                raise validation_error(f"Stack {self.env.stack_id} is in {self.status} state and cannot be signaled")
            wait = self._waits.get(logical_id)
            live = self._statuses.get(logical_id)
        if wait is None:
            if live is None:
                raise validation_error(f"Resource {logical_id} does not exist for stack {self.env.stack_name}")
            raise validation_error(f"Resource {logical_id} is in {live.status} state and cannot be signaled")
        wait.receive(unique_id, status)

    def outputs(self) -> dict[str, Any]:
        return self.template.outputs(self._resolver(self.template)) if self.template else {}

    def exports(self) -> dict[str, Any]:
        """Export name -> value of the stack's outputs that declare ``Export`` (none unless the stack exists)."""
        with self._lock:
            template = self.template
        if template is None:
            return {}
        resolver = self._resolver(template)
        found = {}
        for name, output in (template.template.get("Outputs") or {}).items():
            export = output.get("Export")
            if isinstance(export, Mapping) and "Name" in export:
                where = f"Outputs.{name}"
                export_name = str(resolver.resolve(export["Name"], f"{where}.Export"))
                found[export_name] = resolver.resolve(output["Value"], where)
        return found

    def owned_model_arns(self) -> set[str]:
        """Custom models the stack's current resources own (a job's output model, a model resource's ARN)."""
        owned = set()
        for record in self.records.values():
            for arn in self._model_arns(record):
                owned.add(arn)
        return owned

    # --- create / update ----------------------------------------------------------------------------------------
    def _create(self, template: StackTemplate) -> StackOutcome:
        self._set_status("CREATE_IN_PROGRESS")
        ops = [self._create_op(template, lid) for lid in template.creation_order()]
        results = self._execute(ops)
        failures = self._failures(results)
        for result in results.values():
            if result.status == "SUCCESS":
                self.records[result.op.logical_id] = self._record(result)
        with self._lock:  # a delete requested up to here wins: the stack goes to DELETE_IN_PROGRESS, not on
            deleting = self._delete_requested.is_set()
            if deleting:
                self._set_status("DELETE_IN_PROGRESS")
            elif not failures:
                self.template = template
                self._set_status("CREATE_COMPLETE")
            else:
                self._set_status("ROLLBACK_IN_PROGRESS")
        if deleting:
            return self._delete_cancelled_create(template, results, failures)
        if not failures:
            return StackOutcome("CREATE", self.status, outputs=self._outputs(template))
        doomed = [self._record(r) for r in results.values() if r.sent and r.physical_id]
        rollback = self._execute(self._delete_ops(doomed, template), stop_on_failure=False)
        rollback_failures = self._apply_deletes(rollback)
        self._set_status("ROLLBACK_FAILED" if rollback_failures else "ROLLBACK_COMPLETE")
        return StackOutcome("CREATE", self.status, failures + rollback_failures)

    def _delete_cancelled_create(
        self, template: StackTemplate, results: dict[str, _Result], failures: list[tuple[str, str]]
    ) -> StackOutcome:
        """DeleteStack during the create (the stack is DELETE_IN_PROGRESS): delete everything the create sent, as a
        rollback would (created resources, failed Creates with their id, cancelled ones with a made-up id), dependents
        first; no ROLLBACK_* status. The resources belong to the stack until deleted, so a DELETE_FAILED stack keeps
        what failed and :meth:`destroy` retries it."""
        doomed = [self._record(r) for r in results.values() if r.sent and r.physical_id]
        for record in doomed:
            self.records[record.logical_id] = record
        deleted = self._execute(self._delete_ops(doomed, template), stop_on_failure=False)
        delete_failures = self._apply_deletes(deleted)
        self._sync_live()
        if delete_failures:
            self.template = template
        self._set_status("DELETE_FAILED" if delete_failures else "DELETE_COMPLETE")
        return StackOutcome("CREATE", self.status, failures + delete_failures, cancelled_by="DeleteStack")

    def _update(self, new: StackTemplate) -> StackOutcome:
        old = self.template
        assert old is not None
        self._set_status("UPDATE_IN_PROGRESS")
        ops = []
        for lid in new.creation_order():
            ops.append(self._update_op(new, lid) if lid in self.records else self._create_op(new, lid))
        results = self._execute(ops)
        failures = self._failures(results)
        if failures:
            return self._rollback_update(old, results, failures)

        replaced: list[ResourceRecord] = []
        for result in results.values():
            lid = result.op.logical_id
            previous = self.records.get(lid)
            if result.sent and previous is not None and result.physical_id != previous.physical_id:
                replaced.append(previous)
            if result.sent:
                self.records[lid] = self._record(result)
        removed = [self.records.pop(lid) for lid in list(self.records) if lid not in new.resources]
        self.template = new
        self._set_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        # Replaced and removed resources: Delete with their old properties and physical id, dependents first.
        cleanup = self._delete_ops(replaced + removed, old)
        cleanup_results = self._execute(cleanup, stop_on_failure=False, keyed_by_physical=True)
        warnings = self._apply_deletes(cleanup_results, forget=False)
        self._set_status("UPDATE_COMPLETE")
        return StackOutcome("UPDATE", self.status, warnings=warnings, outputs=self._outputs(new))

    def _rollback_update(
        self, old: StackTemplate, results: dict[str, _Result], failures: list[tuple[str, str]]
    ) -> StackOutcome:
        self._set_status("UPDATE_ROLLBACK_IN_PROGRESS")
        revert_ops: list[_Op] = []
        deletes: list[ResourceRecord] = []
        for result in results.values():
            previous = self.records.get(result.op.logical_id)
            if not result.sent:
                continue
            if previous is None:  # created by this update
                if result.physical_id:
                    deletes.append(self._record(result))
                continue
            if result.status == "SUCCESS" and result.physical_id != previous.physical_id:
                deletes.append(self._record(result))  # the replacement goes, the old one stays
                continue
            revert_ops.append(self._revert_op(previous, result.properties, old))
        reverted = self._execute(revert_ops, stop_on_failure=False)
        rollback_failures = self._failures(reverted)
        for result in reverted.values():
            previous = self.records[result.op.logical_id]
            if result.status == "SUCCESS" and result.physical_id != previous.physical_id:
                deletes.append(self._record(result))
        self._set_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        cleanup = self._execute(self._delete_ops(deletes, old), stop_on_failure=False, keyed_by_physical=True)
        rollback_failures += self._apply_deletes(cleanup, forget=False)
        self.template = old
        self._set_status("UPDATE_ROLLBACK_FAILED" if rollback_failures else "UPDATE_ROLLBACK_COMPLETE")
        return StackOutcome("UPDATE", self.status, failures + rollback_failures)

    # --- building operations ------------------------------------------------------------------------------------
    def _create_op(self, template: StackTemplate, lid: str) -> _Op:
        def prepare() -> tuple[dict[str, Any], str | None, dict[str, Any] | None]:
            return self._resolved_properties(template, lid), None, None

        return self._op(template, lid, "Create", prepare)

    def _update_op(self, template: StackTemplate, lid: str) -> _Op:
        previous = self.records[lid]

        def prepare() -> tuple[dict[str, Any], str | None, dict[str, Any] | None] | None:
            properties = self._resolved_properties(template, lid)
            if properties == previous.properties:
                return None
            return properties, previous.physical_id, previous.properties

        return self._op(template, lid, "Update", prepare)

    def _revert_op(self, previous: ResourceRecord, attempted: dict[str, Any], old: StackTemplate) -> _Op:
        return _Op(
            logical_id=previous.logical_id,
            request_type="Update",
            resource_type=previous.resource_type,
            function=previous.function,
            service_timeout=old.service_timeout(previous.logical_id),
            prepare=lambda: (previous.properties, previous.physical_id, attempted),
        )

    def _op(self, template: StackTemplate, lid: str, request_type: str, prepare: Any) -> _Op:
        return _Op(
            logical_id=lid,
            request_type=request_type,
            resource_type=template.resource_type(lid),
            function=self._function_name(template, lid) if template.is_custom(lid) else "",
            service_timeout=template.service_timeout(lid),
            prepare=prepare,
            deps=template.driven_dependencies(lid),
            signal_count=template.signal_policy(lid)[0] if template.is_wait_condition(lid) else 0,
        )

    def _delete_op(self, record: ResourceRecord, deps: set[str]) -> _Op:
        timeout = int(record.properties.get("ServiceTimeout", 3600))
        return _Op(
            logical_id=record.logical_id,
            request_type="Delete",
            resource_type=record.resource_type,
            function=record.function,
            service_timeout=timeout,
            prepare=lambda: (record.properties, record.physical_id, None),
            deps=deps,
            record=record,
        )

    def _delete_ops(self, records: list[ResourceRecord], template: StackTemplate | None) -> list[_Op]:
        """Deletes, dependents first: a resource waits for every resource in the batch that depends on it."""
        ids = {r.logical_id for r in records}
        ops = []
        for record in reversed(records):
            dependents = set()
            if template is not None:
                dependents = {
                    other
                    for other in ids
                    if other in template.resources and record.logical_id in template.driven_dependencies(other)
                }
            ops.append(self._delete_op(record, dependents))
        return ops

    # --- running operations -------------------------------------------------------------------------------------
    def _execute(
        self, ops: list[_Op], *, stop_on_failure: bool = True, keyed_by_physical: bool = False
    ) -> dict[str, _Result]:
        """Run ``ops`` CloudFormation-style: start what is ready, wait for responses, deliver polls meanwhile."""
        lambdas, responses, polls, clock = (
            self.session.lambdas,
            self.session.responses,
            self.session.polls,
            self.session.clock,
        )
        assert lambdas and responses and polls and clock
        results: dict[str, _Result] = {}
        pending = list(ops)
        running: dict[str, _InFlight] = {}  # by request id
        failed = False
        succeeded: set[str] = set()  # logical ids done successfully (what dependents wait for)

        def key(op: _Op, physical: str | None = None) -> str:
            return f"{op.logical_id}#{physical}" if keyed_by_physical else op.logical_id

        while pending or running:
            # A delete requested during the create stops it like a failure: nothing new starts, work in flight is
            # cancelled (only a create's main phase stops on failure; the request is refused in other phases).
            halted = stop_on_failure and (failed or self._delete_requested.is_set())
            if not halted:
                for op in list(pending):
                    if not op.deps <= succeeded:
                        continue
                    pending.remove(op)
                    started = self._start(op)
                    if isinstance(started, _Result):
                        results[key(op, started.physical_id)] = started
                        failed = failed or started.status == "FAILED"
                        if started.status == "SUCCESS":
                            succeeded.add(op.logical_id)
                            if op.request_type != "Delete":
                                self._live[op.logical_id] = CustomState(started.physical_id, started.data)
                    else:
                        request_id, props, physical_id, wait = started
                        wall = time.monotonic() + clock.to_wall(op.service_timeout) + WALL_GUARD_SECONDS
                        deadline = clock.now() + op.service_timeout
                        running[request_id] = _InFlight(op, deadline, wall, props, physical_id, wait)
            if halted and running:
                self._cancel(running, results, key)
            if not running:
                break
            responses.wait(running, TICK_SECONDS)
            polls.deliver_due()
            polls.deliver_events()
            self.observer.idle()
            for hook in list(self.tick_hooks):
                hook(self)
            for request_id, flight in list(running.items()):
                op, props, physical = flight.op, flight.properties, flight.physical_id
                waiting = clock.now() <= flight.deadline and time.monotonic() <= flight.wall_deadline
                if flight.wait is not None:
                    result = self._watch(flight, waiting)
                    if result is None:
                        continue
                    del running[request_id]
                    results[key(op, physical)] = result
                    failed = failed or result.status == "FAILED"
                    if result.status == "SUCCESS":
                        succeeded.add(op.logical_id)
                        self._live[op.logical_id] = CustomState(result.physical_id, result.data)
                    self._emit(op, result)
                    continue
                answer = responses.first(request_id)
                if answer is None and waiting:
                    continue
                del running[request_id]
                if answer is None:
                    reason = (
                        f"CloudFormation did not receive a response from your Custom Resource within its "
                        f"ServiceTimeout of {op.service_timeout} s. Check the logs for RequestId {request_id}."
                    )
                    if op.request_type == "Create":  # no answer, no id: the rollback's Delete gets a made-up one
                        physical = self._made_up_physical_id(op, request_id)
                    result = _Result(op, "FAILED", physical or "", {}, reason, props, sent=True)
                else:
                    result = _Result(
                        op,
                        answer.status,
                        answer.physical_id or (physical or ""),
                        dict(answer.data),
                        answer.reason,
                        props,
                        sent=True,
                    )
                results[key(op, physical)] = result
                failed = failed or result.status == "FAILED"
                if result.status == "SUCCESS":
                    succeeded.add(op.logical_id)
                    if op.request_type != "Delete":
                        self._live[op.logical_id] = CustomState(result.physical_id, result.data)
                self._emit(op, result)
        for op in pending:
            results[key(op)] = _Result(op, "NOT_STARTED", reason="not started: a dependency failed or was cancelled")
        return results

    def _watch(self, flight: _InFlight, waiting: bool) -> _Result | None:
        """A wait condition's result once signals settled it or its Timeout passed; None while it waits."""
        wait, op = flight.wait, flight.op
        assert wait is not None
        for reason in wait.take_events():  # "Received SUCCESS signal with UniqueId ...", as CloudFormation shows
            self._record_event(op, "CREATE_IN_PROGRESS", reason, wait.physical_id)
        outcome = wait.outcome()
        if outcome is None:
            if waiting:
                return None
            wait.expire()  # CloudFormation's words for the form; a signal that raced the timeout wins
            outcome = wait.outcome()
        assert outcome is not None
        status, reason = outcome
        data = wait.data() if status == "SUCCESS" else {}
        return _Result(op, status, wait.physical_id, data, reason, flight.properties, sent=True)

    def _cancel(
        self,
        running: dict[str, _InFlight],
        results: dict[str, _Result],
        key: Callable[[_Op, str | None], str],
    ) -> None:
        """A sibling failed: CloudFormation cancels what is in flight and stops listening for those responses.

        A cancelled Create never got a physical id, so CloudFormation makes one up (``<stack>-<logical id>-<random>``)
        and the rollback's Delete carries it: the provider has to cope with a Delete for something it cannot name.
        """
        for request_id, flight in list(running.items()):
            del running[request_id]
            op, props, physical = flight.op, flight.properties, flight.physical_id
            if flight.wait is not None:  # a condition has its physical id from the start
                flight.wait.settle("CREATE_FAILED", "Resource creation cancelled")
            elif op.request_type == "Create":
                physical = self._made_up_physical_id(op, request_id)
            what = {"Create": "creation", "Update": "update", "Delete": "deletion"}[op.request_type]
            result = _Result(op, "FAILED", physical or "", {}, f"Resource {what} cancelled", props, sent=True)
            results[key(op, physical)] = result
            self.cancelled.append(request_id)
            self._emit(op, result)

    def _made_up_physical_id(self, op: _Op, request_id: str) -> str:
        """What CloudFormation puts in a Delete for a Create that never answered: ``<stack>-<logical id>-<RANDOM>``."""
        suffix = uuid.uuid5(uuid.NAMESPACE_OID, request_id).hex[:12].upper()
        return f"{self.env.stack_name}-{op.logical_id}-{suffix}"

    def _start(self, op: _Op) -> tuple[str, dict[str, Any], str | None, SignalWait | None] | _Result:
        """Send the op's event (request id, properties, physical id, None), start a wait condition (a made-up
        request id, properties, its physical id, the wait), or return the op's immediate result (nothing to send, or
        a native resource the driver made at once)."""
        action = op.request_type.upper()
        try:
            prepared = op.prepare()
        except IntrinsicError as exc:
            result = _Result(op, "FAILED", reason=str(exc))
            self._emit(op, result)
            return result
        if prepared is None:  # nothing changed: CloudFormation sends nothing and keeps the resource as it is
            previous = self.records[op.logical_id]
            return _Result(op, "SUCCESS", previous.physical_id, previous.data, "", previous.properties)
        properties, physical_id, old_properties = prepared
        if op.resource_type == WAIT_CONDITION and op.request_type == "Create":
            return self._start_wait(op, properties)
        if not op.function:
            return self._run_native(op, properties, physical_id, old_properties)
        assert self.session.responses and self.session.lambdas
        event = request_event(
            op.request_type,
            stack_id=self.env.stack_id,
            logical_id=op.logical_id,
            resource_type=op.resource_type,
            properties=properties,
            response_url_for=self.session.responses.url_for,
            physical_id=physical_id,
            old_properties=old_properties,
        )
        self.requests.append(event)
        self._record_event(op, f"{action}_IN_PROGRESS", "", physical_id or "")
        self.session.lambdas.invoke_async(op.function, event)
        return event["RequestId"], dict(properties), physical_id, None

    # --- native resources ---------------------------------------------------------------------------------------
    def _start_wait(self, op: _Op, properties: dict[str, Any]) -> tuple[str, dict[str, Any], str, SignalWait] | _Result:
        """Start a condition's wait: signalable through SignalResource (CreationPolicy form), or fed by its handle,
        whose signals so far count at once (Handle form; its physical id is then the handle's, as in AWS)."""
        handle = None
        if "Handle" in properties:
            assert self.session.responses
            url = properties["Handle"]
            handle = self.session.responses.handle_for(url) if isinstance(url, str) else None
            if handle is None or handle.stack_id != self.env.stack_id:
                # The driver's words (the URL itself is a secret, so the reason does not echo it).
                reason = "Handle is not the Ref of an AWS::CloudFormation::WaitConditionHandle of this stack"
                self._record_event(op, "CREATE_IN_PROGRESS", "", "")
                result = _Result(op, "FAILED", "", {}, reason, properties, sent=False)
                self._emit(op, result)
                return result
        physical_id = condition_physical_id(self.env.stack_id, handle.logical_id if handle else op.logical_id)
        with self._lock:  # signalable from the moment ListStackResources shows it CREATE_IN_PROGRESS
            wait = SignalWait(op.logical_id, physical_id, op.signal_count, op.service_timeout, handle)
            self._waits[op.logical_id] = wait
            self._record_event(op, "CREATE_IN_PROGRESS", "", physical_id)
        return f"wait-condition:{uuid.uuid4()}", dict(properties), physical_id, wait

    def _run_native(
        self, op: _Op, properties: dict[str, Any], physical_id: str | None, old: dict[str, Any] | None
    ) -> _Result:
        """A rule, a permission, a handle, or a condition's update/delete: done at once (through moto, or the response
        endpoint for a handle), or nothing to do."""
        self._record_event(op, f"{op.request_type.upper()}_IN_PROGRESS", "", physical_id or "")
        try:
            made = self._native_call(op, properties, physical_id, old)
            result = _Result(op, "SUCCESS", made.physical_id, dict(made.data), "", properties, sent=True)
        except NativeFailure as exc:
            result = _Result(op, "FAILED", physical_id or "", {}, str(exc), properties, sent=True)
        self._emit(op, result)
        return result

    def _native_call(
        self, op: _Op, properties: dict[str, Any], physical_id: str | None, old: dict[str, Any] | None
    ) -> Made:
        lid, kind, request = op.logical_id, op.resource_type, op.request_type
        if kind == EVENTS_RULE:
            rules = RuleDriver(self._client("events"), self.env.stack_name)
            if request == "Create":
                return rules.create(lid, properties)
            assert physical_id is not None
            if request == "Update":
                return rules.update(lid, properties, physical_id, old or {})
            rules.delete(physical_id, properties)
            return Made(physical_id)
        if kind == LAMBDA_PERMISSION:
            permissions = PermissionDriver(self._client("lambda"), self.env.stack_name)
            if request == "Delete":
                assert physical_id is not None
                permissions.delete(physical_id, properties)
                return Made(physical_id)
            return permissions.create(lid, properties)  # an Update replaces: the old one goes in the cleanup
        if kind == WAIT_CONDITION:
            assert physical_id is not None
            if request == "Delete":
                with self._lock:
                    wait = self._waits.get(lid)
                    if wait is not None and wait.physical_id == physical_id:
                        del self._waits[lid]
                        wait.settle("DELETE_COMPLETE")
                return Made(physical_id)
            record = self.records.get(lid)
            return Made(physical_id, record.data if record else {})  # a condition is never updated
        if kind == WAIT_CONDITION_HANDLE:
            assert self.session.responses
            if request == "Create":  # its Ref (and physical id) is the presigned URL
                return Made(self.session.responses.open_handle(self.env.stack_id, lid).url)
            assert physical_id is not None
            if request == "Delete":
                self.session.responses.close_handle(physical_id)
            return Made(physical_id)  # never updated: "Updates aren't supported for this resource"
        raise NativeFailure(f"the driver does not play {kind}")

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def _emit(self, op: _Op, result: _Result) -> None:
        action = op.request_type.upper()
        status = f"{action}_COMPLETE" if result.status == "SUCCESS" else f"{action}_FAILED"
        self._record_event(op, status, result.reason, result.physical_id)

    def _record_event(self, op: _Op, status: str, reason: str, physical_id: str) -> None:
        event = StackEvent(op.logical_id, op.resource_type, status, reason, physical_id)
        with self._lock:
            self.events.append(event)
            current = self.records.get(op.logical_id)
            # The cleanup's Delete of a replaced resource is not the status of the resource the stack has now.
            old_one = status.startswith("DELETE") and current is not None and current.physical_id != physical_id
            if not old_one:
                self._statuses[op.logical_id] = _LiveStatus(op.resource_type, status, physical_id, reason, self._now())
        self.observer.resource_status(event)

    # --- bookkeeping --------------------------------------------------------------------------------------------
    def _record(self, result: _Result) -> ResourceRecord:
        if result.op.resource_type == RESULT_TYPE and result.data.get("CustomModelArn"):
            self._job_models[str(result.data.get("JobArn"))] = str(result.data["CustomModelArn"])
        return ResourceRecord(
            logical_id=result.op.logical_id,
            resource_type=result.op.resource_type,
            physical_id=result.physical_id,
            properties=dict(result.properties),
            data=result.data,
            function=result.op.function,
        )

    def _model_arns(self, record: ResourceRecord) -> list[str]:
        """The custom models a record owns: a job's output model (from its answer, or its long wait's reader), a
        model resource's ARN."""
        if record.resource_type == JOB_TYPE:
            arn = record.data.get("CustomModelArn") or self._job_models.get(record.physical_id)
            return [arn] if arn else []
        if record.resource_type == MODEL_TYPE and record.physical_id.startswith("arn:"):
            return [record.physical_id]
        return []

    def _apply_deletes(self, results: dict[str, _Result], forget: bool = True) -> list[tuple[str, str]]:
        failures = []
        for result in results.values():
            if result.status != "SUCCESS":
                failures.append((result.op.logical_id, result.reason))
                continue
            record = result.op.record or self._record(result)
            if record.properties.get("RemovalPolicy") == "Retain":
                self.retained_models.update(self._model_arns(record))
                self.retained_resources.update(record_arns(record))  # a retained throughput, imported model...
            if forget and self.records.get(record.logical_id, record).physical_id == record.physical_id:
                self.records.pop(record.logical_id, None)
        return failures

    @staticmethod
    def _failures(results: dict[str, _Result]) -> list[tuple[str, str]]:
        return [(r.op.logical_id, r.reason) for r in results.values() if r.status == "FAILED"]

    def _resolver(self, template: StackTemplate) -> Resolver:
        return Resolver(template.template, self.env, self._live)

    def _sync_live(self) -> None:
        self._live = {lid: CustomState(r.physical_id, r.data) for lid, r in self.records.items()}

    def _resolved_properties(self, template: StackTemplate, lid: str) -> dict[str, Any]:
        return self._resolver(template).resolve(dict(template.properties(lid)), f"{lid}.Properties")

    def _outputs(self, template: StackTemplate) -> dict[str, Any]:
        return template.outputs(self._resolver(template))

    def _function_name(self, template: StackTemplate, lid: str) -> str:
        if template.imports_service_token(lid):  # another stack's provider (a plain template served by name)
            token = template.properties(lid)["ServiceToken"]
            arn = self._resolver(template).resolve(token, f"{lid}.Properties.ServiceToken")
            assert self.session.lambdas is not None
            return self.session.lambdas.spec(str(arn)).name
        return template.function_spec(template.provider_function_id(lid), self.stack).name

    def imported_exports(self) -> set[str]:
        """The export names the stack's template imports: the current one, or the last one tried (a stack whose
        create rolled back still exists, and still imports)."""
        with self._lock:
            template = self._active or self.template
        if template is None:
            return set()
        resolver = self._resolver(template)
        names = set()
        for where, argument in _imports(template.template):
            try:
                names.add(str(resolver.resolve(argument, where)))
            except IntrinsicError:  # a name that cannot be computed imports nothing
                continue
        return names

    def _check_imports(self, template: StackTemplate) -> None:
        """CreateStack and UpdateStack refuse a template importing an export no stack has (a ValidationError before
        any change), so the driver resolves every ``Fn::ImportValue`` first."""
        resolver = self._resolver(template)
        for where, argument in _imports(template.template):
            try:
                resolver.resolve({"Fn::ImportValue": argument}, where)
            except IntrinsicError as exc:
                raise validation_error(str(exc).split(": ", 1)[-1]) from exc

    def _register_functions(self, template: StackTemplate) -> None:
        served = [
            template.provider_function_id(lid)
            for lid in template.custom_ids()
            if not template.imports_service_token(lid)
        ]  # an imported one: registered by its own stack
        for function_id in dict.fromkeys([*served, *template.exported_function_ids()]):
            spec = template.function_spec(function_id, self.stack)
            if self._registered.get(spec.name) != spec:  # new, or changed by an update (new asset, environment...)
                self.session.register_function(spec)
                self._registered[spec.name] = spec

    def _set_status(self, status: str) -> None:
        with self._lock:
            self.status = status
            if status in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"):
                # Removed (or rolled-back new) resources are gone from the stack once the cleanup finished.
                kept = (self.template.resources if self.template else {}).keys()
                self._statuses = {lid: s for lid, s in self._statuses.items() if lid in kept}
                self._active = self.template
            active = self._active
        # The stack's S3 buckets: made as an operation starts, deleted with the stack (buckets.py).
        if active is not None:
            follow_stack_status(status, active, self._resolver(active), lambda: self._client("s3"))
        self.observer.stack_status(status)

    def _now(self) -> float:
        return self.session.clock.now() if self.session.clock else time.time()


def _imports(value: Any, where: str = "template") -> list[tuple[str, Any]]:
    """Every ``Fn::ImportValue`` argument in ``value``, with where it is."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Fn::ImportValue":
                found.append((where, item))
            else:
                found += _imports(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _imports(item, f"{where}[{index}]")
    return found


def record_arns(record: ResourceRecord) -> set[str]:
    """Every ARN a resource record holds: its physical id and its attributes (a deployment's, an import's model)."""
    values = [record.physical_id, *record.data.values()]
    return {value for value in values if isinstance(value, str) and value.startswith("arn:")}


def _summary(
    lid: str, resource_type: str, physical_id: str, status: str, at: float, reason: str = ""
) -> dict[str, Any]:
    summary = {
        "LogicalResourceId": lid,
        "PhysicalResourceId": physical_id,
        "ResourceType": resource_type,
        "LastUpdatedTimestamp": timestamp(at),
        "ResourceStatus": status,
    }
    if reason:
        summary["ResourceStatusReason"] = reason
    return summary


def _local_physical_id(resolver: Resolver, lid: str) -> str:
    try:
        value = resolver.resolve({"Ref": lid}, f"{lid}.Ref")
    except IntrinsicError:
        return lid
    return value if isinstance(value, str) else lid
