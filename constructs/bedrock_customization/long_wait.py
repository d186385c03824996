"""The resource graph of ``WaitMode.LONG``: wait conditions shared by groups of jobs, a check, readers on demand.

CloudFormation waits at most an hour for a custom resource, and a customization job trains for hours. In this mode
the resource answers once the job has started; then (docs/long-wait.md)::

    WaitStart ──► BedrockCustomizationWait<level>x<n>D<digest>   AWS::CloudFormation::WaitCondition, one per group of
    Job, Job... ─┘                                             up to 100 resources: one signal per member (UniqueId:
                                                               its id) within the timeout (at most 12 h), sent by the
                                                               provider when the member is final, seen from Bedrock's
                                                               events or the stack's one-minute poll; Metadata lists
                                                               the members' logical ids
              ──► Check                                        Custom::BedrockCustomizationResult over every member:
                                                               FAILED with Bedrock's message if one failed (the
                                                               rollback's Deletes then stop the others); left out
                                                               when every member has a reader
              ──► Result (per job, only when its attributes     the same type over one job: SUCCESS with every
                          or ``completion`` are used)           attribute

A stack of N long-waited jobs costs N + 2 per group + 1 resources (plus the readers asked for), so hundreds of jobs
fit CloudFormation's 500. Groups are formed at synth, once every construct exists (an aspect): a resource joins the
group of its depth (0, or one more than the deepest long-waited resource it refers to or whose reader it depends on: a
follow-up job trained on a first job's model waits on a later condition, never on its upstream's, which would be a
cycle) and of
its timeout. A group's condition id carries a digest of its members' replacing properties, so a group with a
replaced member waits on a fresh condition (one can be signalled only once; the members that did not change are
final already and signalled at the next poll) and a tag-only update waits for nothing. A property that refers to
another long-waited resource counts as that resource's condition id, so replacing the first job gives the
follow-up's group a fresh condition too. The stack's ``WaitStart`` resource lists every condition id: whenever one is
new, it is updated and enables the poll rule, also when no job starts (a member removed from its group).

Depths come from what the constructs can see: references in the resource's own properties and construct
dependencies. A follow-up wired to another job's attributes only through a third resource is not seen; CloudFormation
then refuses the template as a circular dependency before creating anything; make the order visible with
``follow_up.resource.node.add_dependency(first.completion)``.

No WaitConditionHandle: its Ref is a presigned URL, a credential; conditions are signalled through
``cloudformation:SignalResource`` on this stack only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import Aspects, CfnCreationPolicy, CfnResource, CfnResourceSignal, CustomResource, Duration, IAspect
from aws_cdk import aws_cloudformation as cloudformation
from bedrock_customization_provider import contract, naming
from constructs import Construct, IConstruct, IDependable

from .lookups import duration_is_unresolved, duration_seconds, node_of, stack_of
from .stack_provider import StackProvider

#: The longest wait a condition allows, the default.
MAX_WAIT_TIMEOUT = Duration.seconds(contract.MAX_WAIT_SECONDS)
#: The shortest wait that makes sense: one poll interval.
MIN_WAIT_SECONDS = contract.POLL_INTERVAL_MINUTES * 60
#: Construct id (under the provider) of the stack's long waits.
LONG_WAITS_ID = "LongWaits"
#: Construct id (under the job or model) of the scope of its reader.
WAIT_ID = "Wait"
#: How long CloudFormation waits for the WaitStart resource (it answers at once).
WAIT_START_TIMEOUT = Duration.minutes(5)


def wait_timeout_problem(timeout: Duration) -> str | None:
    """Why ``timeout`` cannot be a wait condition's Timeout, or None."""
    if duration_is_unresolved(timeout):
        return f"wait_timeout must be a literal duration (got the token {timeout})"
    seconds = duration_seconds(timeout)
    if not MIN_WAIT_SECONDS <= seconds <= contract.MAX_WAIT_SECONDS:
        return (
            f"wait_timeout must be {MIN_WAIT_SECONDS} to {contract.MAX_WAIT_SECONDS} seconds (12 hours, "
            f"CloudFormation's limit for a wait condition; got {seconds:g})"
        )
    if seconds != int(seconds):
        return f"wait_timeout must be a whole number of seconds (got {seconds:g})"
    return None


