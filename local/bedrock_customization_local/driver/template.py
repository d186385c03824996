"""The parts of a template the driver acts on: driven resources, their dependency order, their provider function.

"Driven" resources are the ones the driver runs through stack operations (events, order, rollback): custom
resources, and the native types of :mod:`.native` (wait conditions and their handles, EventBridge rules, Lambda
permissions).

Why a graph over *all* resources: a driven resource can depend on another one only through a resource the driver
does not create (a policy that names a job's model, say). Ordering runs over the whole template and then keeps the
driven resources, so such chains are honoured even though only driven resources get events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assembly import StackArtifact
from .errors import DriverError, IntrinsicError
from .intrinsics import (
    Resolver,
    StackEnv,
    function_name,
    is_custom_type,
    is_driven_type,
    local_ref,
    references,
)
from .native import WAIT_CONDITION, signal_policy, wait_properties

#: CloudFormation's limit when a custom resource sets no ServiceTimeout.
DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600
KMS_KEY = "AWS::KMS::Key"


@dataclass(frozen=True)
class KeySpec:
    """An ``AWS::KMS::Key`` a function's environment names: the provider really encrypts with it, so the driver makes
    it in moto under the id its ``Ref`` resolves to (:func:`~.intrinsics.local_ref`)."""

    logical_id: str
    key_id: str
    description: str
    policy: str | None
    rotation: bool


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function as the driver runs it: the handler from the template, the code from the asset."""

    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    code_dir: Path
    role_arn: str
    #: The KMS keys its environment names, made in moto before it runs.
    kms_keys: tuple[KeySpec, ...] = ()


