"""CustomizationJob: the rendered template (properties mirror the API, IAM is least privilege, one provider)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    CustomizationJob,
    CustomizationType,
    DistillationConfig,
    InvocationLogsConfig,
    ReasoningEffort,
    RequestMetadataFilter,
    RequestMetadataFilters,
    RftConfig,
    RftHyperParameters,
    S3Location,
    VpcConfig,
)
from bedrock_customization_provider import contract

GIVEN_ROLE = "arn:aws:iam::111122223333:role/my-bedrock-role"


@pytest.fixture(scope="module")
def stack(make_stack):
    """Four jobs covering every feature: fine-tuning (VPC, KMS, tags), distillation from logs, RFT, given role."""
    stack = make_stack("JobStack")
    data = s3.Bucket(stack, "Data")
    key = kms.Key(stack, "ModelKey")
    encrypted = s3.Bucket(stack, "Encrypted", encryption=s3.BucketEncryption.KMS)
    grader = lambda_.Function(
        stack,
        "Grader",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
    )
    fine = CustomizationJob(
        stack,
        "Fine",
        job_name="fine-job-1",
        custom_model_name="fine_model_1",
        base_model="amazon.nova-micro-v1:0:128k",
        training_data=S3Location(data, "train/data.jsonl"),
        validation_data=[S3Location(data, "validation/a.jsonl"), "s3://other-validation-bucket/b.jsonl"],
        output_data=S3Location(data, "output/"),
        hyper_parameters={"epochCount": 2, "learningRate": 0.00001, "earlyStopping": True, "batchSize": "1"},
        custom_model_kms_key=key,
        job_tags={"project": "p1", "stage": "test"},
        custom_model_tags={"project": "p1"},
        vpc_config=VpcConfig(
            subnets=[ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123456789abcdef0"), "subnet-11111111"],
            security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0")],
        ),
        service_timeout=cdk.Duration.minutes(30),
    )
    distill = CustomizationJob(
        stack,
        "Distill",
        base_model="amazon.nova-micro-v1:0:128k",
        invocation_logs=InvocationLogsConfig(
            source=S3Location(encrypted, "logs/"),
            use_prompt_response=True,
            request_metadata_filters=RequestMetadataFilters(
                and_all=[
                    RequestMetadataFilter(equals={"project": "support"}),
                    RequestMetadataFilter(not_equals={"stage": "test"}),
                ]
            ),
        ),
        output_data="s3://distill-output-bucket/out/",
        distillation=DistillationConfig(teacher_model="amazon.nova-pro-v1:0", max_response_length_for_inference=1000),
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    rft = CustomizationJob(
        stack,
        "Rft",
        base_model="amazon.nova-lite-v1:0:300k",
        training_data="s3://rft-bucket/train.jsonl",
        output_data="s3://rft-bucket/out/",
        reinforcement_fine_tuning=RftConfig(
            grader=grader,
            hyper_parameters=RftHyperParameters(
                epoch_count=3, batch_size=64, learning_rate=0.0001, reasoning_effort=ReasoningEffort.HIGH
            ),
        ),
    )
    given = CustomizationJob(
        stack,
        "Given",
        base_model=fine.model,
        customization_type=CustomizationType.CONTINUED_PRE_TRAINING,
        training_data="s3://cpt-bucket/corpus/",
        output_data="s3://cpt-bucket/out/",
        role=GIVEN_ROLE,
    )
    for name, job in {"Fine": fine, "Distill": distill, "Rft": rft, "Given": given}.items():
        for attribute in (
            "job_arn",
            "job_name",
            "custom_model_arn",
            "custom_model_name",
            "status",
            "training_loss",
            "validation_loss",
            "output_s3_uri",
        ):
            cdk.CfnOutput(stack, f"{name}{attribute.title().replace('_', '')}", value=getattr(job, attribute))
    return stack


@pytest.fixture(scope="module")
def template(stack, synthesize):
    return synthesize(stack)


def test_properties_mirror_the_create_model_customization_job_request(template, q):
    # GIVEN a fine-tuning job with every top-level option WHEN synthesized THEN its properties are the API request
    props = q.job_properties(template, "Fine")
    assert set(props) == {
        "ServiceToken",
        "ServiceTimeout",
        "RemovalPolicy",
        "WaitMode",
        "jobName",
        "customModelName",
        "roleArn",
        "baseModelIdentifier",
        "customizationType",
        "trainingDataConfig",
        "validationDataConfig",
        "outputDataConfig",
        "hyperParameters",
        "customModelKmsKeyId",
        "jobTags",
        "customModelTags",
        "vpcConfig",
    }
    assert props["jobName"] == "fine-job-1"
    assert props["customModelName"] == "fine_model_1"
    assert props["baseModelIdentifier"] == "amazon.nova-micro-v1:0:128k"
    assert props["customizationType"] == "FINE_TUNING"
    assert set(props["trainingDataConfig"]) == {"s3Uri"}
    assert props["validationDataConfig"]["validators"][1] == {"s3Uri": "s3://other-validation-bucket/b.jsonl"}
    assert props["jobTags"] == [{"key": "project", "value": "p1"}, {"key": "stage", "value": "test"}]
    assert props["customModelTags"] == [{"key": "project", "value": "p1"}]
    assert props["vpcConfig"]["subnetIds"] == ["subnet-0123456789abcdef0", "subnet-11111111"]
    assert props["vpcConfig"]["securityGroupIds"] == ["sg-0123456789abcdef0"]
    assert "clientRequestToken" not in props


def test_s3_locations_render_as_s3_uris(template, q):
    props = q.job_properties(template, "Fine")
    uri = props["trainingDataConfig"]["s3Uri"]
    assert uri["Fn::Join"][1][0] == "s3://"
    assert uri["Fn::Join"][1][2] == "/train/data.jsonl"
    assert props["outputDataConfig"]["s3Uri"]["Fn::Join"][1][2] == "/output/"


def test_hyperparameters_render_as_strings_without_exponents(template, q):
    assert q.job_properties(template, "Fine")["hyperParameters"] == {
        "epochCount": "2",
        "learningRate": "0.00001",
        "earlyStopping": "true",
        "batchSize": "1",
    }


def test_distillation_from_invocation_logs_renders_the_nested_api_shape(template, q):
    props = q.job_properties(template, "Distill")
    assert props["customizationType"] == "DISTILLATION"
    logs = props["trainingDataConfig"]["invocationLogsConfig"]
    assert logs["usePromptResponse"] is True
    assert logs["requestMetadataFilters"] == {
        "andAll": [{"equals": {"project": "support"}}, {"notEquals": {"stage": "test"}}]
    }
    assert "s3Uri" not in props["trainingDataConfig"]
    assert props["customizationConfig"] == {
        "distillationConfig": {
            "teacherModelConfig": {
                "teacherModelIdentifier": "amazon.nova-pro-v1:0",
                "maxResponseLengthForInference": 1000,
            }
        }
    }


def test_rft_renders_grader_arn_and_typed_hyperparameters(template, q):
    props = q.job_properties(template, "Rft")
    assert props["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    rft = props["customizationConfig"]["rftConfig"]
    grader_id, _ = q.one(template, "AWS::Lambda::Function", "Grader")
    assert rft["graderConfig"]["lambdaGrader"]["lambdaArn"] == {"Fn::GetAtt": [grader_id, "Arn"]}
    assert rft["hyperParameters"] == {
        "epochCount": 3,
        "batchSize": 64,
        "learningRate": 0.0001,
        "reasoningEffort": "high",
    }


def test_kms_key_renders_its_arn(template, q):
    key_id, _ = q.one(template, "AWS::KMS::Key", "ModelKey")
    assert q.job_properties(template, "Fine")["customModelKmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_a_job_model_is_the_base_model_of_another_job(template, q):
    fine_id, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "FineWaitResult")  # read once Fine has completed
    props = q.job_properties(template, "Given")
    assert props["baseModelIdentifier"] == {"Fn::GetAtt": [fine_id, contract.ATTR_CUSTOM_MODEL_ARN]}
    assert props["customizationType"] == "CONTINUED_PRE_TRAINING"


def test_foundation_model_construct_renders_its_model_id(make_stack, synthesize, q):
    stack = make_stack()
    model = bedrock.FoundationModel.from_foundation_model_id(
        stack, "Model", bedrock.FoundationModelIdentifier("amazon.titan-text-express-v1:0:8k")
    )
    CustomizationJob(stack, "Job", base_model=model, training_data="s3://b-1/t.jsonl", output_data="s3://b-1/o/")
    props = q.job_properties(synthesize(stack), "Job")
    assert props["baseModelIdentifier"] == "amazon.titan-text-express-v1:0:8k"


def test_three_jobs_share_one_provider_function(template, q):
    providers = {
        k: v
        for k, v in q.resources(template, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == contract.HANDLER
    }
    assert len(providers) == 1
    provider_id = next(iter(providers))
    jobs = q.resources(template, contract.JOB_RESOURCE_TYPE)
    assert len(jobs) == 4
    for job in jobs.values():
        assert job["Properties"]["ServiceToken"] == {"Fn::GetAtt": [provider_id, "Arn"]}


def test_provider_function_configuration(template, q):
    _, function = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    props = function["Properties"]
    assert props["Runtime"] == "python3.14"  # the newest (cdk-nag AwsSolutions-L1)
    assert props["Handler"] == contract.HANDLER
    assert 300 <= props["Timeout"] <= 600
    env = props["Environment"]["Variables"]
    assert env["AWS_DATA_PATH"] == f"/var/task/{contract.BOTOCORE_DATA_DIR}"
    assert int(env[contract.ENV_POLL_INTERVAL_MINUTES]) >= 1


def test_service_timeout_is_always_set(template, q):
    assert q.job_properties(template, "Fine")["ServiceTimeout"] == "1800"
    assert q.job_properties(template, "Rft")["ServiceTimeout"] == "3600"


def test_removal_policy_is_a_property_not_a_deletion_policy(template, q):
    assert q.job_properties(template, "Fine")["RemovalPolicy"] == contract.REMOVAL_POLICY_DESTROY
    assert q.job_properties(template, "Distill")["RemovalPolicy"] == contract.REMOVAL_POLICY_RETAIN
    _, distill = q.one(template, contract.JOB_RESOURCE_TYPE, "Distill")
    assert distill.get("DeletionPolicy", "Delete") == "Delete"  # Delete always runs: it stops a running job


def test_attributes_are_getatts_with_contract_names(template, q):
    # the job's own resource gives what exists once it started; the reader after the long wait gives the rest
    fine_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "Fine")
    result_id, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "FineWaitResult")
    outputs = template.to_json()["Outputs"]
    seen: dict[str, set[str]] = {fine_id: set(), result_id: set()}
    for name, output in outputs.items():
        if name.startswith("Fine"):
            resource, attribute = output["Value"]["Fn::GetAtt"]
            seen[resource].add(attribute)
    assert seen[fine_id] == set(contract.JOB_STARTED_ATTRIBUTES)
    assert seen[result_id] == set(contract.JOB_ATTRIBUTES) - set(contract.JOB_STARTED_ATTRIBUTES)


# --- IAM: the created service role ---------------------------------------------------------------------------------
def test_service_role_trusts_bedrock_for_this_account_and_its_jobs_only(template, q):
    _, role = q.one(template, "AWS::IAM::Role", q.job_role(template, "Fine"))
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source_arn["Fn::Join"][1][-1] == ":model-customization-job/*"


def test_service_role_reads_exactly_the_training_and_validation_data(template, q):
    statements = q.policy_statements(template, q.job_role(template, "Fine") + "DefaultPolicy")
    (read,) = [s for s in q.statements_with(statements, "s3:GetObject") if "s3:PutObject" not in q.actions_of(s)]
    resources = read["Resource"]
    suffixes = {r["Fn::Join"][1][-1] if isinstance(r, dict) else r for r in resources}
    assert "/train/data.jsonl*" in suffixes
    assert "/validation/a.jsonl*" in suffixes
    assert any("other-validation-bucket/b.jsonl*" in str(r) for r in resources)
    assert "s3:PutObject" not in q.actions_of(read)


def test_service_role_writes_only_the_output_prefix(template, q):
    statements = q.policy_statements(template, q.job_role(template, "Fine") + "DefaultPolicy")
    (write,) = q.statements_with(statements, "s3:PutObject")
    assert write["Resource"]["Fn::Join"][1][-1] == "/output/*"
    assert "s3:DeleteObject" not in q.all_actions(statements)


def test_service_role_lists_only_the_prefixes_it_reads_and_writes(template, q):
    # s3:ListBucket names the objects of a bucket: each bucket is listed only under the keys the job uses (s3:prefix)
    statements = q.policy_statements(template, q.job_role(template, "Fine") + "DefaultPolicy")
    data_id, _ = q.one(template, "AWS::S3::Bucket", "Data")
    data = {"Fn::GetAtt": [data_id, "Arn"]}
    other = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::other-validation-bucket"]]}
    assert q.statements_with(statements, "s3:ListBucket") == [
        {"Action": "s3:ListBucket", "Condition": {"StringLike": {"s3:prefix": ["train/data.jsonl*",
         "validation/a.jsonl*"]}}, "Effect": "Allow", "Resource": data},
        {"Action": "s3:ListBucket", "Condition": {"StringLike": {"s3:prefix": ["b.jsonl*"]}}, "Effect": "Allow",
         "Resource": other},
        {"Action": "s3:ListBucket", "Condition": {"StringLike": {"s3:prefix": ["output/*"]}}, "Effect": "Allow",
         "Resource": data},
    ]  # fmt: skip


def test_a_whole_bucket_is_listed_without_a_prefix_condition(make_stack, synthesize, q):
    from aws_cdk import aws_iam as iam
    from bedrock_customization.s3_location import resolve_s3
    from bedrock_customization.service_role import grant_s3_read

    stack = make_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    grant_s3_read(role, [resolve_s3(S3Location(s3.Bucket(stack, "Whole"))), resolve_s3("s3://data-bucket/keys/")])
    statements = q.policy_statements(synthesize(stack), "RoleDefaultPolicy")
    listing = {str(s["Resource"]): s.get("Condition") for s in q.statements_with(statements, "s3:ListBucket")}
    assert sorted(listing.values(), key=str) == [None, {"StringLike": {"s3:prefix": ["keys/*"]}}]


def test_service_role_uses_a_data_buckets_key_only_through_s3(template, q):
    # the key is granted for S3's sake: kms:ViaService s3.<region>, never directly with KMS
    statements = q.policy_statements(template, q.job_role(template, "Distill") + "DefaultPolicy")
    key_id, _ = q.one(template, "AWS::KMS::Key", "EncryptedKey")
    on_key = [s for s in statements if s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}]
    via_s3 = {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    assert on_key == [
        {"Action": "kms:Decrypt", "Condition": {"StringEquals": {"kms:ViaService": via_s3}}, "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [key_id, "Arn"]}},
    ]  # fmt: skip


def test_service_role_may_use_the_model_key_only_through_bedrock(template, q):
    statements = q.policy_statements(template, q.job_role(template, "Fine") + "DefaultPolicy")
    (grant,) = q.statements_with(statements, "kms:CreateGrant")
    key_id, _ = q.one(template, "AWS::KMS::Key", "ModelKey")
    assert grant["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert "kms:ViaService" in grant["Condition"]["StringEquals"]


def test_service_role_may_decrypt_a_kms_encrypted_data_bucket(template, q):
    statements = q.policy_statements(template, q.job_role(template, "Distill") + "DefaultPolicy")
    key_id, _ = q.one(template, "AWS::KMS::Key", "EncryptedKey")
    decrypt = [
        s for s in q.statements_with(statements, "kms:Decrypt") if s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    ]
    assert decrypt


def test_vpc_permissions_only_with_a_vpc(template, q):
    fine = q.policy_statements(template, q.job_role(template, "Fine") + "DefaultPolicy")
    assert {
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:CreateTags",
        "ec2:DescribeSubnets",
    } <= q.all_actions(fine)
    tagged = [s for s in q.statements_with(fine, "ec2:CreateNetworkInterface") if "Condition" in s]
    assert tagged and tagged[0]["Condition"]["StringEquals"] == {"aws:RequestTag/BedrockManaged": ["true"]}
    (create_tags,) = q.statements_with(fine, "ec2:CreateTags")
    assert create_tags["Condition"]["StringEquals"] == {"ec2:CreateAction": ["CreateNetworkInterface"]}
    for other in ("Distill", "Rft"):
        assert not any(
            a.startswith("ec2:") for a in q.all_actions(q.policy_statements(template, q.job_role(template, other)))
        )


def test_grader_invoke_only_with_rft(template, q):
    rft = q.policy_statements(template, q.job_role(template, "Rft") + "DefaultPolicy")
    (invoke,) = q.statements_with(rft, "lambda:InvokeFunction")
    grader_id, _ = q.one(template, "AWS::Lambda::Function", "Grader")
    assert invoke["Resource"] == {"Fn::GetAtt": [grader_id, "Arn"]}
    for other in ("Fine", "Distill"):
        assert "lambda:InvokeFunction" not in q.all_actions(q.policy_statements(template, q.job_role(template, other)))


def test_given_role_is_used_as_is(template, q):
    assert q.job_properties(template, "Given")["roleArn"] == GIVEN_ROLE
    # the roles created are exactly those of the jobs given none
    created = {lid[:-8] for lid in q.resources(template, "AWS::IAM::Role") if "JobRoles" in lid}
    assert created == {q.job_role(template, job) for job in ("Fine", "Distill", "Rft")}


def test_job_waits_for_its_role_policy(template, q):
    _, fine = q.one(template, contract.JOB_RESOURCE_TYPE, "Fine")
    policy_id, _ = q.one(template, "AWS::IAM::Policy", q.job_role(template, "Fine") + "DefaultPolicy")
    assert policy_id in fine["DependsOn"]


# --- IAM: the provider ----------------------------------------------------------------------------------------------
def test_provider_passes_each_job_role_to_bedrock_only(template, q):
    statements = q.statements_with(q.policy_statements(template, "BedrockCustomizationProviderRole"), "iam:PassRole")
    resources = [s["Resource"] for s in statements]
    assert GIVEN_ROLE in resources
    for job in ("Fine", "Distill", "Rft"):
        role_id, _ = q.one(template, "AWS::IAM::Role", q.job_role(template, job))
        assert {"Fn::GetAtt": [role_id, "Arn"]} in resources
    assert "*" not in resources
    for statement in statements:
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


def test_provider_bedrock_permissions_are_scoped_to_this_accounts_jobs_and_models(template, q):
    statements = q.policy_statements(template, "BedrockCustomizationProviderRole")
    bedrock_statements = [s for s in statements if any(a.startswith("bedrock:") for a in q.actions_of(s))]
    assert {
        "bedrock:CreateModelCustomizationJob",
        "bedrock:GetModelCustomizationJob",
        "bedrock:StopModelCustomizationJob",
        "bedrock:GetCustomModel",
        "bedrock:DeleteCustomModel",
        "bedrock:ListModelCustomizationJobs",
        "bedrock:ListCustomModels",
        "bedrock:TagResource",
        "bedrock:UntagResource",
    } <= q.all_actions(bedrock_statements)
    for statement in bedrock_statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        listings = {"ListModelCustomizationJobs", "ListCustomModels", "ListProvisionedModelThroughputs"}
        listings |= {"ListCustomModelDeployments", "ListModelImportJobs"}
        if set(q.actions_of(statement)) <= {f"bedrock:{a}" for a in listings}:
            assert resources == ["*"]  # List* actions support no resource-level permissions
            continue
        for resource in resources:
            tail = resource["Fn::Join"][1][-1]
            assert tail in (  # this account's and region's (foundation models: the region's) resources only
                ":model-customization-job/*",
                ":custom-model/*",
                "::foundation-model/*",
                ":inference-profile/*",
                ":custom-model-deployment/*",
                ":provisioned-model/*",
                ":model-import-job/*",
                ":imported-model/*",
            )


def test_provider_event_rules_are_scoped_to_the_stacks_own_poll_prefix(template, q):
    # crhelper's rules are named bedrock-cr-poll-<stack GUID>-<digest>: the role names this stack's rules, no other's
    statements = q.policy_statements(template, "BedrockCustomizationProviderRole")
    (events,) = q.statements_with(statements, "events:PutRule")
    guid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    partition, region, account = ({"Ref": f"AWS::{name}"} for name in ("Partition", "Region", "AccountId"))
    assert events == {
        "Action": ["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
        "Effect": "Allow",
        "Resource": {
            "Fn::Join": [
                "",
                ["arn:", partition, ":events:", region, ":", account, f":rule/{contract.POLL_RULE_PREFIX}", guid, "-*"],
            ]
        },
    }


def test_provider_may_add_permissions_only_to_itself_in_a_separate_policy(template, q):
    function_id, _ = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    policy_id, policy = q.one(template, "AWS::IAM::Policy", "BedrockCustomizationProviderSelfPermissions")
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    # only statements that let EventBridge invoke it (lambda:Principal: both actions support the key)
    assert statement == {
        "Action": ["lambda:AddPermission", "lambda:RemovePermission"],
        "Condition": {"StringEquals": {"lambda:Principal": "events.amazonaws.com"}},
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [function_id, "Arn"]},
    }
    default = q.policy_statements(template, "BedrockCustomizationProviderRoleDefaultPolicy")
    assert "lambda:AddPermission" not in q.all_actions(default)
    for job_id in q.resources(template, contract.JOB_RESOURCE_TYPE):
        assert policy_id in q.created_after(template, job_id)


def test_provider_may_use_the_model_key_through_bedrock(template, q):
    statements = q.policy_statements(template, "BedrockCustomizationProviderRole")
    (grant,) = q.statements_with(statements, "kms:CreateGrant")
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert "kms:ViaService" in grant["Condition"]["StringEquals"]


def test_grant_read_scopes_to_the_job_and_its_model(make_stack, synthesize, q):
    from aws_cdk import aws_iam as iam

    stack = make_stack()
    job = CustomizationJob(
        stack, "Job", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t", output_data="s3://b-1/o/"
    )
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    job.grant_read(reader)
    template = synthesize(stack)
    job_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "Job")
    result_id, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "JobWaitResult")
    (statement,) = q.policy_statements(template, "ReaderDefaultPolicy")
    assert "bedrock:GetModelCustomizationJob" in q.actions_of(statement)
    assert statement["Resource"] == [
        {"Fn::GetAtt": [job_id, contract.ATTR_JOB_ARN]},
        {"Fn::GetAtt": [result_id, contract.ATTR_CUSTOM_MODEL_ARN]},
    ]
