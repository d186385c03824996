"""The provider stack for plain CloudFormation users (docs/cloudformation.md): what it exports, whom it serves, what
its role may do, and the hand-written YAML template that imports it (cfn-lint clean, its properties the Bedrock API
requests as the service model defines them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from bedrock_customization import InvalidPropsError
from bedrock_customization.provider_stack import BedrockCustomizationProviderStack
from bedrock_customization_local.driver.template_file import load_template
from bedrock_customization_provider import contract

from .conftest import lint_errors, resources, synth

TEMPLATE = Path(__file__).resolve().parents[2] / "cloudformation" / "ml-jobs.yaml"
SERVED_ARN = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudformation:", {"Ref": "AWS::Region"}, ":",
                                {"Ref": "AWS::AccountId"}, ":stack/ml-jobs/*"]]}  # fmt: skip


def provider_stack(**props: Any) -> BedrockCustomizationProviderStack:
    return BedrockCustomizationProviderStack(cdk.App(), "Provider", served_stack_name="ml-jobs", **props)


def statements(template: cdk.assertions.Template) -> list[dict[str, Any]]:
    found = []
    for resource in resources(template, "AWS::IAM::Policy").values():
        found += resource["Properties"]["PolicyDocument"]["Statement"]
    for resource in resources(template, "AWS::IAM::Role").values():
        for policy in resource["Properties"].get("Policies", []):
            found += policy["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


@pytest.fixture(scope="module")
def template() -> cdk.assertions.Template:
    return synth(provider_stack())


def test_it_exports_the_service_token_under_the_served_stacks_name(template):
    outputs = template.to_json()["Outputs"]
    assert outputs["ServiceToken"]["Export"] == {"Name": "ml-jobs-BedrockCustomizationServiceToken"}
    function_id = outputs["ServiceToken"]["Value"]["Fn::GetAtt"][0]
    assert template.to_json()["Resources"][function_id]["Properties"]["Handler"] == contract.HANDLER


def test_both_functions_serve_the_named_stack_and_keep_their_own_stack_for_rule_names(template):
    for function in resources(template, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables[contract.ENV_STACK_ID] == {"Ref": "AWS::StackId"}
        assert variables[contract.ENV_SERVED_STACK] == SERVED_ARN


def test_its_cloudformation_permissions_name_the_served_stack_only(template):
    cloudformation = [s for s in statements(template) if any(a.startswith("cloudformation:") for a in actions(s))]
    assert cloudformation and all(s["Resource"] == SERVED_ARN for s in cloudformation)


def test_it_may_pass_only_the_served_stacks_roles_and_only_to_bedrock(template):
    (passing,) = [s for s in statements(template) if "iam:PassRole" in actions(s)]
    assert passing["Resource"]["Fn::Join"][1][-1] == ":role/ml-jobs-*"
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


def test_the_long_wait_rules_exist_before_any_served_stack_does(template):
    rules = resources(template, "AWS::Events::Rule")
    assert len(rules) == 2  # the job events and the (disabled) poll
    assert len(resources(template, "AWS::Lambda::Permission")) == 2


def test_keys_and_model_packages_the_served_stack_names_are_granted():
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/nova/1"
    found = statements(synth(provider_stack(kms_keys=[key], model_package_arns=[package])))
    assert any(s["Resource"] == key or key in json.dumps(s["Resource"]) for s in found if "kms:Decrypt" in actions(s))
    assert any(s["Resource"] == package for s in found if "sagemaker:DescribeModelPackage" in actions(s))


@pytest.mark.parametrize(
    ("props", "argument", "value"),
    [
        ({"served_stack_name": "1-starts-with-a-digit"}, "served_stack_name", "'1-starts-with-a-digit'"),
        ({"served_stack_name": "has_underscore"}, "served_stack_name", "'has_underscore'"),
        ({"served_stack_name": "ok", "service_role_name_prefix": "bad/prefix"}, "service_role_name_prefix", "'bad/"),
    ],
)
def test_bad_names_are_refused_at_synth_with_the_path_the_argument_and_the_value(props, argument, value):
    with pytest.raises(InvalidPropsError) as error:
        BedrockCustomizationProviderStack(cdk.App(), "Provider", **props)
    message = str(error.value)
    assert "(Provider)" in message and argument in message and value in message


# --- the YAML template users deploy as the served stack ---------------------------------------------------------------
@pytest.fixture(scope="module")
def yaml_template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def test_the_yaml_template_is_cfn_lint_clean(yaml_template):
    assert lint_errors(yaml_template) == []


def test_the_yaml_template_imports_the_token_of_the_stack_it_is_deployed_as(yaml_template):
    custom = {lid: r for lid, r in yaml_template["Resources"].items() if r["Type"].startswith("Custom::")}
    assert len(custom) == 4
    for resource in custom.values():
        token = resource["Properties"]["ServiceToken"]
        assert token == {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-BedrockCustomizationServiceToken"}}


@pytest.mark.parametrize(
    ("resource_type", "operation"),
    [(contract.JOB_RESOURCE_TYPE, "CreateModelCustomizationJob"), (contract.MODEL_RESOURCE_TYPE, "CreateCustomModel")],
)
def test_the_yaml_resources_properties_are_the_api_requests(yaml_template, resource_type, operation):
    members = set(
        botocore.session.get_session().get_service_model("bedrock").operation_model(operation).input_shape.members
    )
    provider_keys = {"ServiceToken", "ServiceTimeout", contract.WAIT_MODE, contract.REMOVAL_POLICY}
    (resource,) = [r for r in yaml_template["Resources"].values() if r["Type"] == resource_type]
    assert set(resource["Properties"]) - provider_keys <= members


def test_the_yaml_long_wait_is_wired_as_the_constructs_render_it(yaml_template):
    resources_ = yaml_template["Resources"]
    (start,) = [lid for lid, r in resources_.items() if r["Type"] == contract.WAIT_START_RESOURCE_TYPE]
    conditions = resources_[start]["Properties"][contract.WAIT_START_CONDITIONS]
    for condition in conditions:
        members = resources_[condition]["Metadata"][contract.WAIT_MEMBERS_METADATA]
        assert set(resources_[condition]["DependsOn"]) == {start, *members}
        assert "ResourceSignal" in resources_[condition]["CreationPolicy"]
