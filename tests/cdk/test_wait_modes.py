"""CustomizationJob wait modes: what the template says, and the attributes each mode can offer at synth time."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    AttributeUnavailableError,
    CustomizationJob,
    InvalidPropsError,
    S3Location,
    WaitMode,
)
from bedrock_customization_provider import contract


def job(stack: cdk.Stack, id: str = "Job", **extra) -> CustomizationJob:
    bucket = s3.Bucket.from_bucket_name(stack, f"{id}Data", "my-training-data")
    return CustomizationJob(
        stack,
        id,
        base_model="amazon.nova-micro-v1:0:128k",
        training_data=S3Location(bucket, "train/data.jsonl"),
        output_data=S3Location(bucket, "output/"),
        **extra,
    )


def test_the_short_mode_leaves_the_template_as_before(make_stack, synthesize, q):
    # GIVEN a job in the SHORT mode WHEN synthesized THEN no WaitMode property (stacks deployed earlier see no change)
    stack = make_stack()
    job(stack, wait_mode=WaitMode.SHORT)
    template = synthesize(stack)
    assert contract.WAIT_MODE not in q.job_properties(template, "Job")
    assert not q.resources(template, "AWS::CloudFormation::WaitCondition")
    assert not q.resources(template, "AWS::Events::Rule")


def test_no_wait_mode_renders_the_provider_key(make_stack, synthesize, q):
    stack = make_stack()
    job(stack, wait_mode=WaitMode.NONE)
    assert q.job_properties(synthesize(stack), "Job")[contract.WAIT_MODE] == contract.WAIT_MODE_NONE


def test_no_wait_mode_offers_the_job_arn_and_name_as_getatts(make_stack, synthesize):
    # GIVEN a job that does not wait for training, wired by ARN and name
    stack = make_stack()
    waited = job(stack, wait_mode=WaitMode.NONE)
    cdk.CfnOutput(stack, "JobArn", value=waited.job_arn)
    cdk.CfnOutput(stack, "JobName", value=waited.job_name)

    outputs = synthesize(stack).to_json()["Outputs"]

    assert outputs["JobArn"]["Value"]["Fn::GetAtt"][1] == contract.ATTR_JOB_ARN
    assert outputs["JobName"]["Value"]["Fn::GetAtt"][1] == contract.ATTR_JOB_NAME


@pytest.mark.parametrize(
    "attribute",
    ["custom_model_arn", "custom_model_name", "status", "training_loss", "validation_loss", "output_s3_uri", "model"],
)
def test_no_wait_mode_refuses_attributes_that_exist_only_after_training(make_stack, attribute):
    # GIVEN a job in the None mode WHEN an attribute of the finished job is read THEN a synth-time error names it
    stack = make_stack()
    waited = job(stack, "Sweep", wait_mode=WaitMode.NONE)
    expected = attribute if attribute != "model" else "custom_model_arn"
    with pytest.raises(AttributeUnavailableError, match=rf"TestStack/Sweep\): {expected} is not available") as info:
        getattr(waited, attribute)
    assert "WaitMode.NONE" in str(info.value) and "job_arn and job_name" in str(info.value)


def test_short_mode_offers_every_attribute(make_stack, synthesize):
    stack = make_stack()
    waited = job(stack)
    cdk.CfnOutput(stack, "Model", value=waited.custom_model_arn)
    cdk.CfnOutput(stack, "Loss", value=waited.training_loss)
    outputs = synthesize(stack).to_json()["Outputs"]
    assert outputs["Model"]["Value"]["Fn::GetAtt"][1] == contract.ATTR_CUSTOM_MODEL_ARN
    assert outputs["Loss"]["Value"]["Fn::GetAtt"][1] == contract.ATTR_TRAINING_LOSS


def test_no_wait_job_cannot_be_the_base_model_of_another_job(make_stack):
    # GIVEN a job whose model the stack never waits for WHEN another job builds on it THEN refused at synth
    stack = make_stack()
    first = job(stack, "First", wait_mode=WaitMode.NONE)
    with pytest.raises(AttributeUnavailableError, match="First"):
        job(stack, "Second", base_model=first.model)


def test_no_wait_grant_read_covers_the_job_only(make_stack, synthesize, q):
    stack = make_stack()
    waited = job(stack, wait_mode=WaitMode.NONE)
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    waited.grant_read(reader)
    statements = q.policy_statements(synthesize(stack), "ReaderDefaultPolicy")
    assert q.all_actions(statements) == {"bedrock:GetModelCustomizationJob", "bedrock:ListTagsForResource"}
    assert statements[0]["Resource"] == {
        "Fn::GetAtt": [q.one(synthesize(stack), contract.JOB_RESOURCE_TYPE, "Job")[0], contract.ATTR_JOB_ARN]
    }


def test_an_unknown_wait_mode_is_refused_with_the_construct_path(make_stack):
    stack = make_stack()
    with pytest.raises(
        InvalidPropsError,
        match=r"(?s)TestStack/Job.*wait_mode must be one of WaitMode.LONG, WaitMode.SHORT, WaitMode.NONE",
    ):
        job(stack, wait_mode="forever")