def check_wait(problems: Any, wait_mode: Any, wait_timeout: Duration | None) -> None:
    """The ``wait_mode`` / ``wait_timeout`` arguments both resources take (``problems``: a ProblemCollector)."""
    from .wait_mode import WaitMode

    if not isinstance(wait_mode, WaitMode):
        modes = ", ".join(f"WaitMode.{mode.name}" for mode in WaitMode)
        problems.add(f"wait_mode must be one of {modes} (got {wait_mode!r})")
    if wait_timeout is not None and wait_mode is not WaitMode.LONG:
        problems.add(f"wait_timeout applies to WaitMode.LONG only (got wait_mode {wait_mode!r})")
    elif wait_timeout is not None and (problem := wait_timeout_problem(wait_timeout)) is not None:
        problems.add(problem)


def iso_duration(timeout: Duration) -> str:
    """``Duration`` as the ISO 8601 form a CreationPolicy takes (``PT12H``, ``PT1H30M``, ``PT90S``)."""
    seconds = int(duration_seconds(timeout))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{seconds}S" if seconds else ""]
    return "PT" + "".join(parts)


class LongWait:
    """``watched``'s part in the stack's long waits: the group it waits in (:attr:`group`, formed at synth) and, on
    demand, its reader (:attr:`result`, under the construct ``<scope>/Wait``).

    Not a construct itself: a job whose attributes nothing reads adds no construct for its wait (each construct is a
    round trip to the jsii kernel, and a sweep declares hundreds of jobs); the ``Wait`` scope is created with the
    reader, so the reader's path (and logical id) is the same as when it always existed.

    ``scope``: the construct that declared ``watched`` (a job or a model). ``watched`` was created by ``provider``'s
    :meth:`~.stack_provider.StackProvider.add_resource` after :func:`wait_dependencies`.
    ``defining_properties``: the watched resource's properties that replace it when they change (no tags, no
    provider keys). ``reader_timeout``: how long the reader and the check may wait should they find it not final.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        watched: CustomResource,
        provider: StackProvider,
        defining_properties: Mapping[str, Any],
        timeout: Duration,
        reader_timeout: Duration,
    ) -> None:
        self._provider = provider
        #: The construct that declared the resource (its dependencies count as the resource's).
        self.owner = scope
        #: The resource waited for.
        self.watched = watched
        self.defining_properties = dict(defining_properties)
        self.timeout_seconds = int(duration_seconds(timeout))
        self.reader_timeout = reader_timeout
        self.reader_timeout_seconds = duration_seconds(reader_timeout)
        #: The group this resource waits in (None until synth forms the groups).
        self.group: WaitGroup | None = None
        self._scope: Construct | None = None
        self._reader: CustomResource | None = None
        LongWaits.of(provider).add(self)

    @property
    def condition(self) -> cloudformation.CfnWaitCondition:
        """The condition the stack waits on for this resource (shared with its group; exists once synth began)."""
        if self.group is None:
            raise RuntimeError(
                f"{node_of(self.owner).path}/{WAIT_ID}: the long waits' groups are formed at synth; synthesize first"
            )
        return self.group.condition

    @property
    def result(self) -> CustomResource:
        """The reader: its attributes are the finished resource's. Created on first use (one resource per job that
        is read; a job whose attributes nothing uses costs no reader)."""
        if self._reader is None:
            self._scope = Construct(self.owner, WAIT_ID)
            self._reader = self._provider.add_resource(
                self._scope,
                id="Result",
                resource_type=contract.RESULT_RESOURCE_TYPE,
                properties={contract.RESULT_RESOURCE_ARN: self.watched.ref},
                removal_policy=None,
                service_timeout=self.reader_timeout,
                service_role=None,
            )
            if self.group is not None:  # asked for after the groups were formed
                self._reader.node.add_dependency(self.group.condition)
        return self._reader

    @property
    def has_reader(self) -> bool:
        return self._reader is not None


class WaitGroup(Construct):
    """One wait condition for up to :data:`~contract.MAX_WAIT_GROUP_MEMBERS` resources, and the check after it.

    ``member_ids`` and ``member_refs``: the logical ids and the ``Ref`` tokens of the members' resources.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        condition_id: str,
        members: Sequence[LongWait],
        member_ids: Sequence[str],
        member_refs: Sequence[str],
        start: CustomResource,
        provider: StackProvider,
    ) -> None:
        super().__init__(scope, id)
        self.members = list(members)
        #: The condition's logical id (its override).
        self.condition_id = condition_id
        timeout = Duration.seconds(members[0].timeout_seconds)
        #: The condition the provider signals, once per member.
        self.condition = cloudformation.CfnWaitCondition(self, "Condition")
        self.condition.cfn_options.creation_policy = CfnCreationPolicy(
            resource_signal=CfnResourceSignal(count=len(members), timeout=iso_duration(timeout))
        )
        self.condition.add_metadata(contract.WAIT_MEMBERS_METADATA, list(member_ids))
        self.condition.override_logical_id(condition_id)
        self.condition.node.add_dependency(start, *(member.watched for member in members))
        #: Fails the stack with Bedrock's message when a member failed and has no reader (None: each has one, and a
        #: reader fails with that message itself).
        self.check: CustomResource | None = None
        if all(member.has_reader for member in members):
            self._wire(members)
            return
        self.check = provider.add_resource(
            self,
            id="Check",
            resource_type=contract.RESULT_RESOURCE_TYPE,
            properties={contract.RESULT_RESOURCE_ARNS: list(member_refs)},
            removal_policy=None,
            service_timeout=Duration.seconds(max(m.reader_timeout_seconds for m in members)),
            service_role=None,
        )
        self.check.node.add_dependency(self.condition)
        self._wire(members)

    def _wire(self, members: Sequence[LongWait]) -> None:
        for member in members:
            member.group = self
            if member.has_reader:
                member.result.node.add_dependency(self.condition)


