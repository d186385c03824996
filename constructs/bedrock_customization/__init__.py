"""AWS CDK constructs for Amazon Bedrock model customization jobs and custom models.

CloudFormation has no resource type for either, so each is a custom resource backed by one provider function per
stack (:class:`BedrockCustomizationProvider`, built in the stack, or deployed once in a provider stack and imported
with ``BedrockCustomizationProvider.from_provider_stack``); its properties mirror the Bedrock API request, and every
problem with them is reported at synth time, all at once (:class:`InvalidPropsError`).

Example::

    from bedrock_customization import CustomizationJob, CustomModel, S3Location

    job = CustomizationJob(
        stack, "FineTune",
        base_model="amazon.nova-micro-v1:0:128k",
        training_data=S3Location(bucket, "train/data.jsonl"),
        output_data=S3Location(bucket, "output/"),
        hyper_parameters={"epochCount": 2},
    )
    follow_up = CustomizationJob(stack, "Again", base_model=job.model, ...)   # iterate on the job's model
    imported = CustomModel(stack, "Nova", model_package_arn="arn:aws:sagemaker:...:model-package/nova/1")

Importing the package is cheap: each name loads its module on first use (PEP 562), so ``python -m
bedrock_customization watch`` and other tools that need no construct never start aws-cdk-lib's jsii runtime (a Node
process).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports each on first use
    from .custom_model import CustomModel
    from .customization_job import CustomizationJob
    from .deployment import CustomModelDeployment
    from .errors import AttributeUnavailableError, BedrockCustomizationError, InvalidPropsError
    from .model_import import ModelImport
    from .models import CustomModelReference, ICustomModel
    from .options import (
        CustomizationType,
        DistillationConfig,
        InvocationLogsConfig,
        ReasoningEffort,
        RequestMetadataFilter,
        RequestMetadataFilters,
        RftConfig,
        RftHyperParameters,
    )
    from .provider import BedrockCustomizationProvider
    from .provider_stack import BedrockCustomizationProviderStack
    from .references import VpcConfig
    from .s3_location import S3Location
    from .serving import ImportedModelReference
    from .throughput import Commitment, ProvisionedThroughput
    from .wait_mode import WaitMode

#: Public name -> the module (relative to this package) that defines it.
_LAZY = {
    "AttributeUnavailableError": "errors",
    "BedrockCustomizationError": "errors",
    "BedrockCustomizationProvider": "provider",
    "BedrockCustomizationProviderStack": "provider_stack",
    "Commitment": "throughput",
    "CustomModel": "custom_model",
    "CustomModelDeployment": "deployment",
    "CustomModelReference": "models",
    "CustomizationJob": "customization_job",
    "CustomizationType": "options",
    "DistillationConfig": "options",
    "ICustomModel": "models",
    "ImportedModelReference": "serving",
    "InvalidPropsError": "errors",
    "InvocationLogsConfig": "options",
    "ModelImport": "model_import",
    "ProvisionedThroughput": "throughput",
    "ReasoningEffort": "options",
    "RequestMetadataFilter": "options",
    "RequestMetadataFilters": "options",
    "RftConfig": "options",
    "RftHyperParameters": "options",
    "S3Location": "s3_location",
    "VpcConfig": "references",
    "WaitMode": "wait_mode",
}

__all__ = [
    "AttributeUnavailableError",
    "BedrockCustomizationError",
    "BedrockCustomizationProvider",
    "BedrockCustomizationProviderStack",
    "Commitment",
    "CustomModel",
    "CustomModelDeployment",
    "CustomModelReference",
    "CustomizationJob",
    "CustomizationType",
    "DistillationConfig",
    "ICustomModel",
    "ImportedModelReference",
    "InvalidPropsError",
    "InvocationLogsConfig",
    "ModelImport",
    "ProvisionedThroughput",
    "ReasoningEffort",
    "RequestMetadataFilter",
    "RequestMetadataFilters",
    "RftConfig",
    "RftHyperParameters",
    "S3Location",
    "VpcConfig",
    "WaitMode",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next access is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
