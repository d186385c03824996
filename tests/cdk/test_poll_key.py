"""The stack's poll key: it seals the response URL in crhelper's poll inputs, and only the provider may use it."""

from __future__ import annotations

import json

import pytest
from aws_cdk import aws_kms as kms
from bedrock_customization import CustomizationJob, CustomModel, WaitMode
from bedrock_customization_provider import contract

ROOT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}


@pytest.fixture(scope="module")
def template(make_stack, synthesize):
    stack = make_stack("PollKeyStack")
    for index, mode in enumerate((WaitMode.LONG, WaitMode.SHORT, WaitMode.NONE)):
        CustomizationJob(
            stack,
            f"Job{index}",
            base_model="amazon.nova-micro-v1:0:128k",
            training_data="s3://b-1/t.jsonl",
            output_data=f"s3://b-1/o{index}/",
            wait_mode=mode,
        )
    CustomModel(stack, "FromS3", s3_artifacts="s3://escrow-bucket/m/", kms_key=kms.Key(stack, "ModelKey"))
    return synthesize(stack)


@pytest.fixture(scope="module")
def poll_key(template, q):
    return q.one(template, "AWS::KMS::Key", "BedrockCustomizationProviderPollKey")


def key_arn(poll_key) -> dict:
    return {"Fn::GetAtt": [poll_key[0], "Arn"]}


def test_one_poll_key_per_stack_with_rotation_on_deleted_with_the_stack(template, poll_key):
    keys = template.find_resources("AWS::KMS::Key")
    assert len([lid for lid in keys if lid.startswith("BedrockCustomizationProviderPollKey")]) == 1
    _, key = poll_key
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 7
    assert key["DeletionPolicy"] == "Delete" and key["UpdateReplacePolicy"] == "Delete"
    assert "events:ListTargetsByRule" in key["Properties"]["Description"]


def test_the_key_policy_is_the_accounts_root_only(poll_key):
    # cdk-nag-like: no principal but the account root (IAM decides then) is granted kms:*, none gets it on another key
    _, key = poll_key
    assert key["Properties"]["KeyPolicy"]["Statement"] == [
        {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Resource": "*"}
    ]


def test_the_provider_role_may_encrypt_and_decrypt_with_that_key_only(template, poll_key, q):
    statements = q.policy_statements(template, "BedrockCustomizationProvider")
    on_key = [s for s in statements if s["Resource"] == key_arn(poll_key)]
    assert on_key == [{"Action": ["kms:Encrypt", "kms:Decrypt"], "Effect": "Allow", "Resource": key_arn(poll_key)}]


def test_no_policy_in_the_stack_grants_kms_on_every_key(template, q):
    statements = q.policy_statements(template, "")  # every policy and every role's inline policies
    assert any("kms:Encrypt" in q.actions_of(statement) for statement in statements)
    for statement in statements:
        if any(action.startswith("kms:") or action == "*" for action in q.actions_of(statement)):
            assert statement["Resource"] != "*" and "*" not in json.dumps(statement["Resource"]), statement
            assert "kms:*" not in q.actions_of(statement), statement


def test_the_function_gets_the_key_arn_in_its_environment(template, q):
    _, function = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    (key_id, _) = q.one(template, "AWS::KMS::Key", "BedrockCustomizationProviderPollKey")
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables[contract.ENV_POLL_KEY_ARN] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_the_key_is_kept_out_of_everything_but_the_provider(template, poll_key):
    # only the provider's function (its environment) and the provider's role policy name the key
    key_id, _ = poll_key
    naming_it = {
        logical_id
        for logical_id, resource in template.to_json()["Resources"].items()
        if logical_id != key_id and key_id in json.dumps(resource)
    }
    assert {lid.rstrip("0123456789ABCDEF") for lid in naming_it} == {
        "BedrockCustomizationProviderFunction",
        "BedrockCustomizationProviderRoleDefaultPolicy",
    }
