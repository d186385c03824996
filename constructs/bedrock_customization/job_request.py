"""A customization job's inputs, resolved once, and their rendering as a ``CreateModelCustomizationJob`` request.

The same rendering serves two readers: the template (the custom resource's properties) and the synth-time validator,
which sees a placeholder bucket name where the bucket is a token so the key part of each S3 URI is still checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .options import CustomizationType, DistillationConfig, InvocationLogsConfig, RftConfig, prune
from .references import ModelInput, ResolvedKey, VpcConfig, model_identifier
from .resource_rules import render_tags
from .s3_location import ResolvedS3, S3Input, resolve_s3

HyperParameterValue = str | int | float | bool


@dataclass(frozen=True)
class JobInputs:
    """Everything a user passes to ``CustomizationJob`` except the role (which may not exist yet)."""

    base_model: ModelInput
    output_data: S3Input
    training_data: S3Input | None
    invocation_logs: InvocationLogsConfig | None
    customization_type: CustomizationType | str | None
    job_name: str | None
    custom_model_name: str | None
    validation_data: Sequence[S3Input] | None
    hyper_parameters: Mapping[str, HyperParameterValue] | None
    distillation: DistillationConfig | None
    reinforcement_fine_tuning: RftConfig | None
    key: ResolvedKey | None
    job_tags: Mapping[str, str] | None
    custom_model_tags: Mapping[str, str] | None
    vpc_config: VpcConfig | None

    @property
    def kind(self) -> str:
        """The customization type: as given, else implied by the distillation / RFT config, else FINE_TUNING."""
        given = self.customization_type
        if isinstance(given, CustomizationType):
            return given.value
        if given is not None:
            return given
        if self.distillation is not None:
            return CustomizationType.DISTILLATION.value
        if self.reinforcement_fine_tuning is not None:
            return CustomizationType.REINFORCEMENT_FINE_TUNING.value
        return CustomizationType.FINE_TUNING.value


class JobRequest:
    """The request for :class:`JobInputs`, with the S3 locations resolved for rendering and for IAM."""

    def __init__(self, inputs: JobInputs) -> None:
        self.inputs = inputs
        self.training = resolve_s3(inputs.training_data) if inputs.training_data is not None else None
        logs = inputs.invocation_logs
        self.log_source = resolve_s3(logs.source) if logs is not None else None
        data = inputs.validation_data
        self.validators = [resolve_s3(v) for v in data] if data is not None else None
        self.output = resolve_s3(inputs.output_data)

    @property
    def reads(self) -> list[ResolvedS3]:
        """Every location the job reads (training data or invocation logs, validation data)."""
        return [loc for loc in (self.training, self.log_source, *(self.validators or [])) if loc is not None]

    def provider_filled_members(self) -> set[str]:
        """Members the provider supplies when absent (so they are not "required" at synth time)."""
        names = {"jobName": self.inputs.job_name, "customModelName": self.inputs.custom_model_name}
        return {"clientRequestToken"} | {member for member, value in names.items() if value is None}

    def render(
        self, role_arn: str | None, *, for_validation: bool = False, tag_lists: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The request; ``tag_lists`` replaces the explicit ``jobTags`` / ``customModelTags`` (e.g. lazy tokens)."""
        inputs = self.inputs

        def uri(location: ResolvedS3) -> str:
            return location.validation_uri if for_validation else location.uri

        return prune(
            {
                "jobName": inputs.job_name,
                "customModelName": inputs.custom_model_name,
                "roleArn": role_arn,
                "baseModelIdentifier": model_identifier(inputs.base_model),
                "customizationType": inputs.kind,
                "trainingDataConfig": self._training_config(uri),
                "validationDataConfig": {"validators": [{"s3Uri": uri(v)} for v in self.validators]}
                if self.validators is not None
                else None,
                "outputDataConfig": {"s3Uri": uri(self.output)},
                "hyperParameters": render_hyper_parameters(inputs.hyper_parameters),
                "customModelKmsKeyId": inputs.key.api_value if inputs.key else None,
                "jobTags": render_tags(inputs.job_tags),
                "customModelTags": render_tags(inputs.custom_model_tags),
                "vpcConfig": _render_vpc(inputs.vpc_config),
                "customizationConfig": self._customization_config(),
                **(tag_lists or {}),
            }
        )

    def _training_config(self, uri: Callable[[ResolvedS3], str]) -> dict[str, Any]:
        logs = self.inputs.invocation_logs
        logs_config = None
        if logs is not None and self.log_source is not None:
            filters = logs.request_metadata_filters
            logs_config = prune(
                {
                    "usePromptResponse": logs.use_prompt_response,
                    "invocationLogSource": {"s3Uri": uri(self.log_source)},
                    "requestMetadataFilters": filters.render() if filters is not None else None,
                }
            )
        return prune({"s3Uri": uri(self.training) if self.training else None, "invocationLogsConfig": logs_config})

    def _customization_config(self) -> dict[str, Any] | None:
        # Both set renders both, so the validation sees (and reports) what the user asked for.
        configs = [c.render() for c in (self.inputs.distillation, self.inputs.reinforcement_fine_tuning) if c]
        return {name: value for config in configs for name, value in config.items()} or None


def render_hyper_parameters(values: Mapping[str, HyperParameterValue] | None) -> dict[str, Any] | None:
    """Bedrock takes every hyperparameter as a string; numbers are written without exponents ("0.00001")."""
    if values is None:
        return None
    rendered: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, bool):
            rendered[name] = "true" if value else "false"
        elif isinstance(value, int):
            rendered[name] = str(value)
        elif isinstance(value, float):
            rendered[name] = format(Decimal(repr(value)), "f")
        else:
            rendered[name] = value  # strings (tokens included); other types are reported by the job rules
    return rendered


def _render_vpc(vpc: VpcConfig | None) -> dict[str, Any] | None:
    if vpc is None:
        return None
    return {"subnetIds": vpc.subnet_ids(), "securityGroupIds": vpc.security_group_ids()}
