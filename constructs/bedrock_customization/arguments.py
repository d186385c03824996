"""The Python types of the constructs' arguments, checked before anything is rendered.

A value of the wrong type cannot be rendered as an API request at all (a ``Bucket`` where an S3 location belongs, a
plain dict where a filter object belongs), so the constructs check the types first and report every wrong one in one
:class:`~.errors.InvalidPropsError` that names the argument, what it accepts and, where the mistake is a common one,
the fix (``S3Location(bucket, "key")``). Only Python ``isinstance`` checks and class attribute lookups are made here:
no round trip to the jsii kernel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration

from .options import (
    CustomizationType,
    DistillationConfig,
    InvocationLogsConfig,
    RequestMetadataFilter,
    RequestMetadataFilters,
    RftConfig,
)
from .references import VpcConfig
from .s3_location import S3Location
from .validation import ProblemCollector


def type_name(value: object) -> str:
    """The class name a user recognises (jsii proxies of imported objects are named ``_IBucketProxy``)."""
    name = type(value).__name__
    if name.startswith("_") and name.endswith("Proxy"):
        name = name[1:-5]
        if name[:1] == "I" and name[1:2].isupper():
            name = name[1:]
        name = name.removesuffix("Base")
    return name


def _has(value: object, attribute: str) -> bool:
    """``value``'s class declares ``attribute`` (a jsii property is a class attribute: no kernel call). An object the
    kernel hands back for several interfaces at once is a dynamic proxy that forwards attributes: asked directly."""
    if type(value).__name__ == "InterfaceDynamicProxy":
        return hasattr(value, attribute)
    return hasattr(type(value), attribute)


def _is_bucket(value: object) -> bool:
    return _has(value, "bucket_name") and _has(value, "arn_for_objects")


def check_s3(problems: ProblemCollector, argument: str, value: object) -> None:
    """An S3 location: ``S3Location`` or an ``s3://`` URI string."""
    if value is None or isinstance(value, S3Location | str):
        return
    if _is_bucket(value):
        problems.add(
            f"{argument} must be an S3Location or an s3:// URI (got a {type_name(value)}): name the objects in the "
            f'bucket, e.g. S3Location(bucket, "train/data.jsonl") (the whole bucket: S3Location(bucket))'
        )
        return
    problems.add(f"{argument} must be an S3Location or an s3:// URI (got {type_name(value)})")


def check_s3_list(problems: ProblemCollector, argument: str, value: object) -> None:
    """A list of S3 locations. One location alone is refused rather than guessed at: a string is itself a sequence
    (of characters), and aws-cdk's own list arguments take lists only."""
    if value is None:
        return
    if isinstance(value, S3Location | str) or _is_bucket(value):
        shown = "an s3:// URI" if isinstance(value, str) else f"one {type_name(value)}"
        problems.add(
            f"{argument} must be a list of 1 to 10 S3 locations (got {shown}): write {argument}=[...] even for one"
        )
        return
    if not isinstance(value, Sequence):
        problems.add(f"{argument} must be a list of S3Location or s3:// URIs (got {type_name(value)})")
        return
    for index, item in enumerate(value):
        check_s3(problems, f"{argument}[{index}]", item)


def check_instance(problems: ProblemCollector, argument: str, value: object, expected: type, hint: str = "") -> None:
    if value is not None and not isinstance(value, expected):
        problems.add(f"{argument} must be a {expected.__name__} (got {type_name(value)}){hint}")


