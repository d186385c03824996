"""AWS CDK constructs for Amazon Bedrock model customization jobs and custom models.

CloudFormation has no resource type for either, so each is a custom resource backed by one provider function per
stack (:class:`BedrockCustomizationProvider`); its properties mirror the Bedrock API request.
"""

from __future__ import annotations

from .custom_model import CustomModel
from .customization_job import CustomizationJob
from .errors import BedrockCustomizationError, InvalidPropsError
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

__all__ = [
    "BedrockCustomizationError",
    "BedrockCustomizationProvider",
    "CustomModel",
    "CustomModelReference",
    "CustomizationJob",
    "CustomizationType",
    "DistillationConfig",
    "ICustomModel",
    "InvalidPropsError",
    "InvocationLogsConfig",
    "ReasoningEffort",
    "RequestMetadataFilter",
    "RequestMetadataFilters",
    "RftConfig",
    "RftHyperParameters",
    "S3Location",
    "VpcConfig",
]
