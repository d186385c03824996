"""The provider role allows exactly the AWS operations the provider's code calls, each on the documented resources.

The operations are derived from the provider package's source (every attribute named like a botocore operation of
Bedrock, EventBridge or Lambda), so a provider change that calls a new operation fails here until the construct
grants it. Resources follow the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html): List* actions support
no resource-level permissions and need ``"*"``.
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import bedrock_customization_provider
import botocore.session
import pytest
from aws_cdk import aws_kms as kms
from bedrock_customization import CustomizationJob, CustomModel, DistillationConfig
from botocore import xform_name

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
ARTIFACTS = "s3://customer-escrow-111122223333-smtj-abcdef/nova-micro/run-1/"
_ACCOUNT_SCOPE = "arn:${Partition}:bedrock:${Region}:${AccountId}"
JOBS = f"{_ACCOUNT_SCOPE}:model-customization-job/*"
MODELS = f"{_ACCOUNT_SCOPE}:custom-model/*"
FOUNDATION_MODELS = "arn:${Partition}:bedrock:${Region}::foundation-model/*"
INFERENCE_PROFILES = f"{_ACCOUNT_SCOPE}:inference-profile/*"
DEPLOYMENTS = f"{_ACCOUNT_SCOPE}:custom-model-deployment/*"
THROUGHPUTS = f"{_ACCOUNT_SCOPE}:provisioned-model/*"
IMPORT_JOBS = f"{_ACCOUNT_SCOPE}:model-import-job/*"
IMPORTED_MODELS = f"{_ACCOUNT_SCOPE}:imported-model/*"
_STACK_GUID = "${Select(2, Split(/, ${StackId}))}"
WAIT_RULE = f"arn:${{Partition}}:events:${{Region}}:${{AccountId}}:rule/bedrock-cr-wait-{_STACK_GUID}"
#: crhelper's poll rules of this stack only: bedrock-cr-poll-<stack GUID>-<request digest>
POLL_RULES = f"arn:${{Partition}}:events:${{Region}}:${{AccountId}}:rule/bedrock-cr-poll-{_STACK_GUID}-*"
#: IAM action -> the resources the provider role must allow it on (exactly).
EXPECTED_RESOURCES = {
    # job*, custom-model* and the models the request names (base model, distillation teacher).
    "bedrock:CreateModelCustomizationJob": {JOBS, MODELS, FOUNDATION_MODELS, INFERENCE_PROFILES},
    "bedrock:GetModelCustomizationJob": {JOBS},
    "bedrock:StopModelCustomizationJob": {JOBS},
    "bedrock:ListModelCustomizationJobs": {"*"},
    "bedrock:ListCustomModels": {"*"},
    "bedrock:ListProvisionedModelThroughputs": {"*"},
    "bedrock:ListCustomModelDeployments": {"*"},
    "bedrock:CreateCustomModel": {MODELS},
    "bedrock:GetCustomModel": {MODELS},
    "bedrock:DeleteCustomModel": {MODELS},
    "bedrock:CreateCustomModelDeployment": {DEPLOYMENTS, MODELS},
    "bedrock:UpdateCustomModelDeployment": {DEPLOYMENTS, MODELS},
    "bedrock:GetCustomModelDeployment": {DEPLOYMENTS},
    "bedrock:DeleteCustomModelDeployment": {DEPLOYMENTS},
    "bedrock:CreateProvisionedModelThroughput": {THROUGHPUTS, MODELS, FOUNDATION_MODELS},
    "bedrock:UpdateProvisionedModelThroughput": {THROUGHPUTS, MODELS, FOUNDATION_MODELS},
    "bedrock:GetProvisionedModelThroughput": {THROUGHPUTS},
    "bedrock:DeleteProvisionedModelThroughput": {THROUGHPUTS},
    "bedrock:CreateModelImportJob": {IMPORT_JOBS, IMPORTED_MODELS},
    "bedrock:GetModelImportJob": {IMPORT_JOBS},
    "bedrock:ListModelImportJobs": {"*"},
    "bedrock:DeleteImportedModel": {IMPORTED_MODELS},
    "bedrock:ListTagsForResource": {MODELS, DEPLOYMENTS, THROUGHPUTS, IMPORT_JOBS, IMPORTED_MODELS},
    "bedrock:TagResource": {JOBS, MODELS, DEPLOYMENTS, THROUGHPUTS, IMPORT_JOBS, IMPORTED_MODELS},
    "bedrock:UntagResource": {JOBS, MODELS, DEPLOYMENTS, THROUGHPUTS, IMPORT_JOBS, IMPORTED_MODELS},
    "events:PutRule": {POLL_RULES},
    "events:PutTargets": {POLL_RULES},
    "events:RemoveTargets": {POLL_RULES},
    "events:DeleteRule": {POLL_RULES},
    # the long wait: enable/disable the stack's own poll rule (named after the stack's GUID), read and signal the stack
    "events:EnableRule": {WAIT_RULE},
    "events:DisableRule": {WAIT_RULE},
    "cloudformation:ListStackResources": {"${StackId}"},
    "cloudformation:DescribeStackResource": {"${StackId}"},
    "cloudformation:DescribeStacks": {"${StackId}"},
    "cloudformation:SignalResource": {"${StackId}"},
    "lambda:AddPermission": {"${BedrockCustomizationProviderFunction.Arn}"},
    "lambda:RemovePermission": {"${BedrockCustomizationProviderFunction.Arn}"},
    # the response URL in crhelper's poll inputs, sealed with the stack's poll key
    "kms:Encrypt": {"${BedrockCustomizationProviderPollKey.Arn}"},
    "kms:Decrypt": {"${BedrockCustomizationProviderPollKey.Arn}"},
}
#: IAM action -> the condition every statement allowing it carries (actions not listed: none).
EXPECTED_CONDITIONS = {
    # the function's resource policy may only gain statements for EventBridge (crhelper's poll rules)
    "lambda:AddPermission": {"StringEquals": {"lambda:Principal": "events.amazonaws.com"}},
    "lambda:RemovePermission": {"StringEquals": {"lambda:Principal": "events.amazonaws.com"}},
}
#: botocore service -> IAM prefix
_SERVICES = {
    "bedrock": "bedrock",
    "events": "events",
    "lambda": "lambda",
    "cloudformation": "cloudformation",
    "kms": "kms",
}
#: Grants for the keys a stack's own resources name (Bedrock checks the caller's access to them): not the provider's
#: own calls, tested in test_key_use_statements_limit_grants_to_aws_resources.
_KEY_USE_FOR_BEDROCK = "kms:ViaService"


#: The on-failure destination's module: a second function with its own role runs it (test_on_failure_role_...).
ON_FAILURE_MODULE = "on_failure.py"
#: What the on-failure function's role allows: exactly the operations its module calls, each on this stack's own.
ON_FAILURE_EXPECTED = {
    "cloudformation:DescribeStackResource": {"${StackId}"},
    "events:ListTargetsByRule": {
        "arn:${Partition}:events:${Region}:${AccountId}:rule/bedrock-cr-poll-${Select(2, Split(/, ${StackId}))}-*"
    },
}
#: Granted to the provider's role though its code calls no such operation: Lambda delivers the on-failure
#: destination's record with the function's own role, so it may invoke that one function.
DESTINATION_DELIVERY = {"lambda:InvokeFunction": {"${BedrockCustomizationProviderOnFailure.Arn}"}}


def provider_operations(on_failure: bool = False) -> set[str]:
    """``prefix:Operation`` for every AWS operation the provider package refers to (receiver decides the service);
    with ``on_failure``, those of the on-failure destination's module only, else those of every other module."""
    session = botocore.session.get_session()
    operations = {
        service: {xform_name(name): name for name in session.get_service_model(service).operation_names}
        for service in _SERVICES
    }
    found: set[str] = set()
    for path in Path(bedrock_customization_provider.__file__).parent.glob("*.py"):
        if (path.name == ON_FAILURE_MODULE) != on_failure:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            receiver = ast.unparse(node.value)
            services = ("events", "lambda", "cloudformation", "kms")
            service = next((name for name in services if name in receiver), "bedrock")
            if node.attr in operations[service]:
                found.add(f"{_SERVICES[service]}:{operations[service][node.attr]}")
    return found


