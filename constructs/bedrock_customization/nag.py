"""cdk-nag acknowledgments of this library, each made next to the resource or statement it is about.

Why a module: cdk-nag 3 reads acknowledgments from CDK's ``Validations.of(construct).acknowledge(...)`` and matches
an IAM wildcard finding by its exact text (``AwsSolutions-IAM5[Resource::<Data666C94C7.Arn>/train/*]``), which is the
resource ARN as cdk-nag flattens it. :func:`acknowledge_wildcard_resources` computes that text from the statement's
own resources, so an acknowledgment covers exactly the wildcards the library wrote and nothing a user adds later.
Constructs call these helpers; nothing here imports cdk-nag, so users who do not run it pay nothing.

Every reason says why the finding is acceptable *here*. What the HIPAA Security and NIST 800-53 rev 5 packs report
and the library does not change for every user (functions outside a VPC, no reserved concurrency, log groups without
a customer-managed key, inline role policies, LambdaDLQ, which checks only for a DeadLetterConfig while dropped events
go to the on-failure destination) is left unacknowledged on purpose, so those packs still show it to whoever runs them.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .lookups import cached, default_child, default_policy, stack_of

#: The AwsSolutions rule for wildcards in IAM statements; each wildcard resource is its own finding.
IAM_WILDCARDS = "AwsSolutions-IAM5"
#: Read once per object (each read is a round trip to the jsii kernel; lookups.py says why).
_validations_of: weakref.WeakKeyDictionary[Any, Validations] = weakref.WeakKeyDictionary()


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` (a cdk-nag rule or one finding of it) on ``construct`` and its children, saying why."""
    _validations(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def _validations(construct: IConstruct) -> Validations:
    """``Validations.of(construct)``, asked once per construct (a policy gets one acknowledgment per wildcard)."""
    return cached(_validations_of, construct, lambda: Validations.of(construct))


def acknowledge_wildcard_resources(
    role: iam.IRole, resources: Iterable[str], reason: str, *, inline: bool = False
) -> None:
    """Acknowledge IAM5 for each of ``resources`` that contains a ``*``, on ``role``'s default policy only (or, with
    ``inline``, on the role itself, whose inline policies hold the statement).

    Call it right after adding the statement; a role the library did not create (a given role, whose policy it never
    writes) has no default policy and nothing to acknowledge.
    """
    acknowledge_wildcards(role, {reason: list(resources)}, inline=inline)


def acknowledge_wildcards(role: iam.IRole, reasons: Mapping[str, Sequence[str]], *, inline: bool = False) -> None:
    """:func:`acknowledge_wildcard_resources` for several statements at once (``reasons``: why the ``*`` in each
    list of resources is needed), in at most three round trips to the jsii kernel whatever their number: one
    ``resolve`` of every resource, one ``Validations.of`` (once per policy) and one ``acknowledge``."""
    policy = default_child(role) if inline else _default_policy(role)  # inline: the CfnRole holds them
    if policy is None or not reasons:
        return
    resolved = stack_of(role).resolve([list(resources) for resources in reasons.values()])
    wildcards = [
        Acknowledgment(id=f"{IAM_WILDCARDS}[Resource::{flat}]", reason=reason)
        for reason, values in zip(reasons, resolved, strict=True)
        for flat in (flatten(value) for value in values)
        if "*" in flat
    ]
    if wildcards:
        _validations(policy).acknowledge(*wildcards)


def flatten(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag writes it in a finding: ``Ref`` as ``<Id>``, ``Fn::GetAtt`` as
    ``<Id.Attr>``, ``Fn::Join`` joined, ``${X}`` as ``<X>``, anything else as compact JSON (cdk-nag's
    ``flattenCfnReference``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten(item) for item in items)
        if "Fn::Sub" in value:
            return flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten(resource)}.{flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def _default_policy(role: iam.IRole) -> CfnResource | None:
    """The CfnPolicy behind ``role``'s default policy, or None (an imported role, or nothing added yet)."""
    policy = default_policy(role)
    if policy is None:
        return None
    return default_child(policy)  # type: ignore[return-value]
