"""Synth-time hyperparameter checks against the catalogue: a failing and a passing case per rule, all problems of a job
raised at once with its path, the argument and the value."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from bedrock_customization import CustomizationJob, CustomModel, InvalidPropsError

NOVA = "amazon.nova-micro-v1:0:128k"
DATA = {"training_data": "s3://demo-bucket/train/data.jsonl", "output_data": "s3://demo-bucket/output/"}


def job(stack: cdk.Stack, name: str, base_model: Any, **hyper: Any) -> CustomizationJob:
    return CustomizationJob(stack, name, base_model=base_model, hyper_parameters=hyper, **DATA)


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "HyperStack")


def test_out_of_range_and_unknown_names_are_all_reported_with_path_argument_and_value(stack):
    with pytest.raises(InvalidPropsError) as raised:
        job(stack, "Job", "amazon.titan-text-express-v1", epochCount=12, batchSize=0, learningRat=0.1)

    message = str(raised.value)
    assert message.startswith("Invalid CustomizationJob (HyperStack/Job):")
    express = "amazon.titan-text-express-v1:0:8k FINE_TUNING"
    assert f"hyperParameters.epochCount must be between 1 and 10 for {express} (got '12')" in message
    assert f"hyperParameters.batchSize must be between 1 and 64 for {express} (got '0')" in message
    unknown = f"hyperParameters.learningRat is not a hyperparameter for {express}: did you mean learningRate or "
    assert unknown in message
    assert message.count("(argument hyper_parameters)") == 3


def test_documented_values_synthesize(stack):
    job(stack, "Job", "amazon.titan-text-express-v1", epochCount=10, batchSize=64, learningRate=0.00001)


def test_example_app_hyperparameters_are_valid_on_nova_micro(stack):
    job(stack, "Job", NOVA, epochCount=2, batchSize=1, learningRate=0.00001)
    job(stack, "Again", NOVA, epochCount=3, batchSize=1, learningRate=0.00001)


def test_a_chained_job_is_checked_against_the_root_foundation_model(stack):
    first = job(stack, "First", NOVA, epochCount=2)
    second = job(stack, "Second", first.model, epochCount=2)
    with pytest.raises(InvalidPropsError, match=r"hyperParameters.epochCount must be between 1 and 5 for " + NOVA):
        job(stack, "Third", second.model, epochCount=6)


def test_a_chained_job_within_the_root_models_ranges_synthesizes(stack):
    first = job(stack, "First", NOVA, epochCount=2)
    job(stack, "Second", first.model, epochCount=5, learningRate=0.0001)


def test_a_token_value_and_an_unknown_base_model_pass_unchecked(stack):
    job(stack, "Token", NOVA, epochCount=cdk.Token.as_string(cdk.Fn.ref("AWS::AccountId")))
    job(stack, "NewModel", "amazon.some-future-model-v1:0", epochCount=99, anything="x")
    arn = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl"
    imported = CustomModel.from_model_arn(arn)
    job(stack, "Imported", imported, epochCount=99)


def test_a_token_value_out_of_range_is_left_to_the_provider(stack):
    parameter = cdk.CfnParameter(stack, "Epochs", default="9")
    job(stack, "Job", NOVA, epochCount=parameter.value_as_string)
