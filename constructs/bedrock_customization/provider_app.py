"""The CDK app of a provider stack for a plain CloudFormation stack: deploy it with the CDK CLI, no code to write.

    cdk deploy --app "python -m bedrock_customization.provider_app" -c servedStackName=ml-jobs

Context (``-c key=value``): ``servedStackName`` (required: the stack your template will be deployed as),
``providerStackName`` (default ``<servedStackName>-bedrock-provider``), ``serviceRoleNamePrefix`` (default
``<servedStackName>-``), ``kmsKeyArns`` and ``modelPackageArns`` (comma-separated). The account and region are
the CLI's (``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION``). See ``docs/cloudformation.md``.
"""

from __future__ import annotations

import os
import sys

from aws_cdk import App, Environment

from .provider_stack import BedrockCustomizationProviderStack


def _list(value: object) -> list[str]:
    return [item.strip() for item in str(value or "").split(",") if item.strip()]


def build(app: App) -> BedrockCustomizationProviderStack:
    """The provider stack the app's context describes."""
    served = app.node.try_get_context("servedStackName")
    if not served:
        raise SystemExit(
            "provider_app: say which stack the provider serves: -c servedStackName=<the name of your stack>"
        )
    environment = Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    return BedrockCustomizationProviderStack(
        app,
        "BedrockCustomizationProvider",
        stack_name=app.node.try_get_context("providerStackName") or f"{served}-bedrock-provider",
        served_stack_name=str(served),
        service_role_name_prefix=app.node.try_get_context("serviceRoleNamePrefix"),
        kms_keys=_list(app.node.try_get_context("kmsKeyArns")),
        model_package_arns=_list(app.node.try_get_context("modelPackageArns")),
        env=environment,
    )


def main() -> int:
    app = App()
    build(app)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
