"""Intrinsic functions resolve to deterministic local values, custom resources from their answers, else an error."""

from __future__ import annotations

import dataclasses

import pytest
from bedrock_customization_local.driver.cfn_events import request_event, stringify
from bedrock_customization_local.driver.errors import IntrinsicError
from bedrock_customization_local.driver.intrinsics import CustomState, Resolver, StackEnv, references

TEMPLATE = {
    "Parameters": {"Prefix": {"Type": "String", "Default": "train"}},
    "Mappings": {"Models": {"us-east-1": {"Base": "amazon.nova-micro-v1:0:128k"}}},
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role"},
        "NamedRole": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::Sub": "${AWS::StackName}-bedrock"}}},
        "Data": {"Type": "AWS::S3::Bucket"},
        "Key": {"Type": "AWS::KMS::Key"},
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Job": {"Type": "Custom::BedrockModelCustomizationJob"},
        "Mystery": {"Type": "AWS::Foo::Bar"},
    },
}


@pytest.fixture
def resolver():
    custom = {
        "Job": CustomState("arn:aws:bedrock:us-east-1:123456789012:model-customization-job/x", {"Status": "Done"})
    }
    return Resolver(TEMPLATE, StackEnv.for_stack("Demo"), custom)


def test_roles_buckets_and_keys_resolve_to_realistic_stable_values(resolver):
    assert resolver.resolve({"Fn::GetAtt": ["Role", "Arn"]}) == "arn:aws:iam::123456789012:role/Role"
    assert resolver.resolve({"Fn::GetAtt": "NamedRole.Arn"}) == "arn:aws:iam::123456789012:role/Demo-bedrock"
    bucket = resolver.resolve({"Ref": "Data"})
    assert bucket == resolver.resolve({"Ref": "Data"}) and bucket.startswith("demo-data-")
    assert resolver.resolve({"Fn::GetAtt": ["Data", "Arn"]}) == f"arn:aws:s3:::{bucket}"
    key_arn = resolver.resolve({"Fn::GetAtt": ["Key", "Arn"]})
    assert key_arn == f"arn:aws:kms:us-east-1:123456789012:key/{resolver.resolve({'Ref': 'Key'})}"


def test_ec2_ids_look_like_ec2_ids(resolver):
    assert resolver.resolve({"Ref": "Vpc"}).startswith("vpc-")
    assert resolver.resolve({"Ref": "Subnet"}).startswith("subnet-")
    assert resolver.resolve({"Fn::GetAtt": ["Group", "GroupId"]}).startswith("sg-")
    assert resolver.resolve({"Fn::GetAtt": ["Subnet", "VpcId"]}) == resolver.resolve({"Ref": "Vpc"})


def test_join_sub_select_split_and_pseudo_parameters(resolver):
    uri = resolver.resolve({"Fn::Join": ["", ["s3://", {"Ref": "Data"}, "/", {"Ref": "Prefix"}, "/data.jsonl"]]})
    assert uri.endswith("/train/data.jsonl")
    sub = {"Fn::Sub": ["arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Name}/${!Literal}", {"Name": "n"}]}
    assert resolver.resolve(sub) == "arn:aws:x:us-east-1:123456789012:n/${Literal}"
    assert resolver.resolve({"Fn::Select": ["1", {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert resolver.resolve({"Fn::FindInMap": ["Models", {"Ref": "AWS::Region"}, "Base"]}).startswith("amazon.")
    assert resolver.resolve({"Ref": "AWS::StackId"}).startswith(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/Demo/"
    )
    assert resolver.resolve({"a": {"Ref": "AWS::NoValue"}, "b": 1}) == {"b": 1}


def test_custom_resources_resolve_from_their_response(resolver):
    assert resolver.resolve({"Ref": "Job"}).startswith("arn:aws:bedrock:")
    assert resolver.resolve({"Fn::Sub": "${Job.Status}"}) == "Done"
    with pytest.raises(IntrinsicError, match="Vendor response doesn't contain TrainingLoss"):
        resolver.resolve({"Fn::GetAtt": ["Job", "TrainingLoss"]})


def test_what_the_driver_cannot_resolve_is_named(resolver):
    with pytest.raises(IntrinsicError, match=r"Ref to Mystery \(AWS::Foo::Bar\).*local_ref"):
        resolver.resolve({"Ref": "Mystery"}, "Job.Properties.x")
    with pytest.raises(IntrinsicError, match=r"Role\.Nope"):
        resolver.resolve({"Fn::GetAtt": ["Role", "Nope"]})
    with pytest.raises(IntrinsicError, match="does not support Fn::Cidr"):
        resolver.resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})
    with pytest.raises(IntrinsicError, match="No export named x found"):  # no other stack in this session
        resolver.resolve({"Fn::ImportValue": "x"})
    with pytest.raises(IntrinsicError, match="not a resource of the template"):
        resolver.resolve({"Ref": "Ghost"})


def test_import_value_reads_the_sessions_exports_by_a_computed_name():
    exports = {"Demo-Token": "arn:aws:lambda:us-east-1:123456789012:function:provider"}

    def lookup(name: str) -> str:
        if name not in exports:
            raise IntrinsicError(f"No export named {name} found")
        return exports[name]

    env = dataclasses.replace(StackEnv.for_stack("Demo"), exports=lookup)
    resolver = Resolver(TEMPLATE, env, {})
    assert resolver.resolve({"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-Token"}}) == exports["Demo-Token"]
    with pytest.raises(IntrinsicError, match="No export named Other found"):
        resolver.resolve({"Fn::ImportValue": "Other"})
    with pytest.raises(IntrinsicError, match="takes an export name"):
        resolver.resolve({"Fn::ImportValue": ["a"]})


def test_a_custom_resource_that_does_not_exist_yet_is_an_ordering_error():
    resolver = Resolver(TEMPLATE, StackEnv.for_stack("Demo"), {})
    with pytest.raises(IntrinsicError, match="does not exist yet"):
        resolver.resolve({"Fn::GetAtt": ["Job", "Status"]})


def test_references_find_ref_getatt_and_sub_targets():
    value = {
        "a": {"Ref": "Role"},
        "b": [{"Fn::GetAtt": "Job.Status"}, {"Fn::Sub": "${Data}/${AWS::Region}/${!x}/${Key.Arn}"}],
        "c": {"Fn::Sub": ["${v}", {"v": {"Ref": "Vpc"}}]},
    }
    assert references(value) == {"Role", "Job", "Data", "Key", "Vpc"}


def test_properties_are_stringified_as_cloudformation_does():
    assert stringify({"n": 2, "f": 0.00001, "t": True, "l": [1, False, {"x": 3}], "s": "s"}) == {
        "n": "2",
        "f": "1e-05",
        "t": "true",
        "l": ["1", "false", {"x": "3"}],
        "s": "s",
    }


def test_update_events_carry_old_properties_and_the_physical_id():
    event = request_event(
        "Update",
        stack_id="arn:stack",
        logical_id="Job",
        resource_type="Custom::X",
        properties={"ServiceToken": "arn:fn", "ServiceTimeout": 600},
        response_url_for=lambda *ids: "https://127.0.0.1/" + "|".join(ids),
        physical_id="phys",
        old_properties={"ServiceTimeout": 300},
    )
    assert event["ServiceToken"] == "arn:fn"
    assert event["ResourceProperties"]["ServiceTimeout"] == "600"
    assert event["OldResourceProperties"] == {"ServiceTimeout": "300"}
    assert event["PhysicalResourceId"] == "phys"
    assert event["ResponseURL"].endswith("|".join(["arn:stack", "Job", event["RequestId"]]))
