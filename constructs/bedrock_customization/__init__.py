"""AWS CDK constructs for Amazon Bedrock model customization jobs and custom models.

CloudFormation has no resource type for either, so each is a custom resource backed by one provider function per
stack (:class:`BedrockCustomizationProvider`); its properties mirror the Bedrock API request, and every problem with
them is reported at synth time, all at once (:class:`InvalidPropsError`).

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
"""

from __future__ import annotations

from ._version import __version__
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
from .references import VpcConfig
from .s3_location import S3Location
from .serving import ImportedModelReference
from .throughput import Commitment, ProvisionedThroughput
from .wait_mode import WaitMode

__all__ = [
    "AttributeUnavailableError",
    "BedrockCustomizationError",
    "BedrockCustomizationProvider",
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
