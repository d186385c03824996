"""cdk-nag's AwsSolutions pack finds nothing unacknowledged: no error and no warning, in the example app and in a
stack that sets every option.

Acknowledgments live in the library next to what they are about (``bedrock_customization/nag.py`` and its callers),
never here: these tests only run the pack. cdk-nag 3 is a CDK policy-validation plugin: synthesis fails when it
reports anything, and its report (``validation-report.json`` in the assembly) lists each finding with its severity.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    CustomizationJob,
    CustomModel,
    DistillationConfig,
    InvocationLogsConfig,
    RftConfig,
    S3Location,
    VpcConfig,
    WaitMode,
)
from cdk_nag import AwsSolutionsChecks

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
GRADER = "arn:aws:lambda:us-east-1:111122223333:function:grader"


def nag_findings(app: cdk.App, outdir: Path) -> list[str]:
    """``severity rule path`` for every finding the AwsSolutions pack reports on ``app`` (empty: synthesis passed)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except Exception:  # jsii wraps the ValidationFailed error: the report says what was found
        reports = list(outdir.rglob("*validation-report.json"))
        if not reports:
            raise
        return sorted(
            f"{violation['severity']} {violation['ruleName']} {construct['constructPath']}"
            for report in reports
            for plugin in json.loads(report.read_text()).get("pluginReports", [])
            for violation in plugin.get("violations", [])
            for construct in violation.get("violatingConstructs", [])
        )
    return []


def example_build() -> Any:
    """app.py's ``build`` (app.py is a script, not a module on the path)."""
    return runpy.run_path(str(ROOT / "app.py"))["build"]


def full_options_stack(app: cdk.App) -> cdk.Stack:
    """Every option of both constructs once: validation data, a KMS key, a VPC, tags, distillation from invocation
    logs, an RFT grader, custom models from S3 and from a model package, and each wait mode. Buckets and the grader
    are imported: their own findings are the user's, not this library's."""
    stack = cdk.Stack(app, "FullOptions")
    data = s3.Bucket.from_bucket_name(stack, "Data", "training-data-bucket")
    logs_bucket = s3.Bucket.from_bucket_name(stack, "InvocationLogs", "invocation-logs-bucket")
    key = kms.Key(stack, "ModelKey", enable_key_rotation=True)
    vpc = VpcConfig(
        subnets=[ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123456789abcdef0")],
        security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0")],
    )
    fine = CustomizationJob(
        stack,
        "Fine",
        base_model="amazon.nova-micro-v1:0:128k",
        training_data=S3Location(data, "train/data.jsonl"),
        validation_data=[S3Location(data, "validation/a.jsonl"), "s3://other-validation-bucket/b.jsonl"],
        output_data=S3Location(data, "output/"),
        hyper_parameters={"epochCount": 2},
        custom_model_kms_key=key,
        job_tags={"project": "p1"},
        custom_model_tags={"project": "p1"},
        vpc_config=vpc,
        wait_mode=WaitMode.LONG,
    )
    CustomizationJob(
        stack,
        "Again",
        base_model=fine.model,
        training_data=S3Location(data, "train/more.jsonl"),
        output_data=S3Location(data, "again/"),
        wait_mode=WaitMode.LONG,
    )
    CustomizationJob(
        stack,
        "Distill",
        base_model="amazon.nova-micro-v1:0:128k",
        invocation_logs=InvocationLogsConfig(source=S3Location(logs_bucket, "logs/"), use_prompt_response=True),
        output_data=S3Location(data, "distill/"),
        distillation=DistillationConfig(teacher_model="amazon.nova-pro-v1:0"),
        wait_mode=WaitMode.SHORT,
    )
    CustomizationJob(
        stack,
        "Rft",
        base_model="amazon.nova-lite-v1:0:300k",
        training_data=S3Location(data, "rft/train.jsonl"),
        output_data=S3Location(data, "rft/out/"),
        reinforcement_fine_tuning=RftConfig(grader=lambda_.Function.from_function_arn(stack, "Grader", GRADER)),
        wait_mode=WaitMode.NONE,
    )
    CustomModel(
        stack, "FromS3", s3_artifacts=S3Location(data, "artifacts/run-1/"), kms_key=key, wait_mode=WaitMode.LONG
    )
    CustomModel(stack, "FromPackage", model_package_arn=PACKAGE, model_tags={"project": "p1"}, wait_mode=WaitMode.SHORT)
    return stack


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"waitMode": "Short", "modelPackageArn": PACKAGE},
        {"waitMode": "None", "dataBucket": "my-training-data"},
        {"providerStack": "true", "modelPackageArn": PACKAGE, "sweep": "3"},
    ],
    ids=["default", "short-with-model-package", "none-with-own-bucket", "served-by-a-provider-stack"],
)
def test_example_app_has_no_unacknowledged_awssolutions_finding(context, tmp_path):
    # GIVEN the example app, as `cdk synth -c ...` builds it
    app = cdk.App(outdir=str(tmp_path), context=context)
    example_build()(app)
    # WHEN the AwsSolutions pack checks it THEN it reports no error and no warning
    assert nag_findings(app, tmp_path) == []


def test_every_option_has_no_unacknowledged_awssolutions_finding(tmp_path):
    # GIVEN a stack using every option of both constructs
    app = cdk.App(outdir=str(tmp_path))
    full_options_stack(app)
    # WHEN the AwsSolutions pack checks it THEN it reports no error and no warning
    assert nag_findings(app, tmp_path) == []


def test_an_unacknowledged_wildcard_is_still_reported(tmp_path):
    # GIVEN the library's stack plus a user's own wildcard statement on the provider's role
    app = cdk.App(outdir=str(tmp_path))
    stack = full_options_stack(app)
    from bedrock_customization import BedrockCustomizationProvider

    BedrockCustomizationProvider.of(stack).grant(
        cdk.aws_iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::someone-elses-bucket/*"])
    )
    # WHEN the pack checks it THEN exactly that wildcard is reported: acknowledgments cover only what the library wrote
    assert nag_findings(app, tmp_path) == [
        "error AwsSolutions-IAM5[Resource::arn:aws:s3:::someone-elses-bucket/*] "
        "FullOptions/BedrockCustomizationProvider/Role/DefaultPolicy/Resource"
    ]


def test_the_provider_stack_for_plain_cloudformation_has_no_unacknowledged_awssolutions_finding(tmp_path):
    from bedrock_customization import BedrockCustomizationProviderStack

    app = cdk.App(outdir=str(tmp_path))
    BedrockCustomizationProviderStack(
        app,
        "Provider",
        served_stack_name="ml-jobs",
        kms_keys=["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        model_package_arns=[PACKAGE],
    )
    assert nag_findings(app, tmp_path) == []
