"""The emulator refuses what Bedrock refuses beyond the input shape: a failing and a passing case per rule.

Bedrock's own wording for these refusals is not published; the messages are the emulator's (README, "Behaviour choices
not confirmed"). The error code, ValidationException with HTTP 400, is the one the API reference lists for invalid
input.
"""

from __future__ import annotations

from typing import Any

import pytest

TEACHER = {"teacherModelConfig": {"teacherModelIdentifier": "amazon.nova-pro-v1:0"}}
RFT = {
    "rftConfig": {"graderConfig": {"lambdaGrader": {"lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:g"}}}
}
PACKAGE = {
    "modelPackageArnDataSource": {"modelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/p/1"}
}
LOGS = {"invocationLogSource": {"s3Uri": "s3://log-bucket/logs/"}}


def refused(call: Any, **request: Any) -> str:
    with pytest.raises(Exception) as raised:
        call(**request)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Message"]


# --- CreateCustomModel ------------------------------------------------------------------------------------------------
def test_model_from_s3_without_role_is_refused(emu, raw_bedrock, new_model):
    request = new_model()
    del request["roleArn"]
    assert "roleArn is required" in refused(raw_bedrock.create_custom_model, **request)
    assert emu.controls.state()["models"] == []


def test_model_from_s3_with_role_is_created(bedrock, new_model):
    assert bedrock.create_custom_model(**new_model())["modelArn"]


def test_model_from_a_model_package_alone_is_created(bedrock, new_model):
    request = new_model(customModelDataSource=PACKAGE)
    del request["modelSourceConfig"]
    assert bedrock.create_custom_model(**request)["modelArn"]


def test_model_with_both_sources_is_refused(emu, raw_bedrock, new_model):
    request = new_model(customModelDataSource=PACKAGE)
    message = refused(raw_bedrock.create_custom_model, **request)
    assert message == "Specify either modelSourceConfig or customModelDataSource, not both."
    assert emu.controls.state()["models"] == []


# --- CreateModelCustomizationJob: customization configs and training sources -----------------------------------------
def test_distillation_without_a_distillation_config_is_refused(emu, raw_bedrock, new_job):
    request = new_job(customizationType="DISTILLATION", hyperParameters={})
    message = refused(raw_bedrock.create_model_customization_job, **request)
    assert message == "customizationConfig.distillationConfig is required for customizationType DISTILLATION."
    assert emu.controls.state()["jobs"] == []


def test_distillation_with_a_distillation_config_starts(bedrock, new_job):
    request = new_job(
        customizationType="DISTILLATION", customizationConfig={"distillationConfig": TEACHER}, hyperParameters={}
    )
    assert bedrock.create_model_customization_job(**request)["jobArn"]


def test_rft_without_an_rft_config_is_refused(raw_bedrock, new_job):
    request = new_job(customizationType="REINFORCEMENT_FINE_TUNING", hyperParameters={})
    message = refused(raw_bedrock.create_model_customization_job, **request)
    assert message == "customizationConfig.rftConfig is required for customizationType REINFORCEMENT_FINE_TUNING."


def test_rft_with_an_rft_config_starts(bedrock, new_job):
    request = new_job(customizationType="REINFORCEMENT_FINE_TUNING", customizationConfig=RFT, hyperParameters={})
    assert bedrock.create_model_customization_job(**request)["jobArn"]


def test_both_training_sources_are_refused(raw_bedrock, new_job):
    request = new_job(trainingDataConfig={"s3Uri": "s3://training-bucket/train.jsonl", "invocationLogsConfig": LOGS})
    message = refused(raw_bedrock.create_model_customization_job, **request)
    assert message == "Specify either s3Uri or invocationLogsConfig in trainingDataConfig, not both."


def test_invocation_logs_alone_start_a_distillation(bedrock, new_job):
    request = new_job(
        customizationType="DISTILLATION",
        customizationConfig={"distillationConfig": TEACHER},
        trainingDataConfig={"invocationLogsConfig": LOGS},
        hyperParameters={},
    )
    assert bedrock.create_model_customization_job(**request)["jobArn"]


