"""grant_invoke on what holds a custom model, and a job's on_state_change rule (aws-cdk style)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from bedrock_customization import AttributeUnavailableError, CustomizationJob, CustomModel, WaitMode
from bedrock_customization_provider import contract

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
DATA = {"training_data": "s3://b-1/t.jsonl", "output_data": "s3://b-1/o/"}


def job(stack: cdk.Stack, **kwargs) -> CustomizationJob:
    return CustomizationJob(stack, "Job", base_model="amazon.nova-micro-v1:0:128k", **DATA, **kwargs)


def caller(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def test_a_jobs_grant_invoke_allows_inference_on_its_model(make_stack, synthesize, q):
    stack = make_stack()
    trained = job(stack)
    grant = trained.grant_invoke(caller(stack))
    assert grant.success
    template = synthesize(stack)
    (statement,) = q.statements_with(q.policy_statements(template, "Caller"), "bedrock:InvokeModel")
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert statement["Resource"]["Fn::GetAtt"][1] == contract.ATTR_CUSTOM_MODEL_ARN


def test_grant_invoke_is_refused_when_the_stack_does_not_wait_for_the_model(make_stack):
    stack = make_stack()
    with pytest.raises(AttributeUnavailableError, match="TestStack/Job"):
        job(stack, wait_mode=WaitMode.NONE).grant_invoke(caller(stack))


def test_a_custom_models_grant_invoke_names_its_arn(make_stack, synthesize, q):
    stack = make_stack()
    model = CustomModel(stack, "Model", model_package_arn=PACKAGE)
    model.grant_invoke(caller(stack))
    template = synthesize(stack)
    model_id, _ = q.one(template, contract.MODEL_RESOURCE_TYPE, "Model")
    (statement,) = q.statements_with(q.policy_statements(template, "Caller"), "bedrock:InvokeModel")
    assert statement["Resource"] == {"Fn::GetAtt": [model_id, contract.ATTR_MODEL_ARN]}


def test_on_state_change_matches_this_jobs_events(make_stack, synthesize, q):
    stack = make_stack()
    trained = job(stack, wait_mode=WaitMode.NONE)  # the job's ARN exists in every mode
    topic = sns.Topic(stack, "Topic")
    rule = trained.on_state_change("Ended", target=targets.SnsTopic(topic), statuses=["Completed", "Failed"])
    assert isinstance(rule, events.Rule)
    template = synthesize(stack)
    job_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "Job")
    rules = {k: v for k, v in q.resources(template, "AWS::Events::Rule").items() if k.startswith("JobEnded")}
    (props,) = [r["Properties"] for r in rules.values()]
    assert props["EventPattern"] == {
        "source": ["aws.bedrock"],
        "detail-type": ["Model Customization Job State Change"],
        "detail": {"jobArn": [{"Fn::GetAtt": [job_id, contract.ATTR_JOB_ARN]}], "jobStatus": ["Completed", "Failed"]},
    }
    assert props["Targets"][0]["Arn"] == {"Ref": q.one(template, "AWS::SNS::Topic", "Topic")[0]}


def test_on_state_change_merges_a_given_pattern_and_keeps_the_job(make_stack, synthesize, q):
    stack = make_stack()
    trained = job(stack)
    trained.on_state_change(
        "Any", event_pattern=events.EventPattern(detail={"jobArn": ["other"]}, region=["us-east-1"])
    )
    template = synthesize(stack)
    (props,) = [
        v["Properties"] for k, v in q.resources(template, "AWS::Events::Rule").items() if k.startswith("JobAny")
    ]
    assert props["EventPattern"]["region"] == ["us-east-1"]
    assert props["EventPattern"]["detail"]["jobArn"][0]["Fn::GetAtt"][1] == contract.ATTR_JOB_ARN
    assert "Targets" not in props
