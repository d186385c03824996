"""A stack served by a provider deployed in a stack of its own, imported by its exported service token.

The provider stack (:class:`~.provider_stack.BedrockCustomizationProviderStack`, deployed once, e.g. with ``cdk deploy
--app "python -m bedrock_customization.provider_app" -c servedStackName=<name>``) holds the function, its roles,
the long wait's rules and every grant; the served stack holds only its resources, their service roles and their
long waits. Why a team would: the provider is deployed once and changes with this library's version only, while
the jobs' stack changes with every sweep; the jobs' stack has fewer resources and synthesizes faster (no function,
no asset, no provider roles to build or validate: ``bench/README.md``).

What the provider stack may do is scoped to the served stack's name (``docs/cloudformation.md``), so the grants a
resource asks for are checked here, not made: a role is passed only if its name starts with the provider stack's
prefix (a role named in an ARN that does not is refused at synth); customer-managed keys and model packages must be
listed in the provider stack (a warning on the construct names each).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_cdk import Annotations, Fn, Stack
from constructs import Construct, IConstruct, IDependable

from .errors import InvalidPropsError
from .lookups import node_of
from .provider_stack import EXPORT_SUFFIX, ROLE_PREFIX
from .references import ResolvedKey
from .stack_provider import PROVIDER_ID, StackProvider, registered_provider
from .validation import is_unresolved

if TYPE_CHECKING:
    from .provider_stack import BedrockCustomizationProviderStack

#: An export name: letters, digits, colons and hyphens, at most 255 characters (CloudFormation's Outputs Export).
_EXPORT_NAME = re.compile(r"[A-Za-z0-9:-]{1,255}")
_KIND = "BedrockCustomizationProvider.from_provider_stack"


class ImportedProvider(StackProvider):
    """``<stack>/BedrockCustomizationProvider`` when the stack is served by a provider stack (use
    :meth:`.provider.BedrockCustomizationProvider.from_provider_stack`)."""

    def __init__(
        self,
        stack: Stack,
        *,
        export_name: str,
        service_role_name_prefix: str,
        granted_arns: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(stack, PROVIDER_ID)
        #: The provider stack's export this stack imports.
        self.export_name = export_name
        #: The role names the provider stack may pass to Bedrock.
        self.service_role_name_prefix = service_role_name_prefix
        self._service_token = Fn.import_value(export_name)
        self._warned: set[str] = set(granted_arns)  # what the provider stack is known to grant needs no warning
        self._passed_roles: set[str] = set()  # checked already (a sweep's jobs share a role: no round trip each)

    @classmethod
    def of_stack(
        cls,
        stack: Stack,
        *,
        export_name: str | None = None,
        service_role_name_prefix: str | None = None,
        provider_stack: BedrockCustomizationProviderStack | None = None,
    ) -> ImportedProvider:
        """``stack``'s imported provider, created on the first call; the same one for a call with the same
        arguments; an error if ``stack`` already has a provider of another kind or export (its resources already
        name that one's token). ``provider_stack``: the provider stack of the same app, whose export, role prefix and
        grants are then used, and which ``stack`` then depends on (``cdk deploy --all`` deploys it first)."""
        if not isinstance(stack, Stack):
            path = node_of(stack).path if isinstance(stack, Construct) else repr(stack)
            raise InvalidPropsError(
                _KIND, path, [f"stack must be a Stack, the stack the provider stack serves; got {stack!r}"]
            )
        path = node_of(stack).path
        stack_name = stack.stack_name
        problems = []  # the stack's name is CDK's to check (a stack name, at most 128 characters)
        granted: frozenset[str] = frozenset()
        if provider_stack is not None:
            problems += _provider_stack_problems(
                stack, stack_name, provider_stack, export_name, service_role_name_prefix
            )
            if problems:
                raise InvalidPropsError(_KIND, path, problems)
            export_name = provider_stack.export_name
            service_role_name_prefix = provider_stack.service_role_name_prefix
            granted = frozenset(provider_stack.granted_arns)
        export = f"{stack_name}{EXPORT_SUFFIX}" if export_name is None else export_name
        prefix = f"{stack_name}-" if service_role_name_prefix is None else service_role_name_prefix
        if not isinstance(export, str) or not _EXPORT_NAME.fullmatch(export):
            problems.append(
                f"export_name must be an export name (letters, digits, colons and hyphens, 1 to 255); got {export!r}"
            )
        if not isinstance(prefix, str) or not ROLE_PREFIX.fullmatch(prefix):
            problems.append(
                "service_role_name_prefix must be the start of an IAM role name (letters, digits and +=,.@_-, 1 to "
                f"63 characters); got {prefix!r}"
            )
        existing = registered_provider(stack)
        if isinstance(existing, ImportedProvider):
            if (existing.export_name, existing.service_role_name_prefix) != (export, prefix):
                problems.append(
                    f"the stack already imports the provider exported as {existing.export_name!r} (role prefix "
                    f"{existing.service_role_name_prefix!r}); one provider serves a stack"
                )
        elif existing is not None:
            problems.append(
                "the stack already has its own provider (built for a job, model or other resource declared in it "
                "before): call from_provider_stack before declaring any"
            )
        if problems:
            raise InvalidPropsError(_KIND, path, problems)
        if isinstance(existing, ImportedProvider):
            return existing
        if provider_stack is not None:
            stack.add_stack_dependency(provider_stack, "its provider stack exports the service token it imports")
        return cls(stack, export_name=export, service_role_name_prefix=prefix, granted_arns=granted)

    @property
    def service_token(self) -> str:
        return self._service_token

    def own_permissions(self) -> list[IDependable]:
        """Nothing in this stack: the provider stack, deployed before, holds the provider's permissions."""
        return []

    def wait_start_dependencies(self) -> list[IDependable]:
        """Nothing in this stack: the provider stack creates the long wait's rules itself."""
        return []

    def grant_pass_role(self, role_arn: str, requester: IConstruct | None = None) -> None:
        """The provider stack passes roles by name prefix: a role whose name is known at synth and does not start
        with it is refused now (Bedrock would refuse the job with AccessDenied after the deploy started). A role of
        this stack without a ``role_name`` is named ``<stack name>-<logical id>-<suffix>`` by CloudFormation."""
        if role_arn in self._passed_roles:
            return
        name = role_arn.rsplit("/", 1)[-1]  # a literal name in an ARN of tokens (partition, account) is checked too
        if is_unresolved(name) or name.startswith(self.service_role_name_prefix):
            self._passed_roles.add(role_arn)
            return
        kind, path = _describe(requester, self)
        raise InvalidPropsError(
            kind,
            path,
            [
                f"role: the provider stack ({self.export_name}) may pass to Bedrock only roles whose names start with "
                f"{self.service_role_name_prefix!r} (service_role_name_prefix); got {role_arn}"
            ],
        )

    def grant_key_use(self, key: ResolvedKey, requester: IConstruct | None = None) -> None:
        """The provider stack must list the key (``kms_keys``, or ``-c kmsKeyArns``): said once per key, as a warning
        on the construct that names it."""
        self._warn(
            key.resource_arn,
            requester,
            "the provider stack must be granted the use of the KMS key {what} (BedrockCustomizationProviderStack "
            "kms_keys, or -c kmsKeyArns=...): Bedrock checks the caller's access to it",
        )

    def grant_model_package_read(self, model_package_arn: str, requester: IConstruct | None = None) -> None:
        """The provider stack must list the model package (``model_package_arns``, or ``-c modelPackageArns``)."""
        self._warn(
            model_package_arn,
            requester,
            "the provider stack must be granted the model package {what} (BedrockCustomizationProviderStack "
            "model_package_arns, or -c modelPackageArns=...): CreateCustomModel reads it as the caller",
        )

    def _warn(self, arn: str, requester: IConstruct | None, message: str) -> None:
        if arn in self._warned:
            return
        self._warned.add(arn)
        what = "of this construct" if is_unresolved(arn) else arn
        Annotations.of(requester if requester is not None else self).add_warning_v2(
            "bedrock-customization:provider-stack-grant", message.format(what=what)
        )


def _provider_stack_problems(
    stack: Stack,
    stack_name: str,
    provider_stack: object,
    export_name: str | None,
    service_role_name_prefix: str | None,
) -> list[str]:
    """What is wrong with serving ``stack`` by ``provider_stack`` of the same app."""
    from .provider_stack import BedrockCustomizationProviderStack

    if not isinstance(provider_stack, BedrockCustomizationProviderStack):
        return [f"provider_stack must be a BedrockCustomizationProviderStack; got {provider_stack!r}"]
    problems = []
    if export_name is not None or service_role_name_prefix is not None:
        problems.append("export_name and service_role_name_prefix come from provider_stack: give provider_stack alone")
    if provider_stack.served_stack_name != stack_name:
        problems.append(
            f"provider_stack ({node_of(provider_stack).path}) serves the stack named "
            f"{provider_stack.served_stack_name!r}, not this one ({stack_name!r}): its provider would drop every "
            "request of this stack"
        )
    if node_of(provider_stack).root is not node_of(stack).root:
        problems.append(f"provider_stack ({node_of(provider_stack).path}) must be in the same app as the stack")
    return problems


def _describe(requester: IConstruct | None, fallback: IConstruct) -> tuple[str, str]:
    construct = requester if requester is not None else fallback
    return type(construct).__name__, node_of(construct).path