# --- tags -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["jobTags", "customModelTags"])
def test_a_job_tag_key_in_the_aws_namespace_is_refused(emu, raw_bedrock, new_job, member):
    request = new_job(**{member: [{"key": "aws:owner", "value": "me"}]})
    message = refused(raw_bedrock.create_model_customization_job, **request)
    assert message == "Tag key 'aws:owner' is invalid: the aws: prefix is reserved."
    assert emu.controls.state()["jobs"] == []


def test_a_tag_key_merely_containing_aws_is_accepted(bedrock, new_job, new_model):
    assert bedrock.create_model_customization_job(**new_job(jobTags=[{"key": "team:aws", "value": "x"}]))["jobArn"]
    assert bedrock.create_custom_model(**new_model(modelTags=[{"key": "awsome", "value": "x"}]))["modelArn"]


def test_model_tags_and_tag_resource_refuse_the_aws_namespace(raw_bedrock, bedrock, new_model):
    refused(raw_bedrock.create_custom_model, **new_model(modelTags=[{"key": "AWS:x", "value": "v"}]))
    arn = bedrock.create_custom_model(**new_model())["modelArn"]
    refused(raw_bedrock.tag_resource, resourceARN=arn, tags=[{"key": "aws:x", "value": "v"}])
    bedrock.tag_resource(resourceARN=arn, tags=[{"key": "x", "value": "v"}])
    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "x", "value": "v"}]


# --- hyperparameters --------------------------------------------------------------------------------------------------
def test_out_of_range_hyperparameters_are_refused_at_create_time(emu, raw_bedrock, new_job):
    request = new_job(hyperParameters={"epochCount": "11", "batchSize": "1", "learningRte": "0.00001"})
    message = refused(raw_bedrock.create_model_customization_job, **request)
    express = "amazon.titan-text-express-v1:0:8k FINE_TUNING"
    assert message == (
        f"Invalid hyperparameters: hyperParameters.epochCount must be between 1 and 10 for {express} (got '11'); "
        f"hyperParameters.learningRte is not a hyperparameter for {express}: did you mean learningRate or "
        "learningRateWarmupSteps?"
    )
    assert emu.controls.state()["jobs"] == []


def test_documented_hyperparameters_start_the_job(bedrock, new_job):
    request = new_job(hyperParameters={"epochCount": "10", "batchSize": "64", "learningRate": "1"})
    assert bedrock.create_model_customization_job(**request)["jobArn"]


def test_a_custom_base_models_hyperparameters_follow_its_foundation_model(emu, bedrock, raw_bedrock, new_job):
    bedrock.create_model_customization_job(**new_job("job-1", "model-1"))
    emu.controls.advance(6 * 3600)
    model_arn = bedrock.get_model_customization_job(jobIdentifier="job-1")["outputModelArn"]

    refused(
        raw_bedrock.create_model_customization_job,
        **new_job("job-2", "model-2", baseModelIdentifier=model_arn, hyperParameters={"epochCount": "11"}),
    )
    ok = new_job("job-3", "model-3", baseModelIdentifier=model_arn, hyperParameters={"epochCount": "10"})
    assert bedrock.create_model_customization_job(**ok)["jobArn"]


def test_an_uncatalogued_base_model_is_not_checked(bedrock, new_job):
    request = new_job(baseModelIdentifier="amazon.some-future-model-v1:0", hyperParameters={"anything": "99"})
    assert bedrock.create_model_customization_job(**request)["jobArn"]


# --- model ids --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given",
    ["amazon.titan-text-express-v1", "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"],
)
def test_an_unversioned_base_model_is_answered_with_the_versioned_arn(bedrock, new_job, given):
    arn = bedrock.create_model_customization_job(**new_job(baseModelIdentifier=given))["jobArn"]

    job = bedrock.get_model_customization_job(jobIdentifier=arn)

    assert job["baseModelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
    assert "/amazon.titan-text-express-v1:0:8k/" in arn


def test_a_versioned_base_model_is_answered_as_given(bedrock, new_job):
    arn = bedrock.create_model_customization_job(
        **new_job(baseModelIdentifier="amazon.nova-micro-v1:0:128k", hyperParameters={"epochCount": "2"})
    )["jobArn"]
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["baseModelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k"
