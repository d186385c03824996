"""Every mistake is answered at synth with one error naming the construct path, the argument and the rule, and the
value where it is a string: arguments of the wrong type, broken patterns explained in words, fixed names used twice.

Each rule has a failing case and a passing case (cdk-nag's pairs)."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    CustomizationJob,
    CustomModel,
    DistillationConfig,
    InvalidPropsError,
    InvocationLogsConfig,
    RequestMetadataFilter,
    RequestMetadataFilters,
    S3Location,
)

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
TEACHER = "amazon.nova-pro-v1:0"


def new_job(stack: cdk.Stack, name: str = "Job", **overrides: Any) -> CustomizationJob:
    kwargs: dict[str, Any] = {
        "base_model": "amazon.nova-micro-v1:0:128k",
        "training_data": "s3://train-bucket/data.jsonl",
        "output_data": "s3://train-bucket/out/",
    }
    kwargs.update(overrides)
    return CustomizationJob(stack, name, **{k: v for k, v in kwargs.items() if v is not None})


def problems_of(error: pytest.ExceptionInfo[InvalidPropsError]) -> tuple[str, ...]:
    return error.value.problems


# --- arguments of the wrong type -------------------------------------------------------------------------------------
def test_a_bucket_as_training_data_names_the_argument_and_the_fix(make_stack):
    # GIVEN a bucket where an S3 location belongs
    stack = make_stack()
    bucket = s3.Bucket(stack, "Data")
    # WHEN the job is defined THEN one error names the path, the argument and how to write it
    with pytest.raises(InvalidPropsError, match=re.escape("Invalid CustomizationJob (TestStack/Job)")) as error:
        new_job(stack, training_data=bucket)
    (problem,) = problems_of(error)
    assert problem.startswith("training_data must be an S3Location or an s3:// URI (got a Bucket)")
    assert 'S3Location(bucket, "train/data.jsonl")' in problem
    # AND the bucket wrapped as a location is accepted
    new_job(stack, "Fixed", training_data=S3Location(bucket, "train/data.jsonl"))


def test_an_imported_bucket_as_output_data_is_named_a_bucket(make_stack):
    stack = make_stack()
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "my-output-bucket")
    with pytest.raises(InvalidPropsError, match=r"output_data must be an S3Location or an s3:// URI \(got a Bucket\)"):
        new_job(stack, output_data=imported)
    new_job(stack, "Fixed", output_data=S3Location(imported, "out/"))


@pytest.mark.parametrize(
    ("given", "shown"),
    [("location", "one S3Location"), ("uri", "an s3:// URI")],
)
def test_one_validation_location_is_refused_saying_write_a_list(make_stack, given, shown):
    # GIVEN one location (not in a list): a string would otherwise be read as a list of characters
    stack = make_stack()
    bucket = s3.Bucket(stack, "Data")
    value = S3Location(bucket, "validation.jsonl") if given == "location" else "s3://train-bucket/validation.jsonl"
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, validation_data=value)
    assert problems_of(error) == (
        f"validation_data must be a list of 1 to 10 S3 locations (got {shown}): write validation_data=[...] even "
        "for one",
    )
    new_job(stack, "Fixed", validation_data=[value])


def test_request_metadata_filters_as_a_dict_are_refused_with_the_class_to_use(make_stack):
    stack = make_stack()
    logs = InvocationLogsConfig(source="s3://log-bucket/logs/", request_metadata_filters={"equals": {"a": "1"}})
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, training_data=None, invocation_logs=logs, distillation=DistillationConfig(TEACHER))
    (problem,) = problems_of(error)
    assert problem.startswith(
        "invocation_logs.request_metadata_filters must be a RequestMetadataFilters (got a dict): write "
        'RequestMetadataFilters(equals={"project": "a"})'
    )
    fixed = InvocationLogsConfig(
        source="s3://log-bucket/logs/", request_metadata_filters=RequestMetadataFilters(equals={"a": "1"})
    )
    new_job(stack, "Fixed", training_data=None, invocation_logs=fixed, distillation=DistillationConfig(TEACHER))


def test_a_dict_inside_and_all_is_refused_naming_its_index(make_stack):
    stack = make_stack()

    def logs(item: Any) -> InvocationLogsConfig:
        filters = RequestMetadataFilters(and_all=[RequestMetadataFilter(equals={"a": "1"}), item])
        return InvocationLogsConfig(source="s3://log-bucket/logs/", request_metadata_filters=filters)

    with pytest.raises(InvalidPropsError) as error:
        new_job(
            stack,
            training_data=None,
            invocation_logs=logs({"equals": {"b": "2"}}),
            distillation=DistillationConfig(TEACHER),
        )
    assert problems_of(error) == (
        "invocation_logs.request_metadata_filters.and_all[1] must be a RequestMetadataFilter (got dict): write "
        'RequestMetadataFilter(equals={"key": "value"})',
    )
    new_job(stack, "Fixed", training_data=None, invocation_logs=logs(RequestMetadataFilter(not_equals={"b": "2"})),
            distillation=DistillationConfig(TEACHER))  # fmt: skip


def test_a_list_hyperparameter_is_one_line(make_stack):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, hyper_parameters={"epochCount": [1, 2]})
    assert problems_of(error) == (
        "hyper_parameters['epochCount'] must be a string, number or boolean (got list [1, 2]): Bedrock takes one "
        "value per hyperparameter",
    )
    new_job(stack, "Fixed", hyper_parameters={"epochCount": 2})


@pytest.mark.parametrize("argument", ["service_timeout", "wait_timeout"])
def test_a_zero_duration_is_refused_naming_the_path_and_argument(make_stack, argument):
    # A negative Duration cannot be made at all: CDK raises where it is written (Duration.seconds(-5)).
    stack = make_stack()
    with pytest.raises(InvalidPropsError, match=rf"(?s)TestStack/Job.*{argument} must be .*got 0\)"):
        new_job(stack, **{argument: cdk.Duration.seconds(0)})
    new_job(stack, "Fixed", **{argument: cdk.Duration.minutes(30)})


@pytest.mark.parametrize("argument", ["service_timeout", "wait_timeout"])
def test_a_duration_given_as_a_number_is_refused_with_an_example(make_stack, argument):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, **{argument: 1800})
    assert problems_of(error) == (f"{argument} must be a Duration, e.g. Duration.minutes(30) (got int)",)


def test_every_wrong_type_is_reported_at_once(make_stack):
    stack = make_stack()
    bucket = s3.Bucket(stack, "Data")
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, training_data=bucket, output_data=bucket, job_tags=["a"], role=42)
    assert [p.split(" ")[0] for p in problems_of(error)] == ["output_data", "training_data", "job_tags", "role"]


def test_a_bucket_as_custom_model_artifacts_names_the_argument(make_stack):
    stack = make_stack()
    bucket = s3.Bucket(stack, "Artifacts")
    with pytest.raises(InvalidPropsError, match=r"s3_artifacts must be an S3Location or an s3:// URI \(got a Bucket\)"):
        CustomModel(stack, "Model", s3_artifacts=bucket)
    CustomModel(stack, "Fixed", s3_artifacts=S3Location(bucket, "model/"))


# --- patterns in words -----------------------------------------------------------------------------------------------
PATTERN_CASES = [
    # (argument, bad value, good value, headline, a rule line in words)
    (
        "job_name",
        "my job!",
        "my-job.v1",
        "jobName must be a valid job name (value: 'my job!') (argument job_name)",
        "may contain only letters, digits, '+', '-' and '.' (found ' ', '!')",
    ),
    (
        "job_name",
        "-job",
        "job-",
        "jobName must be a valid job name (value: '-job')",
        "must start with a letter or digit (starts with '-')",
    ),
    (
        "custom_model_name",
        "my__model",
        "my_model",
        "customModelName must be a valid custom model name",
        "must not have two '_' or '-' in a row (found '__')",
    ),
    (
        "training_data",
        "https://bucket-1/train.jsonl",
        "s3://bucket-1/train.jsonl",
        "trainingDataConfig.s3Uri must be a valid S3 URI (value: 'https://bucket-1/train.jsonl') (argument "
        "training_data)",
        "must start with s3:// followed by the bucket name (starts with 'https://')",
    ),
    (
        "training_data",
        "s3://My_Bucket/train.jsonl",
        "s3://my-bucket/train.jsonl",
        "trainingDataConfig.s3Uri must be a valid S3 URI",
        "bucket name may contain only lowercase letters, digits, '.' and '-' (found 'B', 'M', '_')",
    ),
    (
        "output_data",
        "s3://bucket-1/out put/",
        "s3://bucket-1/output/",
        "outputDataConfig.s3Uri must be a valid S3 URI",
        "key may contain only letters, digits and - ! _ * ' ( ) . between '/' (found ' ')",
    ),
    (
        "custom_model_kms_key",
        "alias/my key",
        "alias/my-key",
        "customModelKmsKeyId must be a valid KMS key",
        "an alias name may contain only letters, digits, '-', '_' and '/' (found ' ')",
    ),
    (
        "role",
        "arn:aws:iam::1111:role/me",
        "arn:aws:iam::111122223333:role/me",
        "roleArn must be a valid IAM role ARN (value: 'arn:aws:iam::1111:role/me') (argument role)",
        "the account must be 12 digits (got '1111')",
    ),
    (
        "base_model",
        "Nova Micro",
        "amazon.nova-micro-v1:0:128k",
        "baseModelIdentifier must be a valid base model identifier (value: 'Nova Micro') (argument base_model)",
        "may contain only letters, digits, '-', '.', '_', ':' and '/' (found ' ')",
    ),
]


@pytest.mark.parametrize(("argument", "bad", "good", "headline", "rule"), PATTERN_CASES)
def test_a_broken_pattern_shows_the_value_and_the_rule_in_words(make_stack, argument, bad, good, headline, rule):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, **{argument: bad})
    (problem,) = problems_of(error)
    first, *details = problem.split("\n")
    assert first.startswith(headline)
    assert f"    - {rule}" in details
    # the pattern stays, whole, as the last hint
    assert details[-1].startswith("    - Bedrock's pattern (")
    assert "..." not in details[-1]
    new_job(stack, "Fixed", **{argument: good})


def test_a_long_value_is_shown_by_its_start_and_end_with_its_length(make_stack):
    stack = make_stack()
    uri = "s3://bucket-1/" + "a" * 100 + "/bad key.jsonl"
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, training_data=uri)
    (problem,) = problems_of(error)
    headline = problem.split("\n")[0]
    assert headline.startswith("trainingDataConfig.s3Uri must be a valid S3 URI (value: 's3://bucket-1/aaaa")
    assert headline.endswith(f"'...'aaaaaa/bad key.jsonl' ({len(uri)} characters)) (argument training_data)")


def test_a_member_without_words_shows_its_whole_pattern_and_the_value(make_stack):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, job_tags={"team": "a#b"})
    (problem,) = problems_of(error)
    assert problem == (r"jobTags[0].value must match pattern [a-zA-Z0-9\s._:/=+@-]* (value: 'a#b') (argument job_tags)")


def test_custom_model_patterns_are_explained_too(make_stack):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as error:
        CustomModel(stack, "Model", model_package_arn=PACKAGE, kms_key="alias/models")
    (problem,) = problems_of(error)
    assert problem.startswith("modelKmsKeyArn must be a valid KMS key ARN (value: 'alias/models') (argument kms_key)")
    rule = "must be a key ARN, arn:aws:kms:<region>:<account>:key/<36-character key id> (not an alias or key id)"
    assert f"    - {rule}" in problem.split("\n")


# --- fixed names used twice ------------------------------------------------------------------------------------------
def test_two_jobs_with_one_fixed_job_name_are_refused_naming_both_paths(make_stack):
    stack = make_stack()
    new_job(stack, "First", job_name="support-bot-v1")
    with pytest.raises(InvalidPropsError) as error:
        new_job(stack, "Second", job_name="support-bot-v1")
    assert error.value.path == "TestStack/Second"
    (problem,) = problems_of(error)
    assert problem.startswith(
        "job_name 'support-bot-v1' is already the job_name of TestStack/First in this stack: Bedrock job names are "
        "unique per account and Region"
    )
    new_job(stack, "Third", job_name="support-bot-v2")


def test_a_job_and_a_custom_model_with_one_model_name_are_refused(make_stack):
    # Bedrock keeps one namespace for custom models, whichever way they are made
    stack = make_stack()
    new_job(stack, "Job", custom_model_name="support-model")
    with pytest.raises(InvalidPropsError, match=r"model_name 'support-model' is already the custom_model_name of "
                                                r"TestStack/Job in this stack"):  # fmt: skip
        CustomModel(stack, "Model", model_name="support-model", model_package_arn=PACKAGE)
    CustomModel(stack, "Other", model_name="support-model-2", model_package_arn=PACKAGE)
    with pytest.raises(InvalidPropsError, match=r"custom_model_name 'support-model-2' is already the model_name of "
                                                r"TestStack/Other"):  # fmt: skip
        new_job(stack, "Again", custom_model_name="support-model-2")


def test_a_job_name_may_equal_a_model_name_and_names_are_per_stack(make_stack):
    # jobs and models are different namespaces; another stack is another deployment
    app = cdk.App()
    first, second = cdk.Stack(app, "First"), cdk.Stack(app, "Second")
    new_job(first, "Job", job_name="same", custom_model_name="same")
    new_job(second, "Job", job_name="same", custom_model_name="same")


def test_a_refused_job_does_not_take_its_name(make_stack):
    stack = make_stack()
    with pytest.raises(InvalidPropsError):
        new_job(stack, "Broken", job_name="kept-free", training_data="https://no")
    new_job(stack, "Job", job_name="kept-free")
