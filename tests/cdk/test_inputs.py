"""The ecosystem's types and plain strings are both accepted, and IAM is derived from either form."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from bedrock_customization import CustomizationJob

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def job(stack: cdk.Stack, **kwargs) -> CustomizationJob:
    args = {
        "base_model": "amazon.nova-micro-v1:0:128k",
        "training_data": "s3://b-1/t.jsonl",
        "output_data": "s3://b-1/o/",
    }
    args.update(kwargs)
    return CustomizationJob(stack, "Job", **args)


def test_given_role_construct_is_passed_not_modified(make_stack, synthesize, q):
    stack = make_stack()
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    created = job(stack, role=role)
    template = synthesize(stack)
    role_id, _ = q.one(template, "AWS::IAM::Role", "Mine")
    assert q.job_properties(template, "Job")["roleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert created.role is role
    assert not [k for k in q.resources(template, "AWS::IAM::Policy") if k.startswith("Mine")]
    passes = q.statements_with(q.policy_statements(template, "BedrockCustomizationProviderRole"), "iam:PassRole")
    assert [s["Resource"] for s in passes] == [{"Fn::GetAtt": [role_id, "Arn"]}]


def test_kms_key_id_string_is_scoped_to_that_key(make_stack, synthesize, q):
    stack = make_stack()
    job(stack, custom_model_kms_key=KEY_ID)
    template = synthesize(stack)
    assert q.job_properties(template, "Job")["customModelKmsKeyId"] == KEY_ID
    (key_use,) = q.statements_with(q.policy_statements(template, q.job_role(template, "Job")), "kms:CreateGrant")
    assert key_use["Resource"]["Fn::Join"][1][-1] == f":key/{KEY_ID}"


def test_kms_alias_is_scoped_by_the_resource_alias_condition(make_stack, synthesize, q):
    stack = make_stack()
    job(stack, custom_model_kms_key="alias/models")
    template = synthesize(stack)
    (key_use,) = q.statements_with(q.policy_statements(template, q.job_role(template, "Job")), "kms:CreateGrant")
    assert key_use["Resource"]["Fn::Join"][1][-1] == ":key/*"
    assert key_use["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": ["alias/models"]}


def test_an_imported_kms_alias_object_is_scoped_by_the_resource_alias_condition(make_stack, synthesize, q):
    # GIVEN an alias imported by name: its key_arn is the alias ARN, which authorizes nothing in IAM
    stack = make_stack()
    job(stack, custom_model_kms_key=kms.Alias.from_alias_name(stack, "Imported", "alias/models"))
    template = synthesize(stack)
    for policy in (q.job_role(template, "Job"), "BedrockCustomizationProviderRole"):
        statements = q.policy_statements(template, policy)
        (key_use,) = q.statements_with(statements, "kms:CreateGrant")
        assert key_use["Resource"]["Fn::Join"][1][-1] == ":key/*", policy
        assert key_use["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": ["alias/models"]}
    assert q.job_properties(template, "Job")["customModelKmsKeyId"]["Fn::Join"][1][-1] == ":alias/models"


def test_a_kms_alias_of_this_app_names_and_grants_on_its_key(make_stack, synthesize, q):
    stack = make_stack()
    key = kms.Key(stack, "ModelKey")
    job(stack, custom_model_kms_key=kms.Alias(stack, "ModelAlias", alias_name="alias/models", target_key=key))
    template = synthesize(stack)
    key_id, _ = q.one(template, "AWS::KMS::Key", "ModelKey")
    assert q.job_properties(template, "Job")["customModelKmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    (key_use,) = q.statements_with(q.policy_statements(template, q.job_role(template, "Job")), "kms:CreateGrant")
    assert key_use["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_s3_uri_strings_scope_grants_to_the_key(make_stack, synthesize, q):
    stack = make_stack()
    job(stack, training_data="s3://train-data/set/a.jsonl", output_data="s3://results/run-1/")
    statements = q.policy_statements(synthesize(stack), q.job_role(synthesize(stack), "Job"))
    resources = [str(s["Resource"]) for s in statements]
    assert any(":s3:::train-data/set/a.jsonl*" in r for r in resources)
    assert any(":s3:::results/run-1/*" in r for r in resources)
    assert not any(r.endswith(":s3:::train-data/*'") for r in resources)


def test_token_s3_uri_grants_on_the_bucket_taken_apart_at_deploy_time(make_stack, synthesize, q):
    stack = make_stack()
    uri = cdk.CfnParameter(stack, "TrainingUri").value_as_string
    job(stack, training_data=uri)
    statements = q.policy_statements(synthesize(stack), q.job_role(synthesize(stack), "Job"))
    (read,) = [s for s in q.statements_with(statements, "s3:GetObject") if "s3:PutObject" not in q.actions_of(s)]
    assert "Fn::Select" in str(read["Resource"]) and "Fn::Split" in str(read["Resource"])


def test_imported_bucket_is_accepted(make_stack, synthesize, q):
    from bedrock_customization import S3Location

    stack = make_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "existing-bucket")
    job(stack, training_data=S3Location(bucket, "t.jsonl"), output_data=S3Location(bucket))
    props = q.job_properties(synthesize(stack), "Job")
    assert props["trainingDataConfig"]["s3Uri"] == "s3://existing-bucket/t.jsonl"
    assert props["outputDataConfig"]["s3Uri"] == "s3://existing-bucket/"


def test_vpc_config_from_a_vpc_selects_its_subnets(make_stack, synthesize, q):
    from aws_cdk import aws_ec2 as ec2
    from bedrock_customization import VpcConfig

    stack = make_stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    group = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    job(stack, vpc_config=VpcConfig.from_vpc(vpc, [group], selection))
    template = synthesize(stack)
    vpc_config = q.job_properties(template, "Job")["vpcConfig"]
    assert len(vpc_config["subnetIds"]) == 2 and all("Ref" in s for s in vpc_config["subnetIds"])
    assert vpc_config["securityGroupIds"] == [
        {"Fn::GetAtt": [q.one(template, "AWS::EC2::SecurityGroup", "Sg")[0], "GroupId"]}
    ]
    (scoped,) = [
        s
        for s in q.statements_with(
            q.policy_statements(template, q.job_role(template, "Job")), "ec2:CreateNetworkInterface"
        )
        if "Condition" not in s
    ]
    assert len(scoped["Resource"]) == 3  # two subnets and one security group, nothing else
