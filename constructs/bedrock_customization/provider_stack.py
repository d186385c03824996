"""A stack that holds only the provider, serving one other stack by name: a plain CloudFormation stack (no CDK app of
the user's own), or a CDK stack that imports it (``BedrockCustomizationProvider.from_provider_stack``,
``docs/provider-stack.md``).

Why a stack per served stack, not one provider for the account: everything the function may do stays scoped to
one stack, as with the constructs. Its CloudFormation permissions name that stack (``stack/<name>/*``: by name,
since a stack's id does not exist before the stack); requests from any other stack are dropped unanswered
(``SERVED_STACK``); it may pass to Bedrock only roles whose names start with that stack's name, which is how
CloudFormation names roles declared without a ``RoleName`` (``<stack name>-<logical id>-<suffix>``); its rules carry
its own stack's GUID. The served template imports the service token by the export name
``<served stack name>-BedrockCustomizationServiceToken`` (``docs/cloudformation.md``).

Deployed with the CDK CLI, no code to write::

    cdk deploy --app "python -m bedrock_customization.provider_app" -c servedStackName=ml-jobs
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from .errors import InvalidPropsError
from .nag import acknowledge_wildcard_resources
from .provider import PROVIDER_ID, BedrockCustomizationProvider
from .references import KeyInput, resolve_key

#: What the served template imports: ``!ImportValue {"Fn::Sub": "${AWS::StackName}-BedrockCustomizationServiceToken"}``.
EXPORT_SUFFIX = "-BedrockCustomizationServiceToken"
#: CloudFormation's stack name rule (CreateStack: ``[a-zA-Z][-a-zA-Z0-9]*``, at most 128 characters).
_STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
#: An IAM role name prefix: the name's characters (``[\w+=,.@-]``), at most 64 with the suffix CloudFormation adds.
ROLE_PREFIX = re.compile(r"[\w+=,.@-]{1,63}")


class BedrockCustomizationProviderStack(Stack):
    """The provider for one stack (plain CloudFormation, or CDK with ``from_provider_stack``), exporting its service
    token.

    Example::

        app = App()
        BedrockCustomizationProviderStack(app, "MlJobsProvider", served_stack_name="ml-jobs")
        # ml-jobs.yaml: ServiceToken: !ImportValue {"Fn::Sub": "${AWS::StackName}-BedrockCustomizationServiceToken"}

    ``service_role_name_prefix``: which roles the provider may pass to Bedrock (default ``<served stack name>-``: the
    served stack's own roles, when declared without a ``RoleName``). ``kms_keys``: customer-managed keys the served
    stack's jobs and models name (Bedrock checks the caller's access to them). ``model_package_arns``: SageMaker AI
    model packages its custom models are created from. ``export_name``: the service token's export (default
    ``<served stack name>-BedrockCustomizationServiceToken``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        served_stack_name: str,
        service_role_name_prefix: str | None = None,
        kms_keys: Sequence[KeyInput] = (),
        model_package_arns: Sequence[str] = (),
        export_name: str | None = None,
        **stack_props: Any,
    ) -> None:
        super().__init__(scope, id, **stack_props)
        role_prefix = f"{served_stack_name}-" if service_role_name_prefix is None else service_role_name_prefix
        self._check(served_stack_name, role_prefix)
        self.served_stack_name = served_stack_name
        #: The role names the provider may pass to Bedrock.
        self.service_role_name_prefix = role_prefix
        self.provider = BedrockCustomizationProvider(self, PROVIDER_ID, served_stack_name=served_stack_name)
        self.provider.long_wait_triggers()  # the served stack's long waits need the rules before it exists

        roles = self.format_arn(service="iam", region="", resource="role", resource_name=f"{role_prefix}*")
        self.provider.grant_pass_role(roles)
        acknowledge_wildcard_resources(
            self.provider.role,
            [roles],
            "The served stack's roles by name prefix (CloudFormation names a role declared without RoleName "
            "'<stack name>-<logical id>-<suffix>'); passed to Bedrock only (iam:PassedToService).",
        )
        #: The keys' and model packages' ARNs the provider is granted (what the served stack's resources may name).
        self.granted_arns: set[str] = set(model_package_arns)
        for key in kms_keys:
            resolved = resolve_key(self, key)
            self.granted_arns.add(resolved.resource_arn)
            self.provider.grant_key_use(resolved)
        for package in model_package_arns:
            self.provider.grant_model_package_read(package)

        #: The token the served template imports (an export of this stack).
        self.export_name = export_name or f"{served_stack_name}{EXPORT_SUFFIX}"
        CfnOutput(
            self,
            "ServiceToken",
            value=self.provider.service_token,
            export_name=self.export_name,
            description=f"ServiceToken of the Bedrock customization custom resources of the stack {served_stack_name}",
        )

    def _check(self, served_stack_name: str, role_prefix: str) -> None:
        problems = []
        if not isinstance(served_stack_name, str) or not _STACK_NAME.fullmatch(served_stack_name):
            problems.append(
                f"served_stack_name: a CloudFormation stack name is a letter, then letters, digits and hyphens, at "
                f"most 128 characters; got {served_stack_name!r}"
            )
        if not isinstance(role_prefix, str) or not ROLE_PREFIX.fullmatch(role_prefix):
            problems.append(
                "service_role_name_prefix: the start of an IAM role name (letters, digits and +=,.@_-, 1 to 63 "
                f"characters); got {role_prefix!r}"
            )
        if problems:
            raise InvalidPropsError("BedrockCustomizationProviderStack", self.node.path, problems)
