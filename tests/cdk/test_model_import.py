"""ModelImport: template (properties mirror CreateModelImportJob), the created role's least privilege (trust, the model
data prefix, the key, the VPC), a given role used as is, the provider's PassRole, attributes, the imported model as
an IModel, grant_invoke, and validation (a failing and a passing case per rule)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    AttributeUnavailableError,
    InvalidPropsError,
    ModelImport,
    S3Location,
    VpcConfig,
    WaitMode,
)
from bedrock_customization_provider import contract

GIVEN_ROLE = "arn:aws:iam::111122223333:role/import-role"
SUBNET = "subnet-0123456789abcdef0"
GROUP = "sg-0123456789abcdef0"


@pytest.fixture(scope="module")
def stack(make_stack):
    stack = make_stack("ImportStack")
    weights = s3.Bucket(stack, "Weights", enforce_ssl=True)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    llama = ModelImport(
        stack,
        "Llama",
        model_data=S3Location(weights, "llama-3-8b/"),
        imported_model_name="llama-support",
        kms_key=key,
        vpc_config=VpcConfig(subnets=[SUBNET], security_groups=[GROUP]),
        job_tags={"stage": "import"},
        imported_model_tags={"project": "p1"},
    )
    ModelImport(stack, "Given", model_data="s3://other-weights/mistral/", role=GIVEN_ROLE, job_name="mistral-import-1")
    invoker = iam.Role(stack, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    llama.grant_invoke(invoker)
    for name in ("job_arn", "job_name", "imported_model_arn", "imported_model_name", "status"):
        cdk.CfnOutput(stack, name.title().replace("_", ""), value=getattr(llama, name))
    return stack


@pytest.fixture(scope="module")
def template(stack, synthesize):
    return synthesize(stack)


def _props(template, q, prefix):
    props = q.one(template, contract.MODEL_IMPORT_RESOURCE_TYPE, prefix)[1]["Properties"]
    return {k: v for k, v in props.items() if k != "ServiceToken"}


def test_properties_mirror_create_model_import_job(template, q):
    bucket, _ = q.one(template, "AWS::S3::Bucket", "Weights")
    key, _ = q.one(template, "AWS::KMS::Key", "Key")
    role, _ = q.one(template, "AWS::IAM::Role", "LlamaServiceRole")
    assert _props(template, q, "Llama") == {
        "ServiceTimeout": "3600",
        "RemovalPolicy": "Destroy",
        "importedModelName": "llama-support",
        "roleArn": {"Fn::GetAtt": [role, "Arn"]},
        "modelDataSource": {"s3DataSource": {"s3Uri": {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/llama-3-8b/"]]}}},
        "jobTags": [{"key": "stage", "value": "import"}],
        "importedModelTags": [{"key": "project", "value": "p1"}],
        "vpcConfig": {"subnetIds": [SUBNET], "securityGroupIds": [GROUP]},
        "importedModelKmsKeyId": {"Fn::GetAtt": [key, "Arn"]},
    }


def test_the_created_role_is_trusted_by_bedrock_for_this_accounts_import_jobs_only(template, q):
    _, role = q.one(template, "AWS::IAM::Role", "LlamaServiceRole")
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source = "".join(str(part) for part in statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1])
    assert source.endswith(":model-import-job/*")


def test_the_created_role_reads_the_model_data_prefix_uses_the_key_and_the_vpc(template, q):
    bucket, _ = q.one(template, "AWS::S3::Bucket", "Weights")
    statements = q.policy_statements(template, "LlamaServiceRoleDefaultPolicy")
    [read] = q.statements_with(statements, "s3:GetObject")
    assert read["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/llama-3-8b/*"]]}
    [listing] = q.statements_with(statements, "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["llama-3-8b/*"]}}
    assert q.statements_with(statements, "kms:Decrypt") and q.statements_with(statements, "kms:CreateGrant")
    # the VPC statements of the import guide: ENIs tagged for this account's import jobs
    [create_eni] = [s for s in q.statements_with(statements, "ec2:CreateNetworkInterface") if "Condition" in s]
    assert "aws:RequestTag/BedrockModelImportJobArn" in create_eni["Condition"]["ArnLike"]
    assert not q.statements_with(statements, "s3:PutObject")  # an import reads; it writes nothing


def test_a_given_role_is_used_as_is_and_passed_by_the_provider(template, q):
    assert _props(template, q, "Given")["roleArn"] == GIVEN_ROLE
    assert _props(template, q, "Given")["jobName"] == "mistral-import-1"
    assert not q.resources(template, "AWS::IAM::Role").keys() & {"GivenServiceRole"}
    passes = q.statements_with(q.policy_statements(template, "BedrockCustomizationProviderRole"), "iam:PassRole")
    passed = [s["Resource"] for s in passes]
    role, _ = q.one(template, "AWS::IAM::Role", "LlamaServiceRole")
    assert GIVEN_ROLE in passed and {"Fn::GetAtt": [role, "Arn"]} in passed
    for statement in passes:
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


def test_attributes_and_grant_invoke_name_the_imported_model(template, q):
    resource, _ = q.one(template, contract.MODEL_IMPORT_RESOURCE_TYPE, "Llama")
    outputs = template.to_json()["Outputs"]
    for output, attribute in {
        "JobArn": contract.ATTR_JOB_ARN,
        "JobName": contract.ATTR_JOB_NAME,
        "ImportedModelArn": contract.ATTR_IMPORTED_MODEL_ARN,
        "ImportedModelName": contract.ATTR_IMPORTED_MODEL_NAME,
        "Status": contract.ATTR_STATUS,
    }.items():
        assert outputs[output]["Value"] == {"Fn::GetAtt": [resource, attribute]}
    assert q.policy_statements(template, "InvokerDefaultPolicy") == [
        {
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [resource, contract.ATTR_IMPORTED_MODEL_ARN]},
        }
    ]


def test_the_imported_model_is_an_imodel(make_stack):
    stack = make_stack()
    imported = ModelImport(stack, "I", model_data="s3://weights-1/m/").imported_model
    # WHEN aws-cdk takes it as an IModel (a jsii call with the interface type) THEN its ARN scopes the grant
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.Grant.add_to_principal(grantee=role, actions=["bedrock:GetImportedModel"], resource_arns=[imported.model_arn])
    assert bedrock.IModel in type(imported).__jsii_ifaces__  # type: ignore[attr-defined]
    assert cdk.Token.is_unresolved(imported.model_arn)


def test_none_wait_mode_has_no_imported_model(make_stack):
    model_import = ModelImport(make_stack(), "I", model_data="s3://weights-1/m/", wait_mode=WaitMode.NONE)
    assert cdk.Token.is_unresolved(model_import.imported_model_name)  # named at the start
    with pytest.raises(AttributeUnavailableError, match="imported_model_arn is not available"):
        _ = model_import.imported_model


def test_every_problem_is_reported_at_once_naming_the_argument(make_stack):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as info:
        ModelImport(
            stack,
            "Bad",
            model_data="https://weights/m/",
            job_name="-bad",
            imported_model_name="bad name",
            role="not-a-role",
            vpc_config=VpcConfig(subnets=[], security_groups=[GROUP]),
            imported_model_tags={f"k{i}": "v" for i in range(50)},
            job_tags={"aws:x": "y"},
        )
    problems = info.value.problems
    for argument in ("model_data", "job_name", "imported_model_name", "role", "vpc_config", "imported_model_tags"):
        assert any(f"(argument {argument})" in p for p in problems), (argument, problems)
    assert any("'aws:x'" in p and "(argument job_tags)" in p for p in problems)


def test_a_valid_import_passes_every_rule(make_stack):
    ModelImport(
        make_stack(),
        "Good",
        model_data="s3://weights-1/m/",
        job_name="import-1",
        imported_model_name="model_1",
        role=GIVEN_ROLE,
        vpc_config=VpcConfig(subnets=[SUBNET], security_groups=[GROUP]),
        imported_model_tags={f"k{i}": "v" for i in range(49)},
        job_tags={f"k{i}": "v" for i in range(49)},
        kms_key="alias/imports",
    )


def test_the_serving_constructs_have_no_unacknowledged_awssolutions_finding(tmp_path):
    # GIVEN every option of the three constructs (the data bucket imported: its findings are its owner's)
    from aws_cdk import aws_ec2 as ec2
    from bedrock_customization import Commitment, CustomModel, CustomModelDeployment, ProvisionedThroughput
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Serving")
    data = s3.Bucket.from_bucket_name(stack, "Data", "weights-bucket")
    vpc = VpcConfig(
        subnets=[ec2.Subnet.from_subnet_id(stack, "Subnet", SUBNET)],
        security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Sg", GROUP)],
    )
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    ModelImport(stack, "Import", model_data=S3Location(data, "llama/"), kms_key=key, vpc_config=vpc)
    model = CustomModel(stack, "Nova", model_package_arn="arn:aws:sagemaker:us-east-1:111122223333:model-package/n/1")
    CustomModelDeployment(stack, "Serve", model=model, wait_mode=WaitMode.LONG)
    ProvisionedThroughput(stack, "Capacity", model=model, model_units=1, commitment=Commitment.ONE_MONTH)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    # WHEN the AwsSolutions pack checks it THEN synthesis passes (it fails on any unacknowledged finding)
    app.synth()