class StackTemplate:
    """A template plus the stack's pseudo parameters; read-only (updates come as a new StackTemplate)."""

    def __init__(self, template: Mapping[str, Any], env: StackEnv) -> None:
        self.template = template
        self.env = env
        resolver = Resolver(template, env, {})
        self.resources: dict[str, Mapping[str, Any]] = {
            logical_id: resource
            for logical_id, resource in template.get("Resources", {}).items()
            if "Condition" not in resource or resolver.condition(resource["Condition"])
        }
        # CloudFormation validates these before an operation starts; a bad one is a template error, not a failure.
        self._signal_policies = {
            lid: self._read_signal_policy(lid, resolver) for lid in self.driven_ids() if self.is_wait_condition(lid)
        }

    # --- the graph ----------------------------------------------------------------------------------------------
    def custom_ids(self) -> list[str]:
        return [lid for lid, res in self.resources.items() if is_custom_type(res.get("Type", ""))]

    def driven_ids(self) -> list[str]:
        """Custom resources and the native resources the driver creates, in template order."""
        return [lid for lid, res in self.resources.items() if is_driven_type(res.get("Type", ""))]

    def is_custom(self, logical_id: str) -> bool:
        return is_custom_type(self.resource_type(logical_id))

    def is_wait_condition(self, logical_id: str) -> bool:
        return self.resource_type(logical_id) == WAIT_CONDITION

    def resource_type(self, logical_id: str) -> str:
        return self.resources[logical_id]["Type"]

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        return self.resources[logical_id].get("Properties") or {}

    def direct_dependencies(self, logical_id: str) -> set[str]:
        resource = self.resources[logical_id]
        depends_on = resource.get("DependsOn", [])
        deps = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        deps |= references(resource.get("Properties") or {})
        return {dep for dep in deps if dep in self.resources and dep != logical_id}

    def driven_dependencies(self, logical_id: str) -> set[str]:
        """Driven resources that must exist before ``logical_id`` (through any chain of resources)."""
        found: set[str] = set()
        seen: set[str] = set()
        stack = list(self.direct_dependencies(logical_id))
        while stack:
            dep = stack.pop()
            if dep in seen:
                continue
            seen.add(dep)
            if is_driven_type(self.resource_type(dep)):
                found.add(dep)
            stack.extend(self.direct_dependencies(dep))
        return found

    #: The name the driver's first version used, when only custom resources were driven.
    custom_dependencies = driven_dependencies

    def creation_order(self) -> list[str]:
        """Driven resources, dependencies first; ties keep template order (what a reader expects to see)."""
        customs = self.driven_ids()
        deps = {lid: self.driven_dependencies(lid) for lid in customs}
        order: list[str] = []
        placed: set[str] = set()
        while len(order) < len(customs):
            ready = [lid for lid in customs if lid not in placed and deps[lid] <= placed]
            if not ready:
                cycle = sorted(set(customs) - placed)
                raise DriverError(f"circular dependency between resources: {', '.join(cycle)}")
            order.extend(ready)
            placed.update(ready)
        return order

    # --- wait conditions ----------------------------------------------------------------------------------------
    def signal_policy(self, logical_id: str) -> tuple[int, int]:
        """(Count, Timeout seconds) of a wait condition: its CreationPolicy's, or its Count/Timeout properties'."""
        return self._signal_policies[logical_id]

    def has_handle(self, logical_id: str) -> bool:
        """A wait condition of the Handle form (signalled through a WaitConditionHandle's URL)."""
        return self.is_wait_condition(logical_id) and "CreationPolicy" not in self.resources[logical_id]

    def _read_signal_policy(self, logical_id: str, resolver: Resolver) -> tuple[int, int]:
        """Checked before the operation starts, as CloudFormation validates a template: one form or the other (the
        resource reference: "If you use a CreationPolicy with a wait condition, do not specify any of the wait
        condition's properties"), Count and Timeout in range. A Handle is resolved only when the condition starts
        (it is the Ref of a handle created in the same operation)."""
        resource = self.resources[logical_id]
        properties = self.properties(logical_id)
        if "CreationPolicy" in resource:
            if properties:
                raise DriverError(
                    f"{logical_id}: a WaitCondition with a CreationPolicy takes no properties "
                    f"(got {', '.join(sorted(properties))}); use one form or the other"
                )
            try:
                policy = resolver.resolve(resource["CreationPolicy"], f"{logical_id}.CreationPolicy")
            except IntrinsicError as exc:
                raise DriverError(f"{logical_id}: cannot resolve the CreationPolicy: {exc}") from exc
            return signal_policy(logical_id, policy)
        counted = {key: value for key, value in properties.items() if key != "Handle"}
        try:
            resolved = resolver.resolve(counted, f"{logical_id}.Properties")
        except IntrinsicError as exc:
            raise DriverError(f"{logical_id}: cannot resolve Count/Timeout: {exc}") from exc
        if "Handle" in properties:
            resolved["Handle"] = properties["Handle"]
        return wait_properties(logical_id, resolved)

    # --- custom resource details --------------------------------------------------------------------------------
    def service_timeout(self, logical_id: str) -> int:
        if self.is_wait_condition(logical_id):
            return self.signal_policy(logical_id)[1]
        value = self.properties(logical_id).get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT_SECONDS)
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise DriverError(f"{logical_id}: ServiceTimeout must be a number of seconds, got {value!r}") from exc

    def exported_function_ids(self) -> list[str]:
        """The Lambda functions whose ARN the stack exports (a provider stack: other stacks' custom resources name it
        with ``Fn::ImportValue``), so they run even though no custom resource of this stack does."""
        found = []
        for output in (self.template.get("Outputs") or {}).values():
            if not isinstance(output, Mapping) or "Export" not in output:
                continue
            for lid in sorted(references(output.get("Value"))):
                if self.resources.get(lid, {}).get("Type") == "AWS::Lambda::Function" and lid not in found:
                    found.append(lid)
        return found

    def imports_service_token(self, logical_id: str) -> bool:
        """Whether the resource's ServiceToken is another stack's export (``Fn::ImportValue``): a provider stack's
        function, registered when that stack was deployed in the same session."""
        token = self.properties(logical_id).get("ServiceToken")
        return isinstance(token, Mapping) and "Fn::ImportValue" in token

    def provider_function_id(self, logical_id: str) -> str:
        """The AWS::Lambda::Function behind a custom resource's ServiceToken (``Fn::GetAtt [Fn, Arn]``)."""
        token = self.properties(logical_id).get("ServiceToken")
        target = None
        if isinstance(token, dict) and "Fn::GetAtt" in token:
            arg = token["Fn::GetAtt"]
            target, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
            if attribute != "Arn":
                target = None
        if target is None or self.resources.get(target, {}).get("Type") != "AWS::Lambda::Function":
            raise DriverError(
                f"{logical_id}: ServiceToken must be Fn::GetAtt [<Lambda function>, Arn] of this stack or "
                f"Fn::ImportValue of another stack's export; got {token!r}"
            )
        return target

    def function_spec(self, function_id: str, stack: StackArtifact) -> FunctionSpec:
        resource = self.resources[function_id]
        props = resource.get("Properties") or {}
        resolver = Resolver(self.template, self.env, {})
        where = f"{function_id}.Properties"
        try:
            variables = resolver.resolve((props.get("Environment") or {}).get("Variables") or {}, f"{where}.Env")
            role_arn = resolver.resolve(props.get("Role"), f"{where}.Role")
        except IntrinsicError as exc:
            raise DriverError(f"{function_id}: cannot resolve the function's configuration: {exc}") from exc
        handler = props.get("Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise DriverError(f"{function_id}: Handler must be 'module.function', got {handler!r}")
        name = function_name(function_id, resource, resolver)
        environment = (props.get("Environment") or {}).get("Variables") or {}
        keys = sorted(lid for lid in references(environment) if self.resources.get(lid, {}).get("Type") == KMS_KEY)
        return FunctionSpec(
            logical_id=function_id,
            name=name,
            arn=f"arn:{self.env.partition}:lambda:{self.env.region}:{self.env.account}:function:{name}",
            handler=handler,
            runtime=str(props.get("Runtime", "python3.11")),
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={k: _env_text(v) for k, v in variables.items()},
            code_dir=stack.asset_dir(dict(self.template), function_id),
            role_arn=str(role_arn),
            kms_keys=tuple(self._key_spec(lid, resolver) for lid in keys),
        )

    def _key_spec(self, logical_id: str, resolver: Resolver) -> KeySpec:
        props = self.properties(logical_id)
        where = f"{logical_id}.Properties"
        try:
            policy = resolver.resolve(props["KeyPolicy"], f"{where}.KeyPolicy") if "KeyPolicy" in props else None
            description = resolver.resolve(props.get("Description", ""), f"{where}.Description")
            rotation = resolver.resolve(props.get("EnableKeyRotation", False), f"{where}.EnableKeyRotation")
        except IntrinsicError as exc:
            raise DriverError(f"{logical_id}: cannot resolve the key's properties: {exc}") from exc
        return KeySpec(
            logical_id=logical_id,
            key_id=str(local_ref(logical_id, self.resources[logical_id], resolver)),
            description=str(description),
            policy=json.dumps(policy) if policy is not None else None,
            rotation=str(rotation).lower() == "true",
        )

    def outputs(self, resolver: Resolver) -> dict[str, Any]:
        """The Outputs section resolved (outputs whose Condition is false are left out)."""
        out = {}
        for name, output in (self.template.get("Outputs") or {}).items():
            if "Condition" in output and not resolver.condition(output["Condition"]):
                continue
            out[name] = resolver.resolve(output.get("Value"), f"Outputs.{name}")
        return out


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
