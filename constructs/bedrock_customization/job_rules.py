"""The rules of ``CreateModelCustomizationJob`` beyond its input shape.

Rules of the API itself (exactly one training data source; the customization config a customization type needs, and
no other) are the provider's (:func:`bedrock_customization_provider.rules.job_semantic_problems`): they run here on
the rendered request, so synth and deploy apply the same code. Only rules about the construct's own arguments stay
here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Tokenization
from bedrock_customization_provider import contract, rules
from constructs import IConstruct

from .job_request import JobInputs
from .validation import ProblemCollector, is_unresolved

MAX_VALIDATORS = 10
#: How many jobs back a chain of ``base_model=job.model`` is followed to find its foundation model.
MAX_CHAIN = 20


def check_job_rules(
    problems: ProblemCollector, inputs: JobInputs, request: Mapping[str, Any], arguments: Mapping[str, str]
) -> None:
    """``request`` is the rendered request (as validated); ``arguments`` maps its paths to argument names."""
    problems.add_api_problems(rules.job_semantic_problems(request), arguments)
    root = root_base_model(request.get("baseModelIdentifier"))
    checked = rules.hyperparameter_problems(request, base_model=root, is_unresolved=is_unresolved)
    problems.add_api_problems(checked, arguments)
    if inputs.kind == "IMPORTED":  # in the API's enum, but no job creates that type; other unknown values: shape check
        problems.add("customization_type IMPORTED is not a job type (use CustomModel to register artifacts)")
    if inputs.validation_data is not None and len(inputs.validation_data) == 0:
        problems.add(f"validation_data must have 1 to {MAX_VALIDATORS} items (got 0); omit it for none")
    for name, value in (inputs.hyper_parameters or {}).items():
        if not isinstance(value, str | int | float | bool):
            problems.add(f"hyper_parameters[{name!r}] must be a string, number or boolean (got {type(value).__name__})")


def root_base_model(identifier: object) -> object:
    """The base model a job's hyperparameters are checked against: ``identifier`` itself, or, when it is another job's
    ``model`` in this app (a token for that job's output ARN), the base model at the root of that chain.

    The token is reversed to the resource that produces it and its ``CustomizationJob`` ancestor, whose rendered
    ``baseModelIdentifier`` is read back; any other token (an imported or registered model, a parameter) stays as it
    is, and the catalogue does not check it.
    """
    for _ in range(MAX_CHAIN):
        if not (isinstance(identifier, str) and is_unresolved(identifier)):
            return identifier
        base = _job_base_model(identifier)
        if base is None:
            return identifier
        identifier = base
    return identifier


def _job_base_model(token: str) -> object | None:
    fragments = Tokenization.reverse_string(token)
    if fragments.length != 1 or fragments.first_token is None:
        return None  # a string with more than the token in it is not a model ARN attribute
    scope: IConstruct | None = getattr(fragments.first_token, "target", None)
    while scope is not None:
        resource = getattr(scope, "resource", None)
        child = getattr(getattr(resource, "node", None), "default_child", None)
        if getattr(child, "cfn_resource_type", None) == contract.JOB_RESOURCE_TYPE:
            properties = getattr(child, "_cfn_properties", None) or {}
            return properties.get("baseModelIdentifier")
        scope = scope.node.scope
    return None