class LongWaits(Construct):
    """The stack's long waits (one per provider): the members, the WaitStart resource, and the groups, formed at
    synth by an aspect once every construct of the app exists."""

    def __init__(self, scope: StackProvider, id: str) -> None:
        super().__init__(scope, id)
        self._provider = scope
        self.members: list[LongWait] = []
        self.groups: list[WaitGroup] = []
        #: Enables the poll rule whenever a condition is new (its property lists them all, filled in at synth).
        self.start = scope.add_resource(
            self,
            id="Start",
            resource_type=contract.WAIT_START_RESOURCE_TYPE,
            properties={},
            removal_policy=None,
            service_timeout=WAIT_START_TIMEOUT,
            service_role=None,
            depends_on=scope.wait_start_dependencies(),
        )
        # On the Start resource, not on this construct: the aspect is then called for two constructs, not for every
        # construct the groups add (each call is a round trip to the jsii kernel).
        Aspects.of(self.start).add(_FormGroups(self))

    @classmethod
    def of(cls, provider: StackProvider) -> LongWaits:
        return provider.shared(cls, LONG_WAITS_ID)

    def add(self, member: LongWait) -> None:
        if self.groups:
            raise RuntimeError(
                f"{node_of(member.owner).path}/{WAIT_ID}: created after the stack's long waits were formed (at synth)"
            )
        self.members.append(member)

    def form(self) -> None:
        """Group the members by depth and timeout, name each group's condition, and wire the graph (once).

        Everything is read from the kernel in bulk: each member's ``Ref`` (and its reader's), then one ``resolve``
        of them all with every member's defining properties; the members' dependencies are read in
        :func:`_depths`."""
        if self.groups or not self.members:
            return
        stack = stack_of(self)
        refs = {id(m): m.watched.ref for m in self.members}
        reader_refs = {id(m): m.result.ref for m in self.members if m.has_reader}
        resolved_all = stack.resolve(
            {
                "refs": list(refs.values()),
                "readers": list(reader_refs.values()),
                "properties": [m.defining_properties for m in self.members],
            }
        )
        logical_ids = {key: ref["Ref"] for key, ref in zip(refs, resolved_all["refs"], strict=True)}
        reader_ids = {key: ref["Ref"] for key, ref in zip(reader_refs, resolved_all["readers"], strict=True)}
        resolved = {id(m): value for m, value in zip(self.members, resolved_all["properties"], strict=True)}
        owners: dict[str, LongWait] = {}  # logical id of a member's resource or reader -> the member
        for member in self.members:
            owners[logical_ids[id(member)]] = member
            if id(member) in reader_ids:
                owners[reader_ids[id(member)]] = member
        depths = _depths(self.members, {k: _referenced(v, owners) for k, v in resolved.items()}, self._provider)
        condition_ids: dict[str, str] = {}  # logical id of an earlier member's resource or reader -> its condition
        for depth in sorted(set(depths.values())):
            at_depth = [m for m in self.members if depths[id(m)] == depth]
            chunks = [
                chunk
                for seconds in sorted({m.timeout_seconds for m in at_depth})
                for chunk in _chunks([m for m in at_depth if m.timeout_seconds == seconds])
            ]
            for index, chunk in enumerate(chunks):
                member_ids = [logical_ids[id(m)] for m in chunk]
                digests = [
                    naming.properties_digest(_with_upstream_waits(resolved[id(m)], condition_ids)) for m in chunk
                ]
                pairs = [[member_id, d] for member_id, d in zip(member_ids, digests, strict=True)]
                digest = naming.properties_digest({"members": pairs})
                # The condition's logical id is this override (nothing can have locked it: it was just created).
                condition_id = contract.wait_condition_id(depth, index, digest)
                group = WaitGroup(
                    self,
                    f"Depth{depth}Group{index}",
                    condition_id=condition_id,
                    members=chunk,
                    member_ids=member_ids,
                    member_refs=[refs[id(m)] for m in chunk],
                    start=self.start,
                    provider=self._provider,
                )
                self.groups.append(group)
                in_chunk = {id(m) for m in chunk}
                for key, owner in owners.items():
                    if id(owner) in in_chunk:
                        condition_ids[key] = condition_id
        start = self.start.node.default_child
        assert isinstance(start, CfnResource)
        start.add_property_override(contract.WAIT_START_CONDITIONS, [g.condition_id for g in self.groups])


