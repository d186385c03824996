"""The rules of ``CreateModelCustomizationJob`` that its input shape cannot express (the shape itself is checked by
the provider's shared validator): which arguments go together, and which exclude each other."""

from __future__ import annotations

from .job_request import JobInputs
from .options import CustomizationType
from .validation import ProblemCollector

MAX_VALIDATORS = 10
_DISTILLATION = CustomizationType.DISTILLATION.value
_RFT = CustomizationType.REINFORCEMENT_FINE_TUNING.value


def check_job_rules(problems: ProblemCollector, inputs: JobInputs) -> None:
    kind = inputs.kind
    if kind == "IMPORTED":  # in the API's enum, but no job creates that type; other unknown values: shape check
        problems.add("customization_type IMPORTED is not a job type (use CustomModel to register artifacts)")
    if inputs.training_data is None and inputs.invocation_logs is None:
        problems.add("training_data or invocation_logs is required")
    if inputs.training_data is not None and inputs.invocation_logs is not None:
        problems.add("training_data and invocation_logs are mutually exclusive: set exactly one")
    if kind == _DISTILLATION and inputs.distillation is None:
        problems.add("distillation (the teacher model) is required for customization_type DISTILLATION")
    if inputs.distillation is not None and kind != _DISTILLATION:
        problems.add(f"distillation is only valid with customization_type DISTILLATION (got {kind})")
    if kind == _RFT and inputs.reinforcement_fine_tuning is None:
        problems.add(f"reinforcement_fine_tuning (the grader) is required for customization_type {_RFT}")
    if inputs.reinforcement_fine_tuning is not None and kind != _RFT:
        problems.add(f"reinforcement_fine_tuning is only valid with customization_type {_RFT} (got {kind})")
    if inputs.validation_data is not None and len(inputs.validation_data) == 0:
        problems.add(f"validation_data must have 1 to {MAX_VALIDATORS} items (got 0); omit it for none")
    for name, value in (inputs.hyper_parameters or {}).items():
        if not isinstance(value, str | int | float | bool):
            problems.add(f"hyper_parameters[{name!r}] must be a string, number or boolean (got {type(value).__name__})")
