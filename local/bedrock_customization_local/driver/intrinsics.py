"""CloudFormation's intrinsic functions, resolved the way the driver needs them: locally and deterministically.

Why: custom resource properties reference the stack's other resources (the role Bedrock assumes, the data bucket,
the KMS key, subnets). The driver does not create those resources; it gives each a stable local identity instead,
shaped like the real one (``arn:aws:iam::123456789012:role/<LogicalId>``), so the provider sees realistic input and a
re-run sees the same values. Custom resources resolve from what their provider answered (physical id, ``Data``).

Anything the table below does not know raises :class:`IntrinsicError` naming the resource, the type and what to add,
rather than passing an unresolved ``{"Ref": ...}`` on to the provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import IntrinsicError

NO_VALUE = object()  # AWS::NoValue: the surrounding key or list item disappears


@dataclass(frozen=True)
class StackEnv:
    """The pseudo parameters of the local stack (one fixed account and region: tests and the emulator agree), and
    ``exports``: the region's exported outputs, for ``Fn::ImportValue`` (the stack registry's, set by the runner;
    it raises :class:`IntrinsicError` for a name no stack exports)."""

    stack_name: str
    stack_id: str
    region: str = "us-east-1"
    account: str = "123456789012"
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    exports: Callable[[str], Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_stack(cls, stack_name: str, region: str = "us-east-1", account: str = "123456789012") -> StackEnv:
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"cfn-driver/{account}/{region}/{stack_name}")
        stack_id = f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{stack_uuid}"
        return cls(stack_name=stack_name, stack_id=stack_id, region=region, account=account)

    def pseudo(self, name: str) -> Any:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name not in values:
            raise IntrinsicError(f"unknown pseudo parameter {name}")
        return values[name]


def is_custom_type(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


#: Non-custom resources the driver creates itself (:mod:`.native`); like custom resources, their Ref and GetAtt
#: come from what was created, so they resolve only once they exist.
DRIVEN_NATIVE_TYPES = frozenset(
    {
        "AWS::CloudFormation::WaitCondition",
        "AWS::CloudFormation::WaitConditionHandle",
        "AWS::Events::Rule",
        "AWS::Lambda::Permission",
    }
)


def is_driven_type(resource_type: str) -> bool:
    """Resources the driver runs through the stack's operations (events, dependency order, rollback)."""
    return is_custom_type(resource_type) or resource_type in DRIVEN_NATIVE_TYPES


@dataclass(frozen=True)
class CustomState:
    """What a custom resource's provider answered: its physical id (``Ref``) and ``Data`` (``Fn::GetAtt``)."""

    physical_id: str
    data: Mapping[str, Any]


