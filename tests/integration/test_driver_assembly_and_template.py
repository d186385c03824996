"""The driver reads what `cdk synth` wrote: stacks, asset folders, the resource graph and the provider function."""

from __future__ import annotations

import pytest
from bedrock_customization_local.driver.assembly import CloudAssembly
from bedrock_customization_local.driver.errors import AssemblyError, DriverError
from bedrock_customization_local.driver.intrinsics import StackEnv
from bedrock_customization_local.driver.template import StackTemplate

from .conftest import JOB, function_resource


def _template(**extra_resources):
    resources = {
        "ProviderRole": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Provider": function_resource(),
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "First": {
            "Type": JOB,
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, "ServiceTimeout": "600"},
        },
        "Policy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyDocument": {"Resource": {"Fn::GetAtt": ["First", "CustomModelArn"]}}},
        },
        "Second": {
            "Type": JOB,
            "DependsOn": ["Policy"],
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}},
        },
        "Third": {
            "Type": JOB,
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
                "baseModelIdentifier": {"Fn::Sub": "${Second.CustomModelArn}"},
                "bucket": {"Ref": "Bucket"},
            },
        },
    }
    resources.update(extra_resources)
    return {"Resources": resources}


def test_stack_and_asset_dir_come_from_the_manifest_and_metadata(make_assembly):
    # GIVEN an assembly with one stack whose function names its asset in metadata
    directory = make_assembly(_template())
    # WHEN it is loaded
    stack = CloudAssembly.load(directory).stack()
    # THEN the stack, its template and the asset folder are found
    assert stack.stack_name == "Demo"
    assert stack.asset_dir(stack.template(), "Provider") == (directory / "asset.abc123").resolve()


def test_asset_dir_falls_back_to_the_asset_manifest_without_metadata(make_assembly):
    directory = make_assembly(_template(), metadata=False)
    stack = CloudAssembly.load(directory).stack()
    assert stack.asset_dir(stack.template(), "Provider") == (directory / "asset.abc123").resolve()


def test_a_missing_assembly_or_stack_is_a_clear_error(tmp_path, make_assembly):
    with pytest.raises(AssemblyError, match="not a cloud assembly"):
        CloudAssembly.load(tmp_path / "nowhere")
    with pytest.raises(AssemblyError, match="no stack 'Other'"):
        CloudAssembly.load(make_assembly(_template())).stack("Other")


def test_custom_resources_are_ordered_through_non_custom_links_and_sub_references():
    # GIVEN Second depends on First only through a policy, Third on Second through Fn::Sub
    template = StackTemplate(_template(), StackEnv.for_stack("Demo"))
    # THEN the creation order honours both chains
    assert template.creation_order() == ["First", "Second", "Third"]
    assert template.custom_dependencies("Third") == {"First", "Second"}


def test_a_cycle_between_custom_resources_is_refused():
    cyclic = _template()
    cyclic["Resources"]["First"]["DependsOn"] = "Third"
    with pytest.raises(DriverError, match="circular dependency"):
        StackTemplate(cyclic, StackEnv.for_stack("Demo")).creation_order()


def test_function_spec_comes_from_the_template_and_the_asset(make_assembly):
    # GIVEN the provider function of a custom resource
    stack = CloudAssembly.load(make_assembly(_template())).stack()
    template = StackTemplate(stack.template(), StackEnv.for_stack("Demo"))
    function_id = template.provider_function_id("First")
    # WHEN its spec is read
    spec = template.function_spec(function_id, stack)
    # THEN handler, timeout, environment (stringified) and role are the template's; the code is the asset
    assert spec.handler == "probe_provider.handler.main"
    assert spec.timeout_seconds == 30
    assert spec.environment == {"AWS_DATA_PATH": "/var/task/botocore-data", "POLL_INTERVAL_MINUTES": "1"}
    assert spec.role_arn == "arn:aws:iam::123456789012:role/ProviderRole"
    assert spec.arn == f"arn:aws:lambda:us-east-1:123456789012:function:{spec.name}"
    assert spec.code_dir.name == "asset.abc123"
    assert template.service_timeout("First") == 600
    assert template.service_timeout("Second") == 3600


def test_a_service_token_that_is_not_a_function_of_the_stack_is_refused():
    template = _template()
    template["Resources"]["First"]["Properties"]["ServiceToken"] = "arn:aws:sns:us-east-1:123456789012:topic"
    with pytest.raises(DriverError, match="ServiceToken must be Fn::GetAtt"):
        StackTemplate(template, StackEnv.for_stack("Demo")).provider_function_id("First")


def test_resources_whose_condition_is_false_do_not_exist():
    template = _template()
    template["Conditions"] = {"Never": {"Fn::Equals": ["a", "b"]}}
    template["Resources"]["Third"]["Condition"] = "Never"
    assert StackTemplate(template, StackEnv.for_stack("Demo")).custom_ids() == ["First", "Second"]
