"""CustomModel: template (properties mirror CreateCustomModel, role only when the source needs one, attributes) and
validation (a failing and a passing case per rule, all at once)."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from bedrock_customization import CustomizationJob, CustomModel, ICustomModel, InvalidPropsError, S3Location
from bedrock_customization_provider import contract

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
ARTIFACTS = "s3://customer-escrow-111122223333-smtj-abcdef/nova-micro/run-1/"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def stack(make_stack):
    stack = make_stack("ModelStack")
    from_s3 = CustomModel(
        stack,
        "FromS3",
        model_name="nova-from-s3",
        s3_artifacts=ARTIFACTS,
        kms_key=kms.Key(stack, "Key"),
        model_tags={"project": "p1"},
    )
    from_package = CustomModel(stack, "FromPackage", model_package_arn=PACKAGE, removal_policy=cdk.RemovalPolicy.RETAIN)
    # Models and jobs share the stack's provider (a registered model is not a base model: see test_base_models.py).
    CustomizationJob(stack, "Tune", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t.jsonl",
                     output_data="s3://b-1/o/")  # fmt: skip
    for name, model in {"FromS3": from_s3, "FromPackage": from_package}.items():
        for attribute in ("model_arn", "model_name", "status", "customization_type"):
            cdk.CfnOutput(stack, f"{name}{attribute.title().replace('_', '')}", value=getattr(model, attribute))
    return stack


@pytest.fixture(scope="module")
def template(stack, synthesize):
    return synthesize(stack)


def test_s3_source_properties_mirror_create_custom_model(template, q):
    props = q.model_properties(template, "FromS3")
    key_id, _ = q.one(template, "AWS::KMS::Key", "Key")
    role_id, _ = q.one(template, "AWS::IAM::Role", "FromS3ServiceRole")
    assert {k: v for k, v in props.items() if k != "ServiceToken"} == {
        "ServiceTimeout": "3600",
        "RemovalPolicy": "Destroy",
        "modelName": "nova-from-s3",
        "modelSourceConfig": {"s3DataSource": {"s3Uri": ARTIFACTS}},
        "modelKmsKeyArn": {"Fn::GetAtt": [key_id, "Arn"]},
        "roleArn": {"Fn::GetAtt": [role_id, "Arn"]},
        "modelTags": [{"key": "project", "value": "p1"}],
    }


def test_model_package_source_needs_no_role(template, q):
    props = q.model_properties(template, "FromPackage")
    assert props["customModelDataSource"] == {"modelPackageArnDataSource": {"modelPackageArn": PACKAGE}}
    assert "roleArn" not in props and "modelName" not in props
    assert props["RemovalPolicy"] == "Retain"
    assert not [k for k in q.resources(template, "AWS::IAM::Role") if k.startswith("FromPackageServiceRole")]


def test_created_role_has_confused_deputy_conditions_and_reads_only_the_artifacts(template, q):
    _, role = q.one(template, "AWS::IAM::Role", "FromS3ServiceRole")
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    # Any Bedrock resource of this account and region (the unknown resource part wildcarded, as Bedrock's
    # confused-deputy guide says); never the unmatchable "...:*/" of a resource-name-style ARN.
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":bedrock:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
                 ":*"],
            ]
        }
    }  # fmt: skip
    statements = q.policy_statements(template, "FromS3ServiceRoleDefaultPolicy")
    (read,) = q.statements_with(statements, "s3:GetObject")
    assert read["Resource"]["Fn::Join"][1][-1] == ":s3:::customer-escrow-111122223333-smtj-abcdef/nova-micro/run-1/*"
    assert "s3:PutObject" not in q.all_actions(statements)
    (key_use,) = q.statements_with(statements, "kms:Decrypt")
    assert "kms:ViaService" in key_use["Condition"]["StringEquals"]


def test_models_share_the_provider_with_jobs(template, q):
    providers = [
        f
        for f in q.resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == contract.HANDLER
    ]
    assert len(providers) == 1
    statements = q.policy_statements(template, "BedrockCustomizationProviderRole")
    assert {"bedrock:CreateCustomModel", "bedrock:GetCustomModel", "bedrock:DeleteCustomModel"} <= q.all_actions(
        statements
    )


def test_attributes_are_getatts_with_contract_names(template, q):
    model_id, _ = q.one(template, contract.MODEL_RESOURCE_TYPE, "FromS3")
    outputs = template.to_json()["Outputs"]
    seen = {o["Value"]["Fn::GetAtt"][1] for n, o in outputs.items() if o["Value"]["Fn::GetAtt"][0] == model_id}
    assert seen == set(contract.MODEL_ATTRIBUTES)


def test_job_outputs_and_custom_models_are_icustommodels(make_stack):
    stack = make_stack()
    job = CustomizationJob(stack, "Job", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t",
                           output_data="s3://b-1/o/")  # fmt: skip
    model = CustomModel(stack, "Model", model_package_arn=PACKAGE)
    imported = CustomModel.from_model_arn("arn:aws:bedrock:us-east-1:111122223333:custom-model/abc")
    for value in (job.model, model, imported):
        assert isinstance(value, ICustomModel)


# --- validation -----------------------------------------------------------------------------------------------------
def build(**overrides: Any) -> CustomModel:
    stack = cdk.Stack(cdk.App(), "TestStack")
    kwargs: dict[str, Any] = {"model_package_arn": PACKAGE}
    kwargs.update(overrides)
    return CustomModel(stack, "Model", **{k: v for k, v in kwargs.items() if v is not None})


PACKAGE_SOURCE = {"modelPackageArnDataSource": {"modelPackageArn": PACKAGE}}
S3_SOURCE = {"s3DataSource": {"s3Uri": ARTIFACTS}}


def tag_list(count: int) -> list[dict[str, str]]:
    return [{"key": f"k{i}", "value": "v"} for i in range(count)]


#: (name, bad overrides, good overrides, regex of the bad case's message, what the good case renders: properties the
#: model resource must have, matched deep and partial as by ``Template.has_resource_properties``)
RULES = [
    ("model name pattern", {"model_name": "bad name!"}, {"model_name": "good-name_1"},
     re.escape("modelName must be a valid custom model name"
               " (value: 'bad name!') (argument model_name)"), {"modelName": "good-name_1"}),
    ("model name length", {"model_name": "m" * 64}, {"model_name": "m" * 63},
     re.escape("modelName must be at most 63 characters (got 64)"), {"modelName": "m" * 63}),
    ("exactly one source: not both", {"s3_artifacts": ARTIFACTS},
     {"s3_artifacts": ARTIFACTS, "model_package_arn": None},
     re.escape("customModelDataSource cannot be combined with modelSourceConfig"
               " (argument s3_artifacts or model_package_arn)"),
     {"modelSourceConfig": S3_SOURCE, "customModelDataSource": Match.absent()}),
    ("exactly one source: not neither", {"model_package_arn": None}, {},
     re.escape("modelSourceConfig or customModelDataSource is required (argument s3_artifacts or model_package_arn)"),
     {"customModelDataSource": PACKAGE_SOURCE, "modelSourceConfig": Match.absent()}),
    ("model package arn format", {"model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/x"}, {},
     re.escape("customModelDataSource.modelPackageArnDataSource.modelPackageArn must match pattern"),
     {"customModelDataSource": PACKAGE_SOURCE}),
    ("artifacts s3 uri", {"model_package_arn": None, "s3_artifacts": "s3:/x"},
     {"model_package_arn": None, "s3_artifacts": ARTIFACTS},
     re.escape("modelSourceConfig.s3DataSource.s3Uri must be a valid S3 URI"
               " (value: 's3:/x')"), {"modelSourceConfig": S3_SOURCE}),
    ("kms key is a key arn", {"kms_key": "alias/my-key"}, {"kms_key": KEY_ARN},
     re.escape("modelKmsKeyArn must be a valid KMS key ARN (value: 'alias/my-key')"), {"modelKmsKeyArn": KEY_ARN}),
    ("role arn format", {"role": "arn:aws:iam::111122223333:policy/x"}, {"role": "arn:aws:iam::111122223333:role/x"},
     re.escape("roleArn must be a valid IAM role ARN"
               " (value: 'arn:aws:iam::111122223333:policy/x')"), {"roleArn": "arn:aws:iam::111122223333:role/x"}),
    ("at most 49 tags (the provider adds one)", {"model_tags": {f"k{i}": "v" for i in range(50)}},
     {"model_tags": {f"k{i}": "v" for i in range(49)}},
     re.escape("modelTags must have at most 49 tags (got 50): the provider adds one") + ".*argument model_tags",
     {"modelTags": tag_list(49)}),
    ("provider tag key reserved", {"model_tags": {contract.MODEL_PROPERTIES_TAG_KEY: "v"}}, {"model_tags": {"p": "v"}},
     re.escape(f"modelTags key '{contract.MODEL_PROPERTIES_TAG_KEY}' is reserved for the provider"),
     {"modelTags": [{"key": "p", "value": "v"}]}),
    ("tag key pattern", {"model_tags": {"a!": "v"}}, {"model_tags": {"a": "v"}},
     re.escape("modelTags[0].key must match pattern"), {"modelTags": [{"key": "a", "value": "v"}]}),
    ("aws: tag prefix reserved", {"model_tags": {"aws:x": "v"}}, {"model_tags": {"x": "v"}},
     re.escape("modelTags key 'aws:x' must not start with 'aws:' (reserved for AWS) (argument model_tags)"),
     {"modelTags": [{"key": "x", "value": "v"}]}),
    ("service timeout range", {"service_timeout": cdk.Duration.hours(2)}, {"service_timeout": cdk.Duration.minutes(10)},
     re.escape("service_timeout must be 91 to 3600 seconds (got 7200)"), {contract.SERVICE_TIMEOUT: "600"}),
    ("removal policy", {"removal_policy": cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE},
     {"removal_policy": cdk.RemovalPolicy.RETAIN}, re.escape("removal_policy must be RemovalPolicy.DESTROY or"),
     {contract.REMOVAL_POLICY: contract.REMOVAL_POLICY_RETAIN}),
]  # fmt: skip
RULE_IDS = [r[0] for r in RULES]


@pytest.mark.parametrize(("name", "bad", "good", "message", "renders"), RULES, ids=RULE_IDS)
def test_rule_rejects_the_bad_case(name, bad, good, message, renders):
    with pytest.raises(InvalidPropsError, match=message):
        build(**bad)


@pytest.mark.parametrize(("name", "bad", "good", "message", "renders"), RULES, ids=RULE_IDS)
def test_rule_accepts_the_good_case(name, bad, good, message, renders):
    # GIVEN a model that keeps the rule
    model = build(**good)
    # WHEN its stack is synthesized (which also runs the synth-time validations, such as the final tag list's)
    template = Template.from_stack(cdk.Stack.of(model))
    # THEN there is exactly one model resource, carrying the value the rule is about
    template.resource_count_is(contract.MODEL_RESOURCE_TYPE, 1)
    template.has_resource_properties(contract.MODEL_RESOURCE_TYPE, renders)


def test_every_problem_is_reported_at_once_with_the_construct_path():
    with pytest.raises(InvalidPropsError) as caught:
        build(model_name="bad name", s3_artifacts=ARTIFACTS, model_tags={"aws:x": "v"})
    message = str(caught.value)
    assert message.startswith("Invalid CustomModel (TestStack/Model):\n")
    assert len(caught.value.problems) == 3


def test_unresolved_tokens_are_skipped(make_stack, synthesize, q):
    stack = make_stack()
    name = cdk.CfnParameter(stack, "Name").value_as_string
    package = cdk.CfnParameter(stack, "Package").value_as_string
    CustomModel(stack, "Model", model_name=name, model_package_arn=package)
    props = q.model_properties(synthesize(stack), "Model")
    assert props["modelName"] == {"Ref": "Name"}


def test_s3_location_source_is_accepted(make_stack, synthesize, q):
    from aws_cdk import aws_s3 as s3

    stack = make_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Escrow", "customer-escrow-bucket")
    CustomModel(stack, "Model", s3_artifacts=S3Location(bucket, "run-1/"))
    props = q.model_properties(synthesize(stack), "Model")
    assert props["modelSourceConfig"]["s3DataSource"]["s3Uri"] == "s3://customer-escrow-bucket/run-1/"


def test_grant_read_scopes_to_the_model(make_stack, synthesize, q):
    from aws_cdk import aws_iam as iam

    stack = make_stack()
    model = CustomModel(stack, "Model", model_package_arn=PACKAGE)
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    model.grant_read(reader)
    template = synthesize(stack)
    model_id, _ = q.one(template, contract.MODEL_RESOURCE_TYPE, "Model")
    (statement,) = q.policy_statements(template, "ReaderDefaultPolicy")
    assert statement["Resource"] == {"Fn::GetAtt": [model_id, contract.ATTR_MODEL_ARN]}


def test_models_work_where_aws_cdk_expects_an_aws_bedrock_imodel(make_stack, synthesize, q):
    # GIVEN a job's model and a custom model passed to an aws-cdk API typed aws_bedrock.IModel
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk import aws_stepfunctions_tasks as tasks

    stack = make_stack()
    job = CustomizationJob(stack, "Job", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t",
                           output_data="s3://b-1/o/")  # fmt: skip
    model = CustomModel(stack, "Model", model_package_arn=PACKAGE)
    invoke_tuned = tasks.BedrockInvokeModel(stack, "InvokeTuned", model=job.model, body=sfn.TaskInput.from_object({}))
    invoke_imported = tasks.BedrockInvokeModel(stack, "InvokeImported", model=model, body=sfn.TaskInput.from_object({}))
    sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(invoke_tuned.next(invoke_imported))
    )
    # WHEN synthesized THEN the state machine may invoke exactly those two models
    template = synthesize(stack)
    result_id, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "JobWaitResult")  # the finished job's reader
    model_id, _ = q.one(template, contract.MODEL_RESOURCE_TYPE, "Model")
    invokes = [s for s in q.policy_statements(template, "MachineRole") if "bedrock:InvokeModel" in q.actions_of(s)]
    resources = [r for s in invokes for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    assert {"Fn::GetAtt": [result_id, contract.ATTR_CUSTOM_MODEL_ARN]} in resources
    assert {"Fn::GetAtt": [model_id, contract.ATTR_MODEL_ARN]} in resources


def test_an_alias_imported_by_name_is_refused_as_the_model_key():
    stack = cdk.Stack(cdk.App(), "AliasStack")
    alias = kms.Alias.from_alias_name(stack, "Imported", "alias/models")
    with pytest.raises(InvalidPropsError, match=re.escape("kms_key must be a key, or an alias with its target_key")):
        CustomModel(stack, "Model", model_package_arn=PACKAGE, kms_key=alias)


def test_an_alias_of_this_app_names_its_key(synthesize, q):
    stack = cdk.Stack(cdk.App(), "AliasStack")
    key = kms.Key(stack, "ModelKey")
    alias = kms.Alias(stack, "ModelAlias", alias_name="alias/models", target_key=key)
    CustomModel(stack, "Model", model_package_arn=PACKAGE, kms_key=alias)
    template = synthesize(stack)
    key_id, _ = q.one(template, "AWS::KMS::Key", "ModelKey")
    assert q.model_properties(template, "Model")["modelKmsKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
