"""A CDK stack served by a provider stack deployed on its own (``BedrockCustomizationProvider.from_provider_stack``):
it imports the service token, builds no function, role or rule of the provider, keeps the logical ids of what its
resources share, and refuses at synth what the provider stack could not do for it."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    BedrockCustomizationProvider,
    CustomizationJob,
    CustomModel,
    InvalidPropsError,
    S3Location,
)
from bedrock_customization_provider import contract

from .conftest import synth

TOKEN = {"Fn::ImportValue": "ml-jobs-BedrockCustomizationServiceToken"}


def jobs_stack(imported: bool = True, count: int = 2, **provider: Any) -> cdk.Stack:
    """A stack named ml-jobs with ``count`` long-waited jobs of a sweep, served by its provider stack or its own."""
    stack = cdk.Stack(cdk.App(), "MlJobs", stack_name="ml-jobs")
    if imported:
        BedrockCustomizationProvider.from_provider_stack(stack, **provider)
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "training-data")
    for index in range(count):
        CustomizationJob(
            stack,
            f"Job{index}",
            base_model="amazon.nova-micro-v1:0:128k",
            training_data=S3Location(bucket, "train/data.jsonl"),
            output_data=S3Location(bucket, "output/"),
            hyper_parameters={"epochCount": 1, "learningRate": 0.00001 * (index + 1)},
        )
    return stack


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return synth(jobs_stack()).to_json()


def _of_type(template: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"].startswith(prefix)}


def test_every_custom_resource_names_the_provider_stacks_exported_token(template):
    custom = _of_type(template, "Custom::")
    types = sorted(r["Type"] for r in custom.values())
    assert types == sorted(
        [contract.JOB_RESOURCE_TYPE] * 2 + [contract.WAIT_START_RESOURCE_TYPE, "Custom::BedrockCustomizationResult"]
    )
    assert all(r["Properties"]["ServiceToken"] == TOKEN for r in custom.values())


def test_nothing_of_the_provider_is_built_in_the_stack(template):
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert not kinds & {"AWS::Lambda::Function", "AWS::Events::Rule", "AWS::Lambda::Permission", "AWS::KMS::Key",
                        "AWS::Logs::LogGroup", "AWS::Lambda::EventInvokeConfig"}  # fmt: skip
    # the only role is the sweep's shared job role, which Bedrock assumes
    (role,) = resources_of(template, "AWS::IAM::Role").values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "bedrock.amazonaws.com"
    }
    assert "Parameters" not in template or not any("AssetParameters" in p for p in template["Parameters"])
    assert len(template["Resources"]) == 2 + 2 + 3  # jobs, role and policy, WaitStart + condition + check


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_shared_resources_keep_their_logical_ids_when_the_stack_moves_to_a_provider_stack(template):
    own = synth(jobs_stack(imported=False)).to_json()["Resources"]
    # the stack's own provider adds its function, roles, key, logs and rules; everything else is the same resource
    provider_own = {k for k in own if k.startswith("BedrockCustomizationProvider")}
    provider_own -= {k for k in provider_own if "JobRoles" in k or "LongWaits" in k}
    assert set(template["Resources"]) == set(own) - provider_own
    assert len(provider_own) >= 10


def test_jobs_wait_for_their_roles_policy_only_and_the_condition_for_waitstart_and_the_jobs(template):
    jobs = resources_of(template, contract.JOB_RESOURCE_TYPE)
    (policy_id,) = resources_of(template, "AWS::IAM::Policy")
    assert all(job["DependsOn"] == [policy_id] for job in jobs.values())
    (start_id,) = resources_of(template, contract.WAIT_START_RESOURCE_TYPE)
    assert "DependsOn" not in template["Resources"][start_id]
    (condition,) = resources_of(template, "AWS::CloudFormation::WaitCondition").values()
    assert sorted(condition["DependsOn"]) == sorted([start_id, *jobs])
    assert sorted(condition["Metadata"][contract.WAIT_MEMBERS_METADATA]) == sorted(jobs)


def test_export_name_and_role_prefix_can_be_named():
    stack = jobs_stack(count=1, export_name="shared-ml-provider", service_role_name_prefix="ml-")
    (job,) = resources_of(synth(stack).to_json(), contract.JOB_RESOURCE_TYPE).values()
    assert job["Properties"]["ServiceToken"] == {"Fn::ImportValue": "shared-ml-provider"}


def test_calling_it_again_with_the_same_arguments_answers_the_same_provider():
    stack = cdk.Stack(cdk.App(), "MlJobs", stack_name="ml-jobs")
    first = BedrockCustomizationProvider.from_provider_stack(stack)
    assert BedrockCustomizationProvider.from_provider_stack(stack) is first
    assert BedrockCustomizationProvider.of(stack) is first
    with pytest.raises(InvalidPropsError) as raised:
        BedrockCustomizationProvider.from_provider_stack(stack, export_name="other")
    assert raised.value.path == "MlJobs"
    assert "already imports the provider exported as 'ml-jobs-BedrockCustomizationServiceToken'" in str(raised.value)


def test_it_is_refused_once_the_stack_built_its_own_provider():
    stack = jobs_stack(imported=False, count=1)
    with pytest.raises(InvalidPropsError) as raised:
        BedrockCustomizationProvider.from_provider_stack(stack)
    assert "already has its own provider" in str(raised.value)
    assert "call from_provider_stack before declaring any" in str(raised.value)


def test_it_takes_a_stack_only():
    stack = cdk.Stack(cdk.App(), "MlJobs")
    scope = s3.Bucket(stack, "NotAStack")
    with pytest.raises(InvalidPropsError) as raised:
        BedrockCustomizationProvider.from_provider_stack(scope)  # type: ignore[arg-type]
    assert raised.value.path == "MlJobs/NotAStack" and "stack must be a Stack" in str(raised.value)


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"export_name": "no spaces allowed"}, "export_name must be an export name"),
        ({"export_name": ""}, "export_name must be an export name"),
        ({"service_role_name_prefix": "bad/prefix"}, "service_role_name_prefix must be the start of an IAM role name"),
    ],
)
def test_bad_names_are_refused_with_the_argument_and_the_value(props, words):
    stack = cdk.Stack(cdk.App(), "MlJobs", stack_name="ml-jobs")
    with pytest.raises(InvalidPropsError) as raised:
        BedrockCustomizationProvider.from_provider_stack(stack, **props)
    assert words in str(raised.value) and repr(next(iter(props.values()))) in str(raised.value)


def test_a_given_role_the_provider_stack_may_not_pass_is_refused_at_synth_naming_the_job():
    stack = cdk.Stack(cdk.App(), "MlJobs", stack_name="ml-jobs")
    BedrockCustomizationProvider.from_provider_stack(stack)
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "training-data")
    arguments = {
        "base_model": "amazon.nova-micro-v1:0:128k",
        "training_data": S3Location(bucket, "train/"),
        "output_data": S3Location(bucket, "output/"),
    }
    # a role named with the served stack's prefix is passed; any other is refused with the job's path and the ARN
    CustomizationJob(stack, "Allowed", role="arn:aws:iam::111122223333:role/ml-jobs-trainer", **arguments)
    other = "arn:aws:iam::111122223333:role/team/other-trainer"
    with pytest.raises(InvalidPropsError) as raised:
        CustomizationJob(stack, "Refused", role=other, **arguments)
    assert raised.value.kind == "CustomizationJob" and raised.value.path == "MlJobs/Refused"
    assert f"whose names start with 'ml-jobs-' (service_role_name_prefix); got {other}" in str(raised.value)
    # a role imported by name has an ARN of tokens (partition, account) but a literal name: checked the same way
    imported = iam.Role.from_role_name(stack, "Imported", "other-trainer")
    with pytest.raises(InvalidPropsError, match="whose names start with 'ml-jobs-'"):
        CustomizationJob(stack, "RefusedToo", role=imported, **arguments)
    # a role of the stack without a role_name: CloudFormation names it after the stack, so it is passed
    own = iam.Role(stack, "Own", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    CustomizationJob(stack, "OwnRole", role=own, **arguments)


def test_keys_and_model_packages_get_a_warning_naming_what_the_provider_stack_must_grant():
    stack = cdk.Stack(cdk.App(), "MlJobs", stack_name="ml-jobs")
    BedrockCustomizationProvider.from_provider_stack(stack)
    key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    package = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova/1"
    CustomModel(stack, "Imported", model_package_arn=package, kms_key=kms.Key.from_key_arn(stack, "K", key_arn))
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning("*", cdk.assertions.Match.any_value())
    messages = [str(w.entry.data) for w in warnings]
    assert any(key_arn in m and "kms_keys" in m for m in messages), messages
    assert any(package in m and "model_package_arns" in m for m in messages), messages
    assert {w.id for w in warnings} == {"/MlJobs/Imported"}
    assert not _of_type(synth(stack).to_json(), "AWS::Lambda::")


def test_the_docs_example_synthesizes_a_stack_that_imports_the_token():
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "provider-stack.md"
    block, same_app = re.findall(r"```python\n(.*?)```", docs.read_text(), re.S)
    arguments = (
        'base_model="amazon.nova-micro-v1:0:128k", training_data=S3Location(bucket, "train/"), '
        'output_data=S3Location(bucket, "output/")'
    )
    code = block.replace(
        'CustomizationJob(stack, "FineTune", ...)', f'CustomizationJob(stack, "FineTune", {arguments})'
    )
    code = code.replace("BedrockCustomizationProvider.from_provider_stack(stack)", (
        "BedrockCustomizationProvider.from_provider_stack(stack)\n"
        "bucket = s3.Bucket.from_bucket_name(stack, 'Data', 'training-data')"))  # fmt: skip
    namespace: dict[str, Any] = {"cdk": cdk, "s3": s3, "S3Location": S3Location, "CustomizationJob": CustomizationJob,
                                 "BedrockCustomizationProvider": BedrockCustomizationProvider}  # fmt: skip
    exec(code, namespace)  # the documentation's own example
    (job,) = resources_of(synth(namespace["stack"]).to_json(), contract.JOB_RESOURCE_TYPE).values()
    assert job["Properties"]["ServiceToken"] == TOKEN
    # the second: both stacks in one app
    from bedrock_customization import BedrockCustomizationProviderStack

    both: dict[str, Any] = {
        **namespace,
        "app": cdk.App(),
        "BedrockCustomizationProviderStack": BedrockCustomizationProviderStack,
    }
    exec(same_app, both)  # the documentation's own example
    bucket = s3.Bucket.from_bucket_name(both["stack"], "Data", "training-data")
    CustomizationJob(both["stack"], "FineTune", base_model="amazon.nova-micro-v1:0:128k",
                     training_data=S3Location(bucket, "train/"), output_data=S3Location(bucket, "output/"))  # fmt: skip
    (job,) = resources_of(synth(both["stack"]).to_json(), contract.JOB_RESOURCE_TYPE).values()
    assert job["Properties"]["ServiceToken"] == TOKEN and both["provider"] in both["stack"].dependencies


#: A fresh interpreter synthesizes a job in a stack served by a provider stack (or its own), and says what it loaded.
SYNTH_IN_A_FRESH_PROCESS = """
import json, sys
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from bedrock_customization import BedrockCustomizationProvider, CustomizationJob, S3Location

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "MlJobs", stack_name="ml-jobs")
if sys.argv[2] == "imported":
    BedrockCustomizationProvider.from_provider_stack(stack)
