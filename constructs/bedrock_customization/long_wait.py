"""The resource graph of ``WaitMode.LONG``: a wait condition after the resource, and a reader after the condition.

CloudFormation waits at most an hour for a custom resource, and a customization job trains for hours. In this mode
the resource answers once the job has started; then (docs/long-wait.md)::

    Job ──► <Job logical id>Wait<digest>      AWS::CloudFormation::WaitCondition, CreationPolicy: 1 signal within
                                               the timeout (at most 12 h); signalled by the provider when the job is
                                               final, seen from Bedrock's events or the stack's one-minute poll
        ──► Result                             Custom::BedrockCustomizationResult: reads the finished job; SUCCESS with
                                               every attribute, or FAILED with Bedrock's message (the rollback's Delete
                                               of the job then stops it or deletes its model)

The condition's logical id carries a digest of the properties that replace the job, so a replacement waits on a fresh
condition (one can be signalled only once) and a tag-only update waits for nothing. A property that refers to another
long-waited resource of the stack (iterative customization: the base model is the first job's model) counts as that
resource's condition id, so replacing the first job gives the follow-up a fresh condition too. A change that only a
deployment reveals (a referenced role or bucket replaced) keeps the condition: the reader then waits for the new job
within its own ``service_timeout``. Its name is how the provider finds
the job it waits for (ListStackResources gives no properties): the job's logical id must not be overridden after it.
No WaitConditionHandle: its Ref is a presigned URL, a credential; the condition is signalled through
``cloudformation:SignalResource`` on this stack only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import CfnCreationPolicy, CfnResource, CfnResourceSignal, CustomResource, Duration, Stack
from aws_cdk import aws_cloudformation as cloudformation
from bedrock_customization_provider import contract, naming
from constructs import Construct, IValidation

from .provider import BedrockCustomizationProvider
from .validation import is_unresolved

#: The longest wait a condition allows, the default.
MAX_WAIT_TIMEOUT = Duration.seconds(contract.MAX_WAIT_SECONDS)
#: The shortest wait that makes sense: one poll interval.
MIN_WAIT_SECONDS = contract.POLL_INTERVAL_MINUTES * 60


def wait_timeout_problem(timeout: Duration) -> str | None:
    """Why ``timeout`` cannot be a wait condition's Timeout, or None."""
    if is_unresolved(timeout):
        return f"wait_timeout must be a literal duration (got the token {timeout})"
    seconds = timeout.to_seconds(integral=False)
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
    seconds = int(timeout.to_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{seconds}S" if seconds else ""]
    return "PT" + "".join(parts)


class LongWait(Construct):
    """Holds the stack until ``watched`` is final (:attr:`condition`), then reads it (:attr:`result`).

    ``defining_properties``: the watched resource's properties that replace it when they change (no tags, no
    provider keys). ``reader_timeout``: how long the reader may wait should it find the resource not final.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        watched: CustomResource,
        defining_properties: Mapping[str, Any],
        timeout: Duration,
        reader_timeout: Duration,
    ) -> None:
        super().__init__(scope, id)
        provider = BedrockCustomizationProvider.of(self)
        stack = Stack.of(self)
        # The Create that enables the poll rule needs the rules, their permissions and the provider's new policy.
        triggers = provider.long_wait_triggers()
        watched.node.add_dependency(triggers, *provider.long_wait_permissions)
        watched_cfn = watched.node.default_child
        assert isinstance(watched_cfn, CfnResource)
        watched_id = stack.get_logical_id(watched_cfn)
        resolved = stack.resolve(dict(defining_properties))
        digest = naming.properties_digest(_with_upstream_waits(resolved, provider.long_waits))
        #: The condition the provider signals (``<watched logical id>Wait<digest>``).
        self.condition = cloudformation.CfnWaitCondition(self, "Condition")
        self.condition.cfn_options.creation_policy = CfnCreationPolicy(
            resource_signal=CfnResourceSignal(count=1, timeout=iso_duration(timeout))
        )
        condition_id = contract.wait_condition_id(watched_id, digest)
        self.condition.override_logical_id(condition_id)
        self.condition.node.add_dependency(watched)
        #: The reader: its attributes are the finished resource's.
        self.result = provider.add_resource(
            self,
            id="Result",
            resource_type=contract.RESULT_RESOURCE_TYPE,
            properties={contract.RESULT_RESOURCE_ARN: watched.ref},
            removal_policy=None,
            service_timeout=reader_timeout,
            service_role=None,
        )
        self.result.node.add_dependency(self.condition)
        # what a later wait's properties may refer to: this job's resource and its reader stand for this condition
        provider.long_waits[watched_id] = condition_id
        provider.long_waits[stack.get_logical_id(self.result.node.default_child)] = condition_id
        self.node.add_validation(_SameLogicalId(stack, watched_cfn, watched_id))


def long_wait_for(
    scope: Construct,
    resource: CustomResource,
    properties: Mapping[str, Any],
    *,
    in_place: frozenset[str],
    wait_mode: Any,
    wait_timeout: Duration | None,
    reader_timeout: Duration,
) -> LongWait | None:
    """The ``Wait`` child of ``scope`` for ``resource`` in ``WaitMode.LONG`` (None in the other modes).

    ``properties``: what the resource was given; those in ``in_place`` (tags) and the provider keys do not replace
    it, so they are left out of the condition's digest."""
    from .wait_mode import WaitMode

    if wait_mode is not WaitMode.LONG:
        return None
    defining = {k: v for k, v in properties.items() if k not in in_place and k not in contract.PROVIDER_KEYS}
    return LongWait(
        scope,
        "Wait",
        watched=resource,
        defining_properties=defining,
        timeout=wait_timeout or MAX_WAIT_TIMEOUT,
        reader_timeout=reader_timeout,
    )


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


@jsii.implements(IValidation)
class _SameLogicalId:
    """At synth: the watched resource still has the logical id the condition's name was made from."""

    def __init__(self, stack: Stack, resource: CfnResource, expected: str) -> None:
        self._stack, self._resource, self._expected = stack, resource, expected

    def validate(self) -> list[str]:
        actual = self._stack.resolve(self._resource.logical_id)
        if actual == self._expected:
            return []
        return [
            f"{self._resource.node.path}: its logical id was overridden ({self._expected} -> {actual}) after its "
            f"long wait was set up; the wait condition is named after the resource's logical id. Override it before "
            f"creating the construct's wait, or use WaitMode.SHORT."
        ]