@jsii.implements(IAspect)
class _FormGroups:
    """Forms the stack's long-wait groups at synth, when every job and every reference to one exists."""

    def __init__(self, waits: LongWaits) -> None:
        self._waits = waits

    def visit(self, node: IConstruct) -> None:
        # jsii hands back the very Python object of a construct created in Python: compared without a round trip
        if node is self._waits.start:
            self._waits.form()


def wait_dependencies(provider: StackProvider) -> list[IDependable]:
    """What a resource in ``WaitMode.LONG`` is created after (pass them to ``add_resource`` as ``ready``): the stack's
    WaitStart, which comes after the provider's own permissions, the rules and their Lambda permissions (the Create
    that enables the poll rule needs them all), so each resource's DependsOn names one resource, not seven; nothing
    when the provider has nothing in this stack (a provider stack's): the resource and WaitStart come in any order,
    both before the conditions, as in a plain template (``docs/cloudformation.md``)."""
    start = LongWaits.of(provider).start  # the stack's WaitStart, whichever the provider
    return [start] if provider.own_permissions() else []


def long_wait_for(
    scope: Construct,
    resource: CustomResource,
    properties: Mapping[str, Any],
    *,
    provider: StackProvider,
    in_place: frozenset[str],
    wait_mode: Any,
    wait_timeout: Duration | None,
    reader_timeout: Duration,
) -> LongWait | None:
    """The long wait of ``scope`` for ``resource`` in ``WaitMode.LONG`` (None in the other modes); ``resource``
    was created by ``provider`` after :func:`wait_dependencies`.

    ``properties``: what the resource was given; those in ``in_place`` (tags) and the provider keys do not replace
    it, so they are left out of the condition's digest."""
    from .wait_mode import WaitMode

    if wait_mode is not WaitMode.LONG:
        return None
    defining = {k: v for k, v in properties.items() if k not in in_place and k not in contract.PROVIDER_KEYS}
    return LongWait(
        scope,
        watched=resource,
        provider=provider,
        defining_properties=defining,
        timeout=wait_timeout or MAX_WAIT_TIMEOUT,
        reader_timeout=reader_timeout,
    )


def add_waited_resource(
    scope: Construct,
    provider: StackProvider,
    *,
    resource_type: str,
    properties: dict[str, Any],
    in_place: frozenset[str],
    wait_mode: Any,
    wait_timeout: Duration | None,
    service_timeout: Duration,
    removal_policy: Any,
    service_role: Any = None,
) -> tuple[CustomResource, LongWait | None]:
    """The custom resource of ``scope`` for ``properties`` (the API request) and the wait its mode needs: the same
    for every kind (jobs, models, deployments, throughputs, imports) but its type and the members it changes in place.

    The ``WaitMode`` property is left out in ``SHORT`` (the default), so templates synthesized before it stay the
    same; in ``LONG`` the resource starts only after the stack's wait triggers exist (:func:`wait_dependencies`) and
    gets its ``Wait`` child (:func:`long_wait_for`)."""
    from .wait_mode import WaitMode

    if wait_mode is not WaitMode.SHORT:
        properties[contract.WAIT_MODE] = wait_mode.value
    resource = provider.add_resource(
        scope,
        resource_type=resource_type,
        properties=properties,
        removal_policy=removal_policy,
        service_timeout=service_timeout,
        service_role=service_role,
        ready=wait_dependencies(provider) if wait_mode is WaitMode.LONG else None,
    )
    long_wait = long_wait_for(
        scope,
        resource,
        properties,
        provider=provider,
        in_place=in_place,
        wait_mode=wait_mode,
        wait_timeout=wait_timeout,
        reader_timeout=service_timeout,
    )
    return resource, long_wait