def render(value: Any) -> str:
    """A resource as text: ``Ref``/``GetAtt`` become ``${Name}`` (logical ids without their hash suffix)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"].removeprefix("AWS::") + "}"
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return "${" + re.sub(r"[0-9A-F]{8}$", "", logical_id) + "." + attribute + "}"
    if "Fn::Select" in value:
        index, items = value["Fn::Select"]
        return f"${{Select({index}, {render(items)})}}"
    if "Fn::Split" in value:
        separator, text = value["Fn::Split"]
        return f"Split({separator}, {render(text)})"
    separator, parts = value["Fn::Join"]
    return separator.join(render(part) for part in parts)


def own_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statements for the provider's own calls: without the key use it holds only via Bedrock."""
    return [s for s in statements if _KEY_USE_FOR_BEDROCK not in str(s.get("Condition", {}))]


def allowed_resources(statements: list[dict[str, Any]], action: str, q) -> set[str]:
    resources: set[str] = set()
    for statement in own_statements(statements):
        if statement["Effect"] == "Allow" and any(fnmatchcase(action, a) for a in q.actions_of(statement)):
            found = statement["Resource"]
            resources |= {render(r) for r in (found if isinstance(found, list) else [found])}
    return resources


@pytest.fixture(scope="module")
def template(make_stack, synthesize):
    stack = make_stack("PermissionsStack")
    CustomizationJob(stack, "Fine", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t.jsonl",
                     output_data="s3://b-1/o/", job_tags={"k": "v"})  # fmt: skip
    teacher = DistillationConfig(teacher_model="amazon.nova-pro-v1:0")
    CustomizationJob(stack, "Distill", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t.jsonl",
                     output_data="s3://b-1/d/", distillation=teacher)  # fmt: skip
    CustomModel(stack, "FromPackage", model_package_arn=PACKAGE)
    CustomModel(stack, "FromS3", s3_artifacts=ARTIFACTS, kms_key=kms.Key(stack, "Key"))
    return synthesize(stack)


