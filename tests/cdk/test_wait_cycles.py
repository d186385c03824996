"""A job that reaches another job's model only through a third resource shares its depth-0 wait condition, which
closes a cycle; the documented fix (docs/long-wait.md) is a construct dependency on the other job's completion."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from bedrock_customization import CustomizationJob, CustomModelDeployment, RftConfig, S3Location

from .conftest import new_stack, synth


def judged_rft(stack: cdk.Stack) -> tuple[CustomizationJob, CustomizationJob]:
    """An RFT job whose grader invokes a deployment of another job's model, all in one stack."""
    bucket = s3.Bucket(stack, "Data", enforce_ssl=True)
    grader = lambda_.Function(
        stack,
        "Grader",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    judge = CustomizationJob(
        stack,
        "Judge",
        base_model="amazon.nova-micro-v1:0:128k",
        training_data=S3Location(bucket, "train/data.jsonl"),
        output_data=S3Location(bucket, "output/judge/"),
    )
    CustomModelDeployment(stack, "JudgeServe", model=judge.model).grant_invoke(grader)
    rft = CustomizationJob(
        stack,
        "Rft",
        base_model="amazon.nova-lite-v1:0:300k",
        training_data=S3Location(bucket, "rft/prompts.jsonl"),
        output_data=S3Location(bucket, "output/rft/"),
        reinforcement_fine_tuning=RftConfig(grader=grader),
    )
    return judge, rft


def test_without_the_dependency_the_shared_condition_closes_a_cycle():
    stack = new_stack()
    judged_rft(stack)
    # aws-cdk's own assertion: the judge's reader waits on the condition that waits for the RFT job
    with pytest.raises(RuntimeError, match=r"dependency cycle: .*JudgeWaitResult.*BedrockCustomizationWait.*Rft"):
        Template.from_stack(stack)


def test_the_documented_dependency_gives_the_rft_job_its_own_condition_and_no_cycle():
    stack = new_stack()
    judge, rft = judged_rft(stack)
    rft.node.add_dependency(judge.completion)
    template = synth(stack)  # cfn-lint clean: no E3004
    conditions = template.find_resources("AWS::CloudFormation::WaitCondition")
    members = sorted(r["Metadata"]["BedrockCustomizationWaitsFor"] for r in conditions.values())
    assert len(members) == 2 and all(len(m) == 1 for m in members)  # one condition each: depth 0 and depth 1
