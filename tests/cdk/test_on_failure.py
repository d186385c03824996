"""The provider's on-failure destination: a second function that answers FAILED for a request the provider dropped."""

from __future__ import annotations

import pytest
from bedrock_customization import CustomizationJob
from bedrock_customization_provider import contract


@pytest.fixture(scope="module")
def template(make_stack, synthesize):
    stack = make_stack("OnFailureStack")
    CustomizationJob(stack, "Fine", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t.jsonl",
                     output_data="s3://b-1/o/")  # fmt: skip
    return synthesize(stack)


def test_dropped_events_of_the_provider_go_to_the_on_failure_function(template, q):
    provider_id, _ = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    on_failure_id, _ = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderOnFailure")
    (config,) = q.resources(template, "AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"] == {
        "FunctionName": {"Ref": provider_id},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,  # CloudFormation waits at most an hour (ServiceTimeout)
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [on_failure_id, "Arn"]}}},
    }


def test_the_on_failure_function_runs_its_handler_for_this_stack_only(template, q):
    _, function = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderOnFailure")
    assert function["Properties"]["Handler"] == contract.ON_FAILURE_HANDLER
    assert function["Properties"]["Environment"]["Variables"] == {contract.ENV_STACK_ID: {"Ref": "AWS::StackId"}}
    role_id, _ = q.one(template, "AWS::IAM::Role", "BedrockCustomizationProviderOnFailureRole")
    assert function["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_nothing_but_the_provider_may_invoke_the_on_failure_function(template, q):
    # Lambda delivers the record with the provider's role; no resource policy opens the function to anyone.
    on_failure_id, _ = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderOnFailure")
    target = {"Fn::GetAtt": [on_failure_id, "Arn"]}
    permissions = q.resources(template, "AWS::Lambda::Permission").values()
    assert not [p for p in permissions if p["Properties"]["FunctionName"] == target]
    invokers = [
        logical_id
        for logical_id, policy in q.resources(template, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in q.actions_of(statement) and statement["Resource"] == target
    ]
    assert [i[:-8] for i in invokers] == ["BedrockCustomizationProviderRoleDefaultPolicy"]
