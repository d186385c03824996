"""Typed inputs of :class:`~bedrock_customization.CustomizationJob` beyond plain strings: the customization type and
the nested configurations of distillation, reinforcement fine-tuning and invocation-log training data.

Each mirrors one structure of ``CreateModelCustomizationJob`` and knows how to render itself in the API's camelCase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .references import FunctionInput, ModelInput, function_arn, model_identifier
from .s3_location import S3Input


class CustomizationType(StrEnum):
    """What kind of customization a job runs (``customizationType``)."""

    FINE_TUNING = "FINE_TUNING"
    CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
    DISTILLATION = "DISTILLATION"
    REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"


class ReasoningEffort(StrEnum):
    """``rftConfig.hyperParameters.reasoningEffort``."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class DistillationConfig:
    """The teacher of a DISTILLATION job (``customizationConfig.distillationConfig``).

    Example::

        DistillationConfig(teacher_model="amazon.nova-pro-v1:0", max_response_length_for_inference=1000)
    """

    #: Foundation model id/ARN or inference profile ARN of the teacher (or an ``aws_bedrock.IModel``).
    teacher_model: ModelInput
    #: Most tokens requested per teacher invocation. Default: Bedrock's default.
    max_response_length_for_inference: int | None = None

    def render(self) -> dict[str, Any]:
        teacher = {
            "teacherModelIdentifier": model_identifier(self.teacher_model),
            "maxResponseLengthForInference": self.max_response_length_for_inference,
        }
        return {"distillationConfig": {"teacherModelConfig": prune(teacher)}}


@dataclass(frozen=True)
class RftHyperParameters:
    """``rftConfig.hyperParameters``; every field defaults to Bedrock's default when None."""

    epoch_count: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    max_prompt_length: int | None = None
    training_sample_per_prompt: int | None = None
    inference_max_tokens: int | None = None
    reasoning_effort: ReasoningEffort | str | None = None
    eval_interval: int | None = None

    def render(self) -> dict[str, Any]:
        effort = self.reasoning_effort
        return prune(
            {
                "epochCount": self.epoch_count,
                "batchSize": self.batch_size,
                "learningRate": self.learning_rate,
                "maxPromptLength": self.max_prompt_length,
                "trainingSamplePerPrompt": self.training_sample_per_prompt,
                "inferenceMaxTokens": self.inference_max_tokens,
                "reasoningEffort": effort.value if isinstance(effort, ReasoningEffort) else effort,
                "evalInterval": self.eval_interval,
            }
        )


@dataclass(frozen=True)
class RftConfig:
    """Reinforcement fine-tuning (``customizationConfig.rftConfig``): a Lambda grader scores the model's answers.

    Example::

        RftConfig(grader=grader_function, hyper_parameters=RftHyperParameters(epoch_count=2, batch_size=64))
    """

    #: The grader: a ``lambda.IFunction`` (the service role may invoke it) or a function ARN.
    grader: FunctionInput
    hyper_parameters: RftHyperParameters | None = None

    def grader_arn(self) -> str:
        return function_arn(self.grader)

    def render(self) -> dict[str, Any]:
        rft = {
            "graderConfig": {"lambdaGrader": {"lambdaArn": self.grader_arn()}},
            "hyperParameters": self.hyper_parameters.render() if self.hyper_parameters else None,
        }
        return {"rftConfig": prune(rft)}


@dataclass(frozen=True)
class RequestMetadataFilter:
    """One condition of :class:`RequestMetadataFilters`' ``and_all`` / ``or_all``: which invocation-log records to
    train on, by the request metadata the application sent with each invocation. Set exactly one of ``equals`` /
    ``not_equals``, with one key-value pair (Bedrock's rule).

    Example::

        # train on the support bot's production traffic only
        RequestMetadataFilters(and_all=[
            RequestMetadataFilter(equals={"project": "support-bot"}),
            RequestMetadataFilter(not_equals={"stage": "test"}),
        ])
    """

    equals: Mapping[str, str] | None = None
    not_equals: Mapping[str, str] | None = None

    def render(self) -> dict[str, Any]:
        return prune({"equals": _plain(self.equals), "notEquals": _plain(self.not_equals)})


@dataclass(frozen=True)
class RequestMetadataFilters:
    """Which invocation-log records to train on (``requestMetadataFilters``, a union: set exactly one field).

    Example::

        RequestMetadataFilters(equals={"project": "support-bot"})
        RequestMetadataFilters(and_all=[RequestMetadataFilter(equals={"team": "a"}),
                                        RequestMetadataFilter(not_equals={"stage": "test"})])
    """

    equals: Mapping[str, str] | None = None
    not_equals: Mapping[str, str] | None = None
    and_all: Sequence[RequestMetadataFilter] | None = None
    or_all: Sequence[RequestMetadataFilter] | None = None

    def render(self) -> dict[str, Any]:
        return prune(
            {
                "equals": _plain(self.equals),
                "notEquals": _plain(self.not_equals),
                "andAll": [f.render() for f in self.and_all] if self.and_all is not None else None,
                "orAll": [f.render() for f in self.or_all] if self.or_all is not None else None,
            }
        )


@dataclass(frozen=True)
class InvocationLogsConfig:
    """Train on Bedrock's model invocation logs instead of a prepared dataset (distillation, reinforcement
    fine-tuning).

    Example::

        InvocationLogsConfig(source=S3Location(log_bucket, "invocation-logs/"), use_prompt_response=True,
                             request_metadata_filters=RequestMetadataFilters(equals={"project": "support-bot"}))
    """

    #: Where the invocation logs are (``invocationLogSource.s3Uri``).
    source: S3Input
    #: Train on the logged responses (True) or only on the prompts, letting the teacher answer (False).
    #: Default: Bedrock's default (prompts only).
    use_prompt_response: bool | None = None
    request_metadata_filters: RequestMetadataFilters | None = None


def prune(value: Mapping[str, Any]) -> dict[str, Any]:
    """Drop members that are None: absent, not null, is how the API (and CloudFormation) spells "not set"."""
    return {k: v for k, v in value.items() if v is not None}


def _plain(mapping: Mapping[str, str] | None) -> dict[str, str] | None:
    return dict(mapping) if mapping is not None else None