def check_string(problems: ProblemCollector, argument: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        problems.add(f"{argument} must be a string (got {type_name(value)})")


def check_mapping(problems: ProblemCollector, argument: str, value: object) -> None:
    if value is not None and not isinstance(value, Mapping):
        problems.add(f"{argument} must be a mapping of names to values (got {type_name(value)})")


def check_duration(problems: ProblemCollector, argument: str, value: object) -> None:
    """A ``Duration``. A negative one cannot reach here: ``Duration.seconds(-5)`` raises where it is written (the
    traceback names that line); zero and too short ones are checked with the argument's range."""
    if value is not None and not isinstance(value, Duration):
        problems.add(f"{argument} must be a Duration, e.g. Duration.minutes(30) (got {type_name(value)})")


def check_model(problems: ProblemCollector, argument: str, value: object) -> None:
    """A model id/ARN string or an ``aws_bedrock.IModel`` (anything with a ``model_arn``)."""
    if isinstance(value, str) or _has(value, "model_arn"):
        return
    problems.add(f"{argument} must be a model id or ARN, or an aws_bedrock.IModel (got {type_name(value)})")


def check_key(problems: ProblemCollector, argument: str, value: object) -> None:
    if value is not None and not (isinstance(value, str) or _has(value, "key_arn")):
        problems.add(f"{argument} must be a kms.IKey or a key ARN, id or alias (got {type_name(value)})")


def check_role(problems: ProblemCollector, argument: str, value: object) -> None:
    if value is not None and not (isinstance(value, str) or _has(value, "role_arn")):
        problems.add(f"{argument} must be an iam.IRole or a role ARN (got {type_name(value)})")


def check_filters(problems: ProblemCollector, argument: str, value: object) -> None:
    """``RequestMetadataFilters`` and the ``RequestMetadataFilter`` items of its ``and_all`` / ``or_all``."""
    if value is None:
        return
    if isinstance(value, Mapping):
        problems.add(
            f"{argument} must be a RequestMetadataFilters (got a {type_name(value)}): write "
            f'RequestMetadataFilters(equals={{"project": "a"}}) (or not_equals=, and_all=[...], or_all=[...])'
        )
        return
    if not isinstance(value, RequestMetadataFilters):
        problems.add(f"{argument} must be a RequestMetadataFilters (got {type_name(value)})")
        return
    for field in ("and_all", "or_all"):
        items = getattr(value, field)
        if items is None:
            continue
        if not isinstance(items, Sequence) or isinstance(items, str | Mapping):
            problems.add(f"{argument}.{field} must be a list of RequestMetadataFilter (got {type_name(items)})")
            continue
        for index, item in enumerate(items):
            hint = ': write RequestMetadataFilter(equals={"key": "value"})' if isinstance(item, Mapping) else ""
            check_instance(problems, f"{argument}.{field}[{index}]", item, RequestMetadataFilter, hint)


def check_hyper_parameters(problems: ProblemCollector, argument: str, value: object) -> None:
    check_mapping(problems, argument, value)
    if not isinstance(value, Mapping):
        return
    for name, item in value.items():
        if not isinstance(item, str | int | float | bool):
            problems.add(
                f"{argument}[{name!r}] must be a string, number or boolean (got {type_name(item)} {_short(item)}): "
                "Bedrock takes one value per hyperparameter"
            )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_job_arguments(problems: ProblemCollector, arguments: Mapping[str, Any]) -> None:
    """The types of every ``CustomizationJob`` argument (``arguments``: name -> value as given)."""
    check_model(problems, "base_model", arguments["base_model"])
    check_s3(problems, "output_data", arguments["output_data"])
    check_s3(problems, "training_data", arguments["training_data"])
    check_s3_list(problems, "validation_data", arguments["validation_data"])
    logs = arguments["invocation_logs"]
    check_instance(problems, "invocation_logs", logs, InvocationLogsConfig)
    if isinstance(logs, InvocationLogsConfig):
        check_s3(problems, "invocation_logs.source", logs.source)
        check_filters(problems, "invocation_logs.request_metadata_filters", logs.request_metadata_filters)
    customization_type = arguments["customization_type"]
    if customization_type is not None and not isinstance(customization_type, CustomizationType | str):
        problems.add(f"customization_type must be a CustomizationType (got {type_name(customization_type)})")
    for name in ("job_name", "custom_model_name"):
        check_string(problems, name, arguments[name])
    check_hyper_parameters(problems, "hyper_parameters", arguments["hyper_parameters"])
    distillation = arguments["distillation"]
    check_instance(problems, "distillation", distillation, DistillationConfig)
    if isinstance(distillation, DistillationConfig):
        check_model(problems, "distillation.teacher_model", distillation.teacher_model)
    check_instance(problems, "reinforcement_fine_tuning", arguments["reinforcement_fine_tuning"], RftConfig)
    check_key(problems, "custom_model_kms_key", arguments["custom_model_kms_key"])
    for name in ("job_tags", "custom_model_tags"):
        check_mapping(problems, name, arguments[name])
    check_instance(problems, "vpc_config", arguments["vpc_config"], VpcConfig)
    check_role(problems, "role", arguments["role"])
    for name in ("service_timeout", "wait_timeout"):
        check_duration(problems, name, arguments[name])


def check_model_arguments(problems: ProblemCollector, arguments: Mapping[str, Any]) -> None:
    """The types of every ``CustomModel`` argument."""
    check_string(problems, "model_name", arguments["model_name"])
    check_s3(problems, "s3_artifacts", arguments["s3_artifacts"])
    check_string(problems, "model_package_arn", arguments["model_package_arn"])
    check_key(problems, "kms_key", arguments["kms_key"])
    check_role(problems, "role", arguments["role"])
    check_mapping(problems, "model_tags", arguments["model_tags"])
    for name in ("service_timeout", "wait_timeout"):
        check_duration(problems, name, arguments[name])
