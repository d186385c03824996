"""Bedrock's rules beyond the input shape: what the service documents or clearly implies it refuses at create time.

The shape walk (:mod:`validation`) knows no field by name; these rules do. Each is a ValidationException raised
before anything is created, so a provider that skips its own checks fails here as it would against Bedrock. The
wording of each is this emulator's own unless the README says otherwise (Bedrock's exact messages for these are not
published); the hyperparameter ranges are the provider's catalogue (``bedrock_customization_provider.hyperparameters``),
so the emulator, the constructs and the provider refuse the same values.

Hyperparameters out of the documented range are refused at create time, not as a job that fails validation: the
ranges are documented as constraints of the CreateModelCustomizationJob request, and the job's validation phase is
documented as checking the training data. Which of the two Bedrock does is not confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bedrock_customization_provider import hyperparameters

from .errors import BedrockError, validation

#: customizationType -> the customizationConfig member it needs.
_CONFIG_FOR_TYPE = {"DISTILLATION": "distillationConfig", "REINFORCEMENT_FINE_TUNING": "rftConfig"}


def check_job(params: Mapping[str, Any], *, foundation_model_id: str | None = None) -> None:
    """CreateModelCustomizationJob's rules; raises the first broken one. ``foundation_model_id``: the foundation model
    at the root of the base model's chain (a custom base model's hyperparameters follow its foundation model)."""
    training = params.get("trainingDataConfig") or {}
    if training.get("s3Uri") is not None and training.get("invocationLogsConfig") is not None:
        raise validation("Specify either s3Uri or invocationLogsConfig in trainingDataConfig, not both.")
    kind = params.get("customizationType", "FINE_TUNING")
    needed = _CONFIG_FOR_TYPE.get(kind)
    if needed and needed not in (params.get("customizationConfig") or {}):
        raise validation(f"customizationConfig.{needed} is required for customizationType {kind}.")
    check_tags(params.get("jobTags"))
    check_tags(params.get("customModelTags"))
    found = hyperparameters.problems(
        foundation_model_id or params.get("baseModelIdentifier"), kind, params.get("hyperParameters")
    )
    if found:
        raise validation("Invalid hyperparameters: " + "; ".join(str(problem) for problem in found))


def check_model(params: Mapping[str, Any]) -> None:
    """CreateCustomModel's rules; raises the first broken one."""
    sources = [name for name in ("modelSourceConfig", "customModelDataSource") if name in params]
    if not sources:
        raise validation("Either modelSourceConfig or customModelDataSource must be provided.")
    if len(sources) > 1:
        raise validation("Specify either modelSourceConfig or customModelDataSource, not both.")
    if "modelSourceConfig" in params and not params.get("roleArn"):
        raise validation("roleArn is required when the model source is in Amazon S3 (modelSourceConfig).")
    check_tags(params.get("modelTags"))


def check_tags(tags: Iterable[Mapping[str, Any]] | None) -> None:
    """Keys in the ``aws:`` namespace are AWS's own; no API lets a user set one (AWS tagging rules)."""
    for tag in tags or ():
        key = tag.get("key")
        if isinstance(key, str) and key.lower().startswith("aws:"):
            raise BedrockError("ValidationException", f"Tag key {key!r} is invalid: the aws: prefix is reserved.")