@pytest.fixture(scope="module")
def provider_statements(template, q):
    # the provider role's inline policy and default policy, and the function's policy on itself
    return [
        *q.policy_statements(template, "BedrockCustomizationProviderRole"),
        *q.policy_statements(template, "BedrockCustomizationProviderSelfPermissions"),
    ]


def test_the_provider_calls_what_the_expectations_list():
    # The derivation itself: a new call in the provider shows up here first (add its IAM action and resources above).
    assert provider_operations() == set(EXPECTED_RESOURCES)


@pytest.mark.parametrize("action", sorted(provider_operations()))
def test_every_operation_the_provider_calls_is_allowed_on_its_documented_resources(action, provider_statements, q):
    assert allowed_resources(provider_statements, action, q) == EXPECTED_RESOURCES.get(action, {"<not expected>"})


@pytest.mark.parametrize("action", sorted(provider_operations()))
def test_every_operation_the_provider_calls_carries_its_documented_condition(action, provider_statements, q):
    conditions = [
        s.get("Condition")
        for s in own_statements(provider_statements)
        if s["Effect"] == "Allow" and any(fnmatchcase(action, a) for a in q.actions_of(s))
    ]
    assert conditions and all(c == EXPECTED_CONDITIONS.get(action) for c in conditions)


def test_the_provider_has_no_service_action_it_does_not_call(provider_statements, q):
    called = provider_operations()
    granted = {a for a in q.all_actions(own_statements(provider_statements)) if a.split(":")[0] in _SERVICES.values()}
    assert granted == called | set(DESTINATION_DELIVERY)


def test_the_provider_may_invoke_its_on_failure_destination_only(provider_statements, q):
    # Lambda delivers the record of a dropped event with the provider's role: that one function, no version or alias.
    for action, expected in DESTINATION_DELIVERY.items():
        assert allowed_resources(provider_statements, action, q) == expected


def test_on_failure_role_allows_exactly_what_its_module_calls(template, q):
    # GIVEN the on-failure function's role (inline policy: it exists before the function can run)
    _, role = q.one(template, "AWS::IAM::Role", "BedrockCustomizationProviderOnFailureRole")
    statements = [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    # THEN the AWS operations it may call are exactly those on_failure.py calls, on this stack's own resources
    called = provider_operations(on_failure=True)
    assert called == set(ON_FAILURE_EXPECTED)
    for action in called:
        assert allowed_resources(statements, action, q) == ON_FAILURE_EXPECTED[action]
    granted = {a for a in q.all_actions(statements) if not a.startswith("logs:")}
    assert granted == called
    # and nothing else but writing its own log group
    assert {a for a in q.all_actions(statements) if a.startswith("logs:")} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_the_provider_may_read_the_model_package_it_imports(provider_statements, q):
    # ModelPackageArnDataSource: DescribeModelPackage and access to its data (SAR: sagemaker:AccessModelPackage).
    (statement,) = q.statements_with(provider_statements, "sagemaker:DescribeModelPackage")
    assert statement == {
        "Action": ["sagemaker:DescribeModelPackage", "sagemaker:AccessModelPackage"],
        "Effect": "Allow",
        "Resource": PACKAGE,
    }


def test_no_model_package_no_sagemaker_permission(make_stack, synthesize, q):
    stack = make_stack()
    CustomModel(stack, "FromS3", s3_artifacts=ARTIFACTS)
    statements = q.policy_statements(synthesize(stack), "BedrockCustomizationProvider")
    assert not [a for a in q.all_actions(statements) if a.startswith("sagemaker:")]


def test_key_use_statements_limit_grants_to_aws_resources(template, provider_statements, q):
    key_id, _ = q.one(template, "AWS::KMS::Key", "Key")
    via_bedrock = {"StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["bedrock.", {"Ref": "AWS::Region"},
                                                                         ".amazonaws.com"]]}}}  # fmt: skip
    expected = [
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Condition": via_bedrock,
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
        },
        {
            "Action": "kms:CreateGrant",
            "Condition": {**via_bedrock, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
        },
    ]
    for statements in (provider_statements, q.policy_statements(template, "FromS3ServiceRoleDefaultPolicy")):
        on_key = [s for s in statements if s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}]
        assert [s for s in on_key if any(a.startswith("kms:") for a in q.actions_of(s))] == expected