bucket = s3.Bucket.from_bucket_name(stack, "Data", "training-data")
CustomizationJob(stack, "Job", base_model="amazon.nova-micro-v1:0:128k",
                 training_data=S3Location(bucket, "train/"), output_data=S3Location(bucket, "output/"))
template = app.synth().get_stack_by_name("ml-jobs").template
print(json.dumps({"lambda_loaded": "aws_cdk.aws_lambda" in sys.modules,
                  "types": sorted({r["Type"] for r in template["Resources"].values()})}))
"""


@pytest.mark.parametrize("mode", ["imported", "own"])
def test_a_stack_served_by_a_provider_stack_never_imports_aws_cdks_lambda_module(mode, tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"}
    out = subprocess.run(
        [sys.executable, "-c", SYNTH_IN_A_FRESH_PROCESS, str(tmp_path / "cdk.out"), mode],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    report = json.loads(out.stdout.strip().splitlines()[-1])
    # aws-cdk's Lambda module takes 0.2 s to import: only a stack that builds its own provider needs it
    assert report["lambda_loaded"] is (mode == "own")
    assert ("AWS::Lambda::Function" in report["types"]) is (mode == "own")
    assert contract.JOB_RESOURCE_TYPE in report["types"]


def _app_with_provider_stack(served: str = "ml-jobs", **props: Any) -> tuple[cdk.Stack, Any]:
    from bedrock_customization import BedrockCustomizationProviderStack

    app = cdk.App()
    provider = BedrockCustomizationProviderStack(app, "Provider", served_stack_name=served, **props)
    return cdk.Stack(app, "MlJobs", stack_name="ml-jobs"), provider


def test_a_provider_stack_of_the_same_app_gives_its_export_prefix_and_grants_and_is_deployed_first():
    key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    stack, provider = _app_with_provider_stack(
        export_name="ml-provider-token", service_role_name_prefix="ml-", kms_keys=[key_arn]
    )
    BedrockCustomizationProvider.from_provider_stack(stack, provider_stack=provider)
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "training-data")
    arguments = {"base_model": "amazon.nova-micro-v1:0:128k", "output_data": S3Location(bucket, "output/")}
    CustomizationJob(
        stack, "Granted", training_data=S3Location(bucket, "a/"), custom_model_kms_key=key_arn, **arguments
    )  # fmt: skip
    other_key = key_arn.replace("1234abcd", "9999abcd")
    CustomizationJob(stack, "NotGranted", training_data=S3Location(bucket, "b/"), custom_model_kms_key=other_key,
                     **arguments)  # fmt: skip
    # the provider stack's export and role prefix are the stack's
    jobs = resources_of(synth(stack).to_json(), contract.JOB_RESOURCE_TYPE).values()
    assert all(job["Properties"]["ServiceToken"] == {"Fn::ImportValue": "ml-provider-token"} for job in jobs)
    with pytest.raises(InvalidPropsError, match="whose names start with 'ml-'"):
        CustomizationJob(
            stack,
            "Refused",
            training_data=S3Location(bucket, "c/"),
            role="arn:aws:iam::111122223333:role/x",
            **arguments,
        )
    # a key the provider stack lists needs no warning; one it does not list gets one
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning("*", cdk.assertions.Match.any_value())
    assert [(w.id, other_key in str(w.entry.data)) for w in warnings] == [("/MlJobs/NotGranted", True)]
    # cdk deploy --all deploys the provider stack first
    assert provider in stack.dependencies
    synth(provider)


@pytest.mark.parametrize(
    ("served", "props", "words"),
    [
        ("other-jobs", {}, "serves the stack named 'other-jobs', not this one ('ml-jobs')"),
        ("ml-jobs", {"export_name": "x"}, "come from provider_stack: give provider_stack alone"),
    ],
)
def test_a_provider_stack_of_the_same_app_that_cannot_serve_the_stack_is_refused(served, props, words):
    stack, provider = _app_with_provider_stack(served)
    with pytest.raises(InvalidPropsError) as raised:
        BedrockCustomizationProvider.from_provider_stack(stack, provider_stack=provider, **props)
    assert raised.value.path == "MlJobs" and words in str(raised.value)


def test_a_provider_stack_of_another_app_is_refused():
    _, provider = _app_with_provider_stack()
    stack = cdk.Stack(cdk.App(), "MlJobs", stack_name="ml-jobs")
    with pytest.raises(InvalidPropsError, match="must be in the same app as the stack"):
        BedrockCustomizationProvider.from_provider_stack(stack, provider_stack=provider)
