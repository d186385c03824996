"""What serves a stack's custom resources: the provider built in the stack, or one deployed in a stack of its own.

Every construct of the library finds its stack's provider with :meth:`.provider.BedrockCustomizationProvider.of`
and asks it for the same things whichever kind it is: the custom resource it declares (:meth:`add_resource`, which
names the service token), what that resource is created after, the grants it needs, and the children the stack's
resources share (their job roles, their long waits). Both kinds are the construct ``BedrockCustomizationProvider``
under the stack, so those shared children keep their paths and logical ids when a stack moves from one to the other.

- :class:`.provider.BedrockCustomizationProvider`: built in the stack on first use (the function, its roles, the
  long wait's rules), granted exactly what the stack's resources need;
- :class:`.imported_provider.ImportedProvider`: a provider stack deployed once
  (:class:`.provider_stack.BedrockCustomizationProviderStack`), imported by its exported service token; the stack
  builds no function, and the provider stack holds the grants (roles by name prefix, keys, model packages).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from bedrock_customization_provider import contract
from constructs import Construct, IConstruct, IDependable

from .lookups import default_policy, node_of, stack_of
from .resource_rules import removal_policy_value

if TYPE_CHECKING:
    from .references import ResolvedKey

#: Construct id of the provider under its stack; one per stack.
PROVIDER_ID = "BedrockCustomizationProvider"

_Shared = TypeVar("_Shared", bound=Construct)
#: Each stack's provider, so that finding it again costs no round trip to the jsii kernel (lookups.py says why).
_providers: weakref.WeakKeyDictionary[Stack, StackProvider] = weakref.WeakKeyDictionary()


def registered_provider(stack: Stack) -> StackProvider | None:
    """The provider ``stack``'s resources use, if one exists yet (found on the Python side, or as the stack's child
    when jsii hands the stack back as a new proxy)."""
    provider = _providers.get(stack)
    if provider is None:
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, StackProvider):
            provider = _providers[stack] = existing
    return provider


def provider_of(scope: IConstruct) -> StackProvider:
    """The provider of ``scope``'s stack: the one it has (imported, or built for an earlier resource), or its own,
    built now. The module that builds one (and aws-cdk's Lambda, EventBridge and Logs modules with it) is imported
    only then: a stack served by a provider stack never loads it."""
    stack = stack_of(scope)
    provider = registered_provider(stack)
    if provider is None:
        from .provider import BedrockCustomizationProvider

        provider = BedrockCustomizationProvider(stack, PROVIDER_ID)
    return provider


class StackProvider(Construct):
    """The construct ``<stack>/BedrockCustomizationProvider``: what a stack's custom resources are served by.

    Subclasses say what the resources are created after (:meth:`own_permissions`, :meth:`wait_start_dependencies`)
    and how the grants a resource asks for are made."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        _providers[stack_of(scope)] = self
        self._shared: dict[str, Construct] = {}
        self._own_dependencies: weakref.WeakKeyDictionary[CustomResource, int] = weakref.WeakKeyDictionary()

    @property
    def service_token(self) -> str:
        """What the stack's custom resources name as their ``ServiceToken``."""
        raise NotImplementedError

    def own_permissions(self) -> list[IDependable]:
        """What a resource served by this provider is created after (the provider's permissions in this stack)."""
        raise NotImplementedError

    def wait_start_dependencies(self) -> list[IDependable]:
        """What the stack's ``WaitStart`` is created after: whatever its Create (which enables the poll) needs."""
        raise NotImplementedError

    def grant_pass_role(self, role_arn: str, requester: IConstruct | None = None) -> None:
        """Let the provider hand ``role_arn`` to Bedrock (and to nothing else) for ``requester``."""
        raise NotImplementedError

    def grant_key_use(self, key: ResolvedKey, requester: IConstruct | None = None) -> None:
        """Bedrock checks the caller's access to a customer-managed key when a job or model names it."""
        raise NotImplementedError

    def grant_model_package_read(self, model_package_arn: str, requester: IConstruct | None = None) -> None:
        """CreateCustomModel from a SageMaker AI model package reads the package."""
        raise NotImplementedError

    def shared(self, cls: type[_Shared], id: str) -> _Shared:
        """The provider's child ``id`` of type ``cls`` (built as ``cls(provider, id)``), created on first use: what
        the stack's resources share (their roles, their long waits). Kept on the Python side, so each of hundreds
        of jobs finds it without a round trip to the jsii kernel."""
        existing = self._shared.get(id)
        if existing is None:
            existing = cls(self, id)
            self._shared[id] = existing
        return existing  # type: ignore[return-value]

    def add_resource(
        self,
        scope: Construct,
        *,
        resource_type: str,
        properties: dict[str, Any],
        removal_policy: RemovalPolicy | None,
        service_timeout: Duration,
        service_role: iam.Role | None,
        id: str = "Resource",
        depends_on: Sequence[IDependable] = (),
        ready: Sequence[IDependable] | None = None,
    ) -> CustomResource:
        """The custom resource ``scope`` declares (as its child ``id``), served by this provider.

        It waits for every permission it needs before CloudFormation sends Create: ``ready``, what makes the
        provider able to serve it (by default :meth:`own_permissions`; a long-waited resource passes the stack's
        WaitStart, which comes after those and after the wait's triggers: one DependsOn entry instead of seven per
        job), and, when the construct created one, the service role's policy, which Bedrock checks when the job or
        import starts; and ``depends_on``. ``removal_policy`` None: the resource owns nothing (a reader). The
        dependencies are added in one call (each call is a round trip to the jsii kernel, and CDK sorts a
        resource's DependsOn anyway), none when there are none.
        """
        if removal_policy is not None:
            properties = {**properties, contract.REMOVAL_POLICY: removal_policy_value(removal_policy)}
        resource = CustomResource(
            scope,
            id,
            service_token=self.service_token,
            resource_type=resource_type,
            properties=properties,
            service_timeout=service_timeout,
        )
        dependencies = list(self.own_permissions() if ready is None else ready)
        if service_role is not None:  # the role itself is already referenced by ARN; wait for its policy too
            dependencies.append(default_policy(service_role) or service_role)
        if dependencies or depends_on:
            node_of(resource).add_dependency(*dependencies, *depends_on)
        self._own_dependencies[resource] = len(dependencies) + len(depends_on)
        return resource

    def own_dependency_count(self, resource: CustomResource) -> int:
        """How many of ``resource``'s construct dependencies :meth:`add_resource` added: they come first in its
        ``node.dependencies`` (0 for a resource it did not create)."""
        return self._own_dependencies.get(resource, 0)
