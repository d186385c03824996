"""Turn the ecosystem's types (IKey, IRole, IFunction, IModel, subnets, security groups) or plain strings into the
strings the Bedrock API takes, plus what IAM needs to scope a grant to them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import IConstruct

from .lookups import arn_parts, stack_of
from .validation import is_unresolved

if TYPE_CHECKING:  # imported only where a model is handed to aws-cdk (jsii_interfaces.py says why)
    from aws_cdk import aws_bedrock as bedrock
    from aws_cdk import aws_lambda as lambda_  # a type only: a stack served by a provider stack never loads it

_KEY_ID = re.compile(r"^[a-zA-Z0-9-]{36}$")
_ALIAS_ARN = re.compile(r"^arn:[^:]+:kms:[^:]*:[0-9]{12}:(alias/.+)$")

KeyInput = kms.IKey | str
RoleInput = iam.IRole | str
FunctionInput: TypeAlias = "lambda_.IFunction | str"
ModelInput: TypeAlias = "bedrock.IModel | str"


@dataclass(frozen=True)
class ResolvedKey:
    """A KMS key as the API wants it, and as an IAM statement resource (+ condition for aliases)."""

    api_value: str
    resource_arn: str
    conditions: dict = field(default_factory=dict)
    key: kms.IKey | None = None


def resolve_key(scope: IConstruct, key: KeyInput) -> ResolvedKey:
    """Accept a ``kms.IKey``, a ``kms.IAlias``, a key ARN, a key id, an alias name (``alias/x``) or an alias ARN."""
    stack = stack_of(scope)
    if not isinstance(key, str):
        alias_name = getattr(key, "alias_name", None)  # an IAlias is an IKey whose key_arn is the alias ARN
        if alias_name is None:
            return ResolvedKey(api_value=key.key_arn, resource_arn=key.key_arn, key=key)
        target = _alias_target(key)
        if target is not None:  # an alias this app defines: name (and grant on) the key itself
            return resolve_key(scope, target)
        return _by_alias(stack, key.key_arn, alias_name)
    if is_unresolved(key) or (key.startswith("arn:") and ":key/" in key):
        return ResolvedKey(api_value=key, resource_arn=key)
    if _KEY_ID.match(key):
        key_arn = stack.format_arn(service="kms", resource="key", resource_name=key)
        return ResolvedKey(api_value=key, resource_arn=key_arn)
    alias_arn = _ALIAS_ARN.match(key)
    return _by_alias(stack, key, alias_arn.group(1) if alias_arn else key)


def _by_alias(stack: Stack, api_value: str, alias: str) -> ResolvedKey:
    """IAM cannot name a key by alias (an alias ARN authorizes nothing): scope to the account's keys that carry the
    alias instead."""
    return ResolvedKey(
        api_value=api_value,
        resource_arn=stack.format_arn(service="kms", resource="key", resource_name="*"),
        conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [alias]}},
    )


def _alias_target(alias: kms.IKey) -> kms.IKey | None:
    """The key behind an alias, when the app knows it (``kms.Alias(..., target_key=key)``); None for an alias imported
    by name, whose key only AWS knows."""
    try:
        return alias.alias_target_key  # type: ignore[attr-defined]
    except RuntimeError:  # jsii raises CannotAccessAliasTargetKey for Alias.from_alias_name
        return None


def role_arn(role: RoleInput) -> str:
    return role if isinstance(role, str) else role.role_arn


def function_arn(function: FunctionInput) -> str:
    return function if isinstance(function, str) else function.function_arn


def model_identifier(model: ModelInput) -> str:
    """A model id or ARN for Bedrock. Foundation models render their id (``amazon.nova-micro-v1:0:128k``), which
    keeps the template region-independent and the value checkable at synth time; other models their ARN."""
    if isinstance(model, str):
        return model
    model_id = getattr(model, "model_id", None)
    if isinstance(model_id, str) and not is_unresolved(model_id):
        return model_id
    return model.model_arn


@dataclass(frozen=True)
class VpcConfig:
    """The VPC a customization job's training containers run in.

    Example::

        VpcConfig(subnets=vpc.private_subnets, security_groups=[security_group])
        VpcConfig(subnets=["subnet-0123456789abcdef0"], security_groups=["sg-0123456789abcdef0"])
    """

    #: 1 to 16 subnets (``ec2.ISubnet`` or subnet ids).
    subnets: Sequence[ec2.ISubnet | str]
    #: 1 to 5 security groups (``ec2.ISecurityGroup`` or security group ids).
    security_groups: Sequence[ec2.ISecurityGroup | str]

    @classmethod
    def from_vpc(
        cls,
        vpc: ec2.IVpc,
        security_groups: Sequence[ec2.ISecurityGroup | str],
        subnet_selection: ec2.SubnetSelection | None = None,
    ) -> VpcConfig:
        """The subnets ``subnet_selection`` picks in ``vpc`` (default: the private ones)."""
        selection = subnet_selection or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        # jsii methods take a struct's fields as keyword arguments
        fields = ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type")
        selected = vpc.select_subnets(**{name: getattr(selection, name) for name in fields})
        return cls(subnets=list(selected.subnets), security_groups=list(security_groups))

    def subnet_ids(self) -> list[str]:
        return [s if isinstance(s, str) else s.subnet_id for s in self.subnets]

    def security_group_ids(self) -> list[str]:
        return [g if isinstance(g, str) else g.security_group_id for g in self.security_groups]


def ec2_arn(scope: IConstruct, resource: str, resource_name: str) -> str:
    return _slash_arn(scope, "ec2", resource, resource_name)


def bedrock_arn(scope: IConstruct, resource: str, resource_name: str = "*", *, account: str | None = None) -> str:
    return _slash_arn(scope, "bedrock", resource, resource_name, account=account)


def _slash_arn(
    scope: IConstruct, service: str, resource: str, resource_name: str, *, account: str | None = None
) -> str:
    """``Stack.of(scope).format_arn(..., arn_format=ArnFormat.SLASH_RESOURCE_NAME)``, the same string, written here:
    ``format_arn`` joins the stack's partition, region and account (tokens, or the stack's own values) into one
    string, which costs a round trip to the jsii kernel per ARN; their strings are read once per stack instead."""
    partition, region, stack_account = arn_parts(stack_of(scope))
    return (
        f"arn:{partition}:{service}:{region}:{stack_account if account is None else account}:{resource}/{resource_name}"
    )