class Resolver:
    """Resolves intrinsic functions in a template fragment.

    ``custom`` maps the logical ids of driven resources (custom ones and those of :data:`DRIVEN_NATIVE_TYPES`) that
    exist to their :class:`CustomState`; referencing one that does not exist (yet) is an error, which is what
    CloudFormation's dependency order prevents.
    """

    def __init__(self, template: Mapping[str, Any], env: StackEnv, custom: Mapping[str, CustomState]) -> None:
        self.template = template
        self.env = env
        self.custom = custom
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.parameters: Mapping[str, Any] = template.get("Parameters", {})
        self.conditions: Mapping[str, Any] = template.get("Conditions", {})
        self._functions: dict[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": self._join,
            "Fn::Sub": self._sub,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda arg, where: base64.b64encode(str(self.resolve(arg, where)).encode()).decode(),
            "Fn::GetAZs": lambda arg, where: [f"{self.env.region}{z}" for z in "abc"],
            "Fn::If": self._if,
            "Fn::ToJsonString": lambda arg, where: json.dumps(self.resolve(arg, where), separators=(",", ":")),
            "Fn::Length": lambda arg, where: len(self.resolve(arg, where)),
            "Fn::ImportValue": self._import_value,
        }

    # --- public -------------------------------------------------------------------------------------------------
    def resolve(self, value: Any, where: str = "template") -> Any:
        """``value`` with every intrinsic replaced; ``where`` names the location for error messages."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key in self._functions:
                    return self._functions[key](arg, where)
                if key.startswith("Fn::"):
                    raise IntrinsicError(f"{where}: the driver does not support {key}")
            out = {}
            for key, item in value.items():
                resolved = self.resolve(item, f"{where}.{key}")
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            resolved_items = (self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value))
            return [item for item in resolved_items if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise IntrinsicError(f"unknown condition {name!r}")
        return self._condition_value(self.conditions[name], f"Conditions.{name}")

    # --- functions ----------------------------------------------------------------------------------------------
    def _ref(self, target: Any, where: str) -> Any:
        if not isinstance(target, str):
            raise IntrinsicError(f"{where}: Ref takes a logical id, got {target!r}")
        if target.startswith("AWS::"):
            return self.env.pseudo(target)
        if target in self.parameters:
            return self._parameter(target, where)
        resource = self._resource(target, where)
        if is_driven_type(resource.get("Type", "")):
            return self._custom(target, where).physical_id
        return local_ref(target, resource, self)

    def _import_value(self, arg: Any, where: str) -> Any:
        """Another stack's exported output (CloudFormation: "No export named <name> found" when none is)."""
        name = self.resolve(arg, where)
        if not isinstance(name, str):
            raise IntrinsicError(f"{where}: Fn::ImportValue takes an export name, got {name!r}")
        if self.env.exports is None:
            raise IntrinsicError(f"{where}: No export named {name} found (no other stack runs in this session)")
        return self.env.exports(name)

    def _get_att(self, arg: Any, where: str) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        elif isinstance(arg, list) and len(arg) == 2:
            logical_id, attribute = arg[0], self.resolve(arg[1], where)
        else:
            raise IntrinsicError(f"{where}: Fn::GetAtt takes [LogicalId, Attribute], got {arg!r}")
        resource = self._resource(logical_id, where)
        if is_custom_type(resource.get("Type", "")):
            data = self._custom(logical_id, where).data
            if attribute not in data:
                raise IntrinsicError(
                    f"{where}: CustomResource attribute error: Vendor response doesn't contain {attribute} key in "
                    f"object {logical_id} (it returned: {', '.join(sorted(data)) or 'nothing'})"
                )
            return data[attribute]
        if is_driven_type(resource.get("Type", "")):
            data = self._custom(logical_id, where).data
            if attribute not in data:
                raise IntrinsicError(
                    f"{where}: Fn::GetAtt {logical_id}.{attribute} ({resource.get('Type')}): the driver has no such "
                    f"attribute (it has: {', '.join(sorted(data)) or 'none'})"
                )
            return data[attribute]
        return local_attribute(logical_id, resource, attribute, self)

    def _join(self, arg: Any, where: str) -> str:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise IntrinsicError(f"{where}: Fn::Join takes [delimiter, [values]], got {arg!r}")
        items = self.resolve(arg[1], where)
        if not isinstance(items, list):
            raise IntrinsicError(f"{where}: Fn::Join needs a list, got {items!r}")
        return str(arg[0]).join(_as_text(item, where) for item in items)

    def _sub(self, arg: Any, where: str) -> str:
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, variables = arg[0], {k: self.resolve(v, where) for k, v in arg[1].items()}
        else:
            raise IntrinsicError(f"{where}: Fn::Sub takes a string or [string, {{variables}}], got {arg!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(variables[name], where)
            if "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                return _as_text(self._get_att([logical_id, attribute], where), where)
            return _as_text(self._ref(name, where), where)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _select(self, arg: Any, where: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise IntrinsicError(f"{where}: Fn::Select takes [index, [values]], got {arg!r}")
        index = int(self.resolve(arg[0], where))
        items = self.resolve(arg[1], where)
        if not 0 <= index < len(items):
            raise IntrinsicError(f"{where}: Fn::Select index {index} out of range for {items!r}")
        return items[index]

    def _split(self, arg: Any, where: str) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise IntrinsicError(f"{where}: Fn::Split takes [delimiter, string], got {arg!r}")
        return _as_text(self.resolve(arg[1], where), where).split(arg[0])

    def _find_in_map(self, arg: Any, where: str) -> Any:
        name, top, second = (self.resolve(a, where) for a in arg)
        try:
            return self.template["Mappings"][name][top][second]
        except KeyError as exc:
            raise IntrinsicError(f"{where}: Fn::FindInMap found no {name}.{top}.{second}") from exc

    def _if(self, arg: Any, where: str) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false, where)

    def _condition_value(self, expr: Any, where: str) -> bool:
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, dict) and len(expr) == 1:
            ((key, arg),) = expr.items()
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Equals":
                left, right = (self.resolve(a, where) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._condition_value(arg[0], where)
            if key == "Fn::And":
                return all(self._condition_value(a, where) for a in arg)
            if key == "Fn::Or":
                return any(self._condition_value(a, where) for a in arg)
        raise IntrinsicError(f"{where}: unsupported condition {expr!r}")

    # --- lookups ------------------------------------------------------------------------------------------------
    def _resource(self, logical_id: str, where: str) -> Mapping[str, Any]:
        if logical_id not in self.resources:
            raise IntrinsicError(f"{where}: reference to {logical_id!r}, which is not a resource of the template")
        return self.resources[logical_id]

    def _custom(self, logical_id: str, where: str) -> CustomState:
        if logical_id not in self.custom:
            kind = "custom resource" if is_custom_type(self.resources[logical_id].get("Type", "")) else "resource"
            raise IntrinsicError(f"{where}: {kind} {logical_id} does not exist yet (dependency order bug?)")
        return self.custom[logical_id]

    def _parameter(self, name: str, where: str) -> Any:
        parameter = self.parameters[name]
        if str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter"):
            raise IntrinsicError(f"{where}: parameter {name} reads SSM ({parameter.get('Default')}); not available")
        if "Default" not in parameter:
            raise IntrinsicError(f"{where}: parameter {name} has no Default and the driver takes no parameters")
        default = parameter["Default"]
        if str(parameter.get("Type", "")).startswith("List<") or parameter.get("Type") == "CommaDelimitedList":
            return default.split(",") if isinstance(default, str) else default
        return default


def _as_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise IntrinsicError(f"{where}: expected a string, got {value!r}")


# --- deterministic local values of the non-custom resources ---------------------------------------------------------
def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _named(logical_id: str, resource: Mapping[str, Any], prop: str, resolver: Resolver, max_len: int = 64) -> str:
    """The resource's own name property when set (resolved), else a name derived from its logical id."""
    props = resource.get("Properties") or {}
    if prop in props:
        return _as_text(resolver.resolve(props[prop], f"{logical_id}.{prop}"), logical_id)
    return logical_id[:max_len]


def _bucket_name(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> str:
    props = resource.get("Properties") or {}
    if "BucketName" in props:
        return _as_text(resolver.resolve(props["BucketName"], f"{logical_id}.BucketName"), logical_id)
    raw = f"{resolver.env.stack_name}-{logical_id}-{_digest(resolver.env.stack_name, logical_id, length=8)}".lower()
    return re.sub(r"[^a-z0-9-]", "-", raw)[-63:].strip("-")


def _key_id(logical_id: str, resolver: Resolver) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kms/{resolver.env.stack_name}/{logical_id}"))


_EC2_ID_PREFIXES = {
    "AWS::EC2::VPC": "vpc",
    "AWS::EC2::Subnet": "subnet",
    "AWS::EC2::SecurityGroup": "sg",
    "AWS::EC2::RouteTable": "rtb",
    "AWS::EC2::InternetGateway": "igw",
    "AWS::EC2::NatGateway": "nat",
    "AWS::EC2::VPCEndpoint": "vpce",
    "AWS::EC2::NetworkAcl": "acl",
}
#: Resources whose Ref CloudFormation documents as an opaque id nobody feeds into Bedrock: their logical id will do.
_OPAQUE_REFS = {
    "AWS::IAM::Policy",
    "AWS::S3::BucketPolicy",
    "AWS::Lambda::Permission",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::Route",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::CDK::Metadata",
}


def local_ref(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> Any:
    """``Ref`` of a resource the driver does not create: CloudFormation's documented Ref, with local values."""
    kind = resource.get("Type", "")
    env = resolver.env
    if kind == "AWS::IAM::Role":
        return _named(logical_id, resource, "RoleName", resolver)
    if kind == "AWS::IAM::ManagedPolicy":
        name = _named(logical_id, resource, "ManagedPolicyName", resolver, 128)
        return f"arn:{env.partition}:iam::{env.account}:policy/{name}"
    if kind == "AWS::S3::Bucket":
        return _bucket_name(logical_id, resource, resolver)
    if kind == "AWS::KMS::Key":
        return _key_id(logical_id, resolver)
    if kind == "AWS::KMS::Alias":
        return _named(logical_id, resource, "AliasName", resolver)
    if kind == "AWS::Lambda::Function":
        return function_name(logical_id, resource, resolver)
    if kind == "AWS::Logs::LogGroup":
        return _named(logical_id, resource, "LogGroupName", resolver, 512)
    if kind == "AWS::SNS::Topic":
        return local_attribute(logical_id, resource, "TopicArn", resolver)
    if kind == "AWS::SQS::Queue":
        name = _named(logical_id, resource, "QueueName", resolver, 80)
        return f"https://sqs.{env.region}.{env.url_suffix}/{env.account}/{name}"
    if kind == "AWS::Events::Rule":
        return _named(logical_id, resource, "Name", resolver)
    if kind == "AWS::SSM::Parameter":
        return _named(logical_id, resource, "Name", resolver, 2048)
    if kind == "AWS::EC2::EIP":
        return f"203.0.113.{int(_digest(env.stack_name, logical_id, length=4), 16) % 250 + 1}"
    if kind in _EC2_ID_PREFIXES:
        return f"{_EC2_ID_PREFIXES[kind]}-{_digest(env.stack_name, logical_id)}"
    if kind in _OPAQUE_REFS:
        return logical_id
    raise IntrinsicError(
        f"Ref to {logical_id} ({kind}): the driver has no local value for this resource type; "
        f"add one to bedrock_customization_local.driver.intrinsics.local_ref"
    )


def function_name(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> str:
    props = resource.get("Properties") or {}
    if "FunctionName" in props:
        return _as_text(resolver.resolve(props["FunctionName"], f"{logical_id}.FunctionName"), logical_id)
    return f"{resolver.env.stack_name}-{logical_id}"[:64]


def local_attribute(logical_id: str, resource: Mapping[str, Any], attribute: str, resolver: Resolver) -> Any:
    """``Fn::GetAtt`` of a resource the driver does not create (the attributes the project's templates use)."""
    kind = resource.get("Type", "")
    env = resolver.env
    arn_prefix = f"arn:{env.partition}"
    props = resource.get("Properties") or {}
    values: dict[str, Callable[[], Any]] = {}
    if kind == "AWS::IAM::Role":
        name = local_ref(logical_id, resource, resolver)
        path = props.get("Path", "/") if isinstance(props.get("Path", "/"), str) else "/"
        values = {
            "Arn": lambda: f"{arn_prefix}:iam::{env.account}:role{path}{name}",
            "RoleId": lambda: "AROA" + _digest(env.stack_name, logical_id).upper(),
        }
    elif kind == "AWS::IAM::ManagedPolicy":
        values = {"PolicyArn": lambda: local_ref(logical_id, resource, resolver)}
    elif kind == "AWS::S3::Bucket":
        name = local_ref(logical_id, resource, resolver)
        values = {
            "Arn": lambda: f"{arn_prefix}:s3:::{name}",
            "DomainName": lambda: f"{name}.s3.{env.url_suffix}",
            "RegionalDomainName": lambda: f"{name}.s3.{env.region}.{env.url_suffix}",
            "DualStackDomainName": lambda: f"{name}.s3.dualstack.{env.region}.{env.url_suffix}",
            "WebsiteURL": lambda: f"http://{name}.s3-website-{env.region}.{env.url_suffix}",
        }
    elif kind == "AWS::KMS::Key":
        key_id = _key_id(logical_id, resolver)
        values = {"Arn": lambda: f"{arn_prefix}:kms:{env.region}:{env.account}:key/{key_id}", "KeyId": lambda: key_id}
    elif kind == "AWS::Lambda::Function":
        name = function_name(logical_id, resource, resolver)
        values = {"Arn": lambda: f"{arn_prefix}:lambda:{env.region}:{env.account}:function:{name}"}
    elif kind == "AWS::Logs::LogGroup":
        name = local_ref(logical_id, resource, resolver)
        values = {"Arn": lambda: f"{arn_prefix}:logs:{env.region}:{env.account}:log-group:{name}:*"}
    elif kind == "AWS::SNS::Topic":
        name = _named(logical_id, resource, "TopicName", resolver, 256)
        values = {
            "TopicArn": lambda: f"{arn_prefix}:sns:{env.region}:{env.account}:{name}",
            "TopicName": lambda: name,
        }
    elif kind == "AWS::SQS::Queue":
        name = _named(logical_id, resource, "QueueName", resolver, 80)
        values = {
            "Arn": lambda: f"{arn_prefix}:sqs:{env.region}:{env.account}:{name}",
            "QueueName": lambda: name,
            "QueueUrl": lambda: local_ref(logical_id, resource, resolver),
        }
    elif kind == "AWS::Events::Rule":
        name = local_ref(logical_id, resource, resolver)
        values = {"Arn": lambda: f"{arn_prefix}:events:{env.region}:{env.account}:rule/{name}"}
    elif kind == "AWS::EC2::VPC":
        values = {
            "VpcId": lambda: local_ref(logical_id, resource, resolver),
            "CidrBlock": lambda: resolver.resolve(props.get("CidrBlock", "10.0.0.0/16"), logical_id),
            "DefaultSecurityGroup": lambda: f"sg-{_digest(env.stack_name, logical_id, 'default-sg')}",
            "DefaultNetworkAcl": lambda: f"acl-{_digest(env.stack_name, logical_id, 'default-acl')}",
        }
    elif kind == "AWS::EC2::Subnet":
        values = {
            "SubnetId": lambda: local_ref(logical_id, resource, resolver),
            "AvailabilityZone": lambda: resolver.resolve(props.get("AvailabilityZone", f"{env.region}a"), logical_id),
            "VpcId": lambda: resolver.resolve(props.get("VpcId"), logical_id),
        }
    elif kind == "AWS::EC2::SecurityGroup":
        values = {
            "GroupId": lambda: local_ref(logical_id, resource, resolver),
            "VpcId": lambda: resolver.resolve(props.get("VpcId"), logical_id),
        }
    if attribute not in values:
        raise IntrinsicError(
            f"Fn::GetAtt {logical_id}.{attribute} ({kind}): the driver has no local value for this attribute; "
            f"add one to bedrock_customization_local.driver.intrinsics.local_attribute"
        )
    return values[attribute]()


# --- references (for dependency order) ------------------------------------------------------------------------------
def references(value: Any) -> set[str]:
    """Logical ids (resources or parameters) that ``value`` references through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and isinstance(arg, str) and not arg.startswith("AWS::"):
                found.add(arg)
                return found
            if key == "Fn::GetAtt":
                found.add(arg.partition(".")[0] if isinstance(arg, str) else arg[0])
                return found
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                names = set(arg[1]) if isinstance(arg, list) else set()
                for name in re.findall(r"\$\{([^}!][^}]*)\}", text):
                    if name not in names and not name.startswith("AWS::"):
                        found.add(name.partition(".")[0])
                if isinstance(arg, list):
                    found |= references(arg[1])
                return found
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found
