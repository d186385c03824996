"""The rules of ``CreateModelCustomizationJob`` beyond its input shape.

Rules of the API itself (exactly one training data source; the customization config a customization type needs, and
no other) are the provider's (:func:`bedrock_customization_provider.rules.job_semantic_problems`): they run here on
the rendered request, so synth and deploy apply the same code. Only rules about the construct's own arguments stay
here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_customization_provider import rules

from .job_request import JobInputs
from .validation import ProblemCollector

MAX_VALIDATORS = 10


def check_job_rules(
    problems: ProblemCollector, inputs: JobInputs, request: Mapping[str, Any], arguments: Mapping[str, str]
) -> None:
    """``request`` is the rendered request (as validated); ``arguments`` maps its paths to argument names."""
    problems.add_api_problems(rules.job_semantic_problems(request), arguments)
    if inputs.kind == "IMPORTED":  # in the API's enum, but no job creates that type; other unknown values: shape check
        problems.add("customization_type IMPORTED is not a job type (use CustomModel to register artifacts)")
    if inputs.validation_data is not None and len(inputs.validation_data) == 0:
        problems.add(f"validation_data must have 1 to {MAX_VALIDATORS} items (got 0); omit it for none")
    for name, value in (inputs.hyper_parameters or {}).items():
        if not isinstance(value, str | int | float | bool):
            problems.add(f"hyper_parameters[{name!r}] must be a string, number or boolean (got {type(value).__name__})")
