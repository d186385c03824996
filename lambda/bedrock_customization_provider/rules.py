"""Run-time validation of resource properties: the botocore shape first, then what the shape cannot say.

The shape (via :mod:`.shapes`) checks types, lengths, counts, patterns and enums generically. The few rules below are
semantic (mutually exclusive members, a member required by another one's value), each returned as a
:class:`~.shapes.Problem` so the reason names the field and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import contract, hyperparameters, shapes
from .errors import InvalidPropertiesError

JOB_OPERATION = "CreateModelCustomizationJob"
MODEL_OPERATION = "CreateCustomModel"
DEPLOYMENT_OPERATION = "CreateCustomModelDeployment"
THROUGHPUT_OPERATION = "CreateProvisionedModelThroughput"
MODEL_IMPORT_OPERATION = "CreateModelImportJob"
#: Members the provider fills in itself; never validated as user input.
PROVIDER_FILLED = frozenset({"clientRequestToken"})

# customizationType -> the customizationConfig member it needs (and no other).
_CONFIG_FOR_TYPE = {"DISTILLATION": "distillationConfig", "REINFORCEMENT_FINE_TUNING": "rftConfig"}


def job_semantic_problems(request: Mapping[str, Any]) -> list[shapes.Problem]:
    """Rules of CreateModelCustomizationJob that its shape does not express."""
    problems = []
    training = request.get("trainingDataConfig")
    if isinstance(training, Mapping):
        sources = [k for k in ("s3Uri", "invocationLogsConfig") if training.get(k) is not None]
        if len(sources) != 1:
            got = ", ".join(sources) or "none"
            problems.append(
                shapes.Problem("trainingDataConfig", f"must set exactly one of s3Uri, invocationLogsConfig (got {got})")
            )
    kind = request.get("customizationType", "FINE_TUNING")
    config = request.get("customizationConfig")
    config_members = sorted(config) if isinstance(config, Mapping) else []
    needed = _CONFIG_FOR_TYPE.get(kind) if isinstance(kind, str) else None  # the shape says it must be a string
    if needed and needed not in config_members:
        problems.append(shapes.Problem(f"customizationConfig.{needed}", f"is required for customizationType {kind}"))
    for member in config_members:
        if member in _CONFIG_FOR_TYPE.values() and member != needed:
            problems.append(
                shapes.Problem(f"customizationConfig.{member}", f"is not allowed for customizationType {kind}")
            )
    for member in sorted(contract.JOB_TAG_MEMBERS):
        problems += tag_problems(member, request.get(member))
    return problems


def hyperparameter_problems(
    request: Mapping[str, Any],
    *,
    base_model: object = None,
    is_unresolved: Callable[[object], bool] = lambda value: False,
) -> list[shapes.Problem]:
    """The job's ``hyperParameters`` against the catalogue of documented per-model ranges (:mod:`.hyperparameters`).

    ``base_model`` is the foundation model to check against when it differs from ``baseModelIdentifier`` (at synth,
    the root of a chain of jobs); a base model the catalogue does not know is not checked.
    """
    base = base_model if base_model is not None else request.get("baseModelIdentifier")
    kind = request.get("customizationType", "FINE_TUNING")
    return hyperparameters.problems(base, kind, request.get("hyperParameters"), is_unresolved=is_unresolved)


def model_semantic_problems(request: Mapping[str, Any]) -> list[shapes.Problem]:
    """Rules of CreateCustomModel that its shape does not express."""
    problems = []
    sources = [k for k in ("modelSourceConfig", "customModelDataSource") if request.get(k) is not None]
    if not sources:
        problems.append(shapes.Problem("modelSourceConfig", "or customModelDataSource is required"))
    elif len(sources) > 1:
        problems.append(shapes.Problem("customModelDataSource", "cannot be combined with modelSourceConfig"))
    if "modelSourceConfig" in sources and not request.get("roleArn"):
        problems.append(shapes.Problem("roleArn", "is required when modelSourceConfig is set"))
    return problems + tag_problems("modelTags", request.get("modelTags"))


def tagged_resource_problems(operation: str) -> Callable[[Mapping[str, Any]], list[shapes.Problem]]:
    """The rules of a Create whose only rules beyond its shape are its tag lists' (deployments, throughputs,
    model imports): each tag member of ``operation`` within its limit (the provider's tag takes one slot)."""
    members = {
        DEPLOYMENT_OPERATION: ("tags",),
        THROUGHPUT_OPERATION: ("tags",),
        MODEL_IMPORT_OPERATION: tuple(sorted(contract.MODEL_IMPORT_TAG_MEMBERS)),
    }[operation]
    limits = contract.MAX_TAGS_BY_OPERATION.get(operation, {})

    def problems(request: Mapping[str, Any]) -> list[shapes.Problem]:
        found = []
        for member in members:
            found += tag_problems(member, request.get(member), limit=limits.get(member))
        return found

    return problems


def tag_problems(member: str, tags: Any, *, limit: int | None = None) -> list[shapes.Problem]:
    """Bedrock's tag rules its shape cannot express, for the tag list of API member ``member``.

    At most :data:`~.contract.MAX_TAGS` tags (Bedrock's 50 per resource, one fewer where the provider adds its own),
    no key in the ``aws:`` namespace (AWS's own), none of the provider's reserved keys. Anything but a list (a CDK
    token at synth time) is left alone; so is a key that is not a literal string. ``limit``: this operation's own
    limit for the member, where it differs from :data:`~.contract.MAX_TAGS` (:data:`~.contract.MAX_TAGS_BY_OPERATION`).
    """
    if not isinstance(tags, list):
        return []
    problems = []
    limit = contract.MAX_TAGS[member] if limit is None else limit
    if len(tags) > limit:
        total = contract.MAX_TAGS_PER_RESOURCE
        why = "" if limit == total else f": the provider adds one of the {total} a resource may have"
        problems.append(shapes.Problem(member, f"must have at most {limit} tags (got {len(tags)}){why}"))
    keys = [tag.get("key") for tag in tags if isinstance(tag, Mapping)]
    for key in keys:
        if isinstance(key, str) and key.lower().startswith("aws:"):
            problems.append(shapes.Problem(member, f"key {key!r} must not start with 'aws:' (reserved for AWS)"))
        elif isinstance(key, str) and key in contract.RESERVED_TAG_KEYS:
            problems.append(shapes.Problem(member, f"key {key!r} is reserved for the provider; use another key"))
    return problems


_SEMANTIC: dict[str, Callable[[Mapping[str, Any]], list[shapes.Problem]]] = {
    JOB_OPERATION: job_semantic_problems,
    MODEL_OPERATION: model_semantic_problems,
}


def checked_request(operation: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """The properties as a Bedrock request: coerced from the shape, then validated; raises on any problem."""
    request = shapes.coerce_request(operation, dict(properties))
    problems = shapes.validate_request(operation, request, ignore=PROVIDER_FILLED)
    semantic = _SEMANTIC.get(operation) or tagged_resource_problems(operation)
    problems += semantic(request)
    if operation == JOB_OPERATION:
        problems += hyperparameter_problems(request)
    problems += [
        shapes.Problem(name, "is derived by the provider from the CloudFormation request; remove it")
        for name in PROVIDER_FILLED
        if name in properties
    ]
    if problems:
        raise InvalidPropertiesError(problems)
    return request