def _chunks(members: list[LongWait]) -> list[list[LongWait]]:
    size = contract.MAX_WAIT_GROUP_MEMBERS
    return [members[i : i + size] for i in range(0, len(members), size)]


def _referenced(value: Any, owners: Mapping[str, LongWait]) -> set[int]:
    """The members (by ``id()``) whose resource or reader ``value`` (resolved properties) refers to."""
    found: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            ref, get_att = item.get("Ref"), item.get("Fn::GetAtt")
            target = ref if isinstance(ref, str) else get_att[0] if isinstance(get_att, list) and get_att else None
            if isinstance(target, str) and target in owners:
                found.add(id(owners[target]))
            stack.extend(item.values())
    return found


def _depths(members: list[LongWait], references: Mapping[int, set[int]], provider: StackProvider) -> dict[int, int]:
    """Each member's depth: 0, or one more than the deepest member it refers to or whose read result it depends on.

    A construct dependency on a member counts when that member has a reader: only the reader comes after the
    member's condition, so only a dependency that reaches it would close a cycle through a shared condition (a
    dependency on a member without one orders the resources and nothing more). So when no member has a reader, no
    dependency is read at all (each read is a round trip to the jsii kernel; a sweep has hundreds of members).

    The dependencies looked at are those of the member's owner (the job or model), its resource and the resource's
    CloudFormation resource. The ones the provider added to the resource when it created it come first in its list
    (``add_resource`` adds them at once) and are never members: they are skipped unread. For any other, the member
    is found by identity when the dependency is one of our Python objects, else by path (read only then).
    """
    by_id = {id(m): m for m in members}
    upstream = {key: set(refs) for key, refs in references.items()}
    read = [m for m in members if m.has_reader]
    by_object: dict[int, LongWait] = {}
    for m in read:
        for construct in (m.owner, m._scope, m.watched, m._reader):
            if construct is not None:
                by_object[id(construct)] = m
    scope_paths: list[tuple[str, LongWait]] | None = None  # read only when a dependency needs it
    for member in members if read else ():
        watched_node = node_of(member.watched)
        default_child = watched_node.default_child
        dependencies = [
            *node_of(member.owner).dependencies,
            *watched_node.dependencies[provider.own_dependency_count(member.watched) :],
            *(default_child.node.dependencies if default_child is not None else []),
        ]
        for dependency in dependencies:
            other = by_object.get(id(dependency))
            if other is not None:
                if other is not member:
                    upstream[id(member)].add(id(other))
                continue
            if scope_paths is None:
                scope_paths = [(node_of(m.owner).path, m) for m in read]
            path = dependency.node.path
            for scope_path, other in scope_paths:
                if other is not member and (path == scope_path or path.startswith(scope_path + "/")):
                    upstream[id(member)].add(id(other))
    depths: dict[int, int] = {}
    visiting: set[int] = set()

    def depth(key: int) -> int:
        if key in depths:
            return depths[key]
        if key in visiting:  # a cycle the user made: CloudFormation will name it; do not recurse forever
            return 0
        visiting.add(key)
        value = 1 + max((depth(up) for up in upstream[key] if up in by_id), default=-1)
        visiting.discard(key)
        depths[key] = value
        return value

    for member in members:
        depth(id(member))
    return depths


def _with_upstream_waits(value: Any, long_waits: Mapping[str, str]) -> Any:
    """``value`` (resolved properties) with each Ref/GetAtt of a long-waited resource replaced by its condition id."""
    if isinstance(value, list):
        return [_with_upstream_waits(item, long_waits) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in long_waits:
        return {"Ref": long_waits[value["Ref"]]}
    if set(value) == {"Fn::GetAtt"} and isinstance(value["Fn::GetAtt"], list):
        target, *rest = value["Fn::GetAtt"]
        if target in long_waits:
            return {"Fn::GetAtt": [long_waits[target], *rest]}
    return {key: _with_upstream_waits(item, long_waits) for key, item in value.items()}
