"""CustomModelDeployment and ProvisionedThroughput: templates (properties mirror the API requests, attributes as
tokens, dependency on the model they serve), validation (a failing and a passing case per rule, all at once), the
commitment warning and its RETAIN default, and grant_invoke's statements."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match
from bedrock_customization import (
    AttributeUnavailableError,
    Commitment,
    CustomizationJob,
    CustomModel,
    CustomModelDeployment,
    InvalidPropsError,
    ModelImport,
    ProvisionedThroughput,
    WaitMode,
)
from bedrock_customization.throughput import COMMITMENT_WARNING
from bedrock_customization_provider import contract

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
CUSTOM_MODEL_ARN = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl"
IMPORTED_MODEL_ARN = "arn:aws:bedrock:us-east-1:111122223333:imported-model/abcdefghijkl"


def _job(stack: cdk.Stack, id: str = "Tune") -> CustomizationJob:
    return CustomizationJob(
        stack, id, base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t.jsonl", output_data="s3://b-1/o/"
    )


@pytest.fixture(scope="module")
def stack(make_stack):
    stack = make_stack("ServingStack")
    job = _job(stack)
    model = CustomModel(stack, "Nova", model_package_arn=PACKAGE)
    deployment = CustomModelDeployment(
        stack, "ServeJob", model=job.model, description="support bot", tags={"project": "p1"}
    )
    CustomModelDeployment(stack, "ServeModel", model=model, deployment_name="nova-serve")
    CustomModelDeployment(stack, "ServeArn", model=CUSTOM_MODEL_ARN, removal_policy=cdk.RemovalPolicy.RETAIN)
    throughput = ProvisionedThroughput(stack, "Capacity", model=model, model_units=1, tags={"project": "p1"})
    ProvisionedThroughput(
        stack,
        "Committed",
        model=bedrock.FoundationModel.from_foundation_model_id(
            stack, "Base", bedrock.FoundationModelIdentifier.AMAZON_NOVA_MICRO_V1_0
        ),
        model_units=2,
        commitment=Commitment.SIX_MONTHS,
        provisioned_model_name="nova-base-capacity",
    )
    invoker = iam.Role(stack, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    deployment.grant_invoke(invoker)
    throughput.grant_invoke(invoker)
    for name, value in {
        "DeploymentArn": deployment.deployment_arn,
        "DeploymentName": deployment.deployment_name,
        "DeploymentStatus": deployment.status,
        "DeploymentModel": deployment.model_arn,
        "ThroughputArn": throughput.provisioned_model_arn,
        "ThroughputName": throughput.provisioned_model_name,
        "ThroughputStatus": throughput.status,
        "ThroughputUnits": throughput.model_units,
        "ThroughputExpires": throughput.commitment_expiration_time,
    }.items():
        cdk.CfnOutput(stack, name, value=value)
    return stack


@pytest.fixture(scope="module")
def template(stack, synthesize):
    return synthesize(stack)


def _props(template, q, resource_type: str, prefix: str) -> dict[str, Any]:
    props = q.one(template, resource_type, prefix)[1]["Properties"]
    return {k: v for k, v in props.items() if k != "ServiceToken"}


def test_a_deployment_of_a_jobs_model_mirrors_create_custom_model_deployment(template, q):
    # GIVEN a deployment of a job's model (the job waits long: its model ARN is read after the wait)
    reader, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "TuneWaitResult")
    # THEN its properties are the API request, the model's ARN from the job's reader, no name: generated
    assert _props(template, q, contract.DEPLOYMENT_RESOURCE_TYPE, "ServeJob") == {
        "ServiceTimeout": "3600",
        "RemovalPolicy": "Destroy",
        "modelArn": {"Fn::GetAtt": [reader, contract.ATTR_CUSTOM_MODEL_ARN]},
        "description": "support bot",
        "tags": [{"key": "project", "value": "p1"}],
    }


def test_a_deployment_of_a_custom_model_or_an_arn_names_it(template, q):
    model_id, _ = q.one(template, contract.MODEL_RESOURCE_TYPE, "Nova")
    by_model = _props(template, q, contract.DEPLOYMENT_RESOURCE_TYPE, "ServeModel")
    assert by_model["modelArn"] == {"Fn::GetAtt": [model_id, contract.ATTR_MODEL_ARN]}
    assert by_model["modelDeploymentName"] == "nova-serve"
    by_arn = _props(template, q, contract.DEPLOYMENT_RESOURCE_TYPE, "ServeArn")
    assert by_arn["modelArn"] == CUSTOM_MODEL_ARN and by_arn["RemovalPolicy"] == "Retain"


def test_a_throughput_mirrors_create_provisioned_model_throughput(template, q):
    model_id, _ = q.one(template, contract.MODEL_RESOURCE_TYPE, "Nova")
    assert _props(template, q, contract.THROUGHPUT_RESOURCE_TYPE, "Capacity") == {
        "ServiceTimeout": "3600",
        "RemovalPolicy": "Destroy",  # no commitment: deleted with the resource
        "modelId": {"Fn::GetAtt": [model_id, contract.ATTR_MODEL_ARN]},
        "modelUnits": 1,
        "tags": [{"key": "project", "value": "p1"}],
    }


def test_a_committed_throughput_of_a_foundation_model_is_retained_by_default(template, q):
    props = _props(template, q, contract.THROUGHPUT_RESOURCE_TYPE, "Committed")
    assert props["modelId"] == "amazon.nova-micro-v1:0"  # the id: region-independent and checked at synth
    assert props["commitmentDuration"] == "SixMonths"
    assert props["RemovalPolicy"] == "Retain"


def test_a_commitment_warns_at_synth_and_no_commitment_does_not(stack):
    annotations = Annotations.from_stack(stack)
    warnings = annotations.find_warning("*", Match.string_like_regexp("six months commitment"))
    assert [w.id for w in warnings] == ["/ServingStack/Committed"]
    assert "cannot delete the throughput before the term ends" in warnings[0].entry.data
    assert COMMITMENT_WARNING in warnings[0].entry.data
    assert not annotations.find_warning("/ServingStack/Capacity", Match.any_value())


def test_a_commitment_with_destroy_warns_that_deletion_fails(make_stack):
    stack = make_stack()
    ProvisionedThroughput(
        stack,
        "T",
        model="amazon.nova-micro-v1:0",
        model_units=1,
        commitment=Commitment.ONE_MONTH,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    [warning] = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("one month commitment"))
    assert "fails until the term has ended" in warning.entry.data


def test_attributes_are_tokens_of_the_resources(template, q):
    deployment, _ = q.one(template, contract.DEPLOYMENT_RESOURCE_TYPE, "ServeJob")
    throughput, _ = q.one(template, contract.THROUGHPUT_RESOURCE_TYPE, "Capacity")
    outputs = template.to_json()["Outputs"]
    assert outputs["DeploymentArn"]["Value"] == {"Fn::GetAtt": [deployment, contract.ATTR_DEPLOYMENT_ARN]}
    assert outputs["DeploymentName"]["Value"] == {"Fn::GetAtt": [deployment, contract.ATTR_DEPLOYMENT_NAME]}
    assert outputs["DeploymentStatus"]["Value"] == {"Fn::GetAtt": [deployment, contract.ATTR_STATUS]}
    assert outputs["DeploymentModel"]["Value"] == {"Fn::GetAtt": [deployment, contract.ATTR_MODEL_ARN]}
    assert outputs["ThroughputArn"]["Value"] == {"Fn::GetAtt": [throughput, contract.ATTR_PROVISIONED_MODEL_ARN]}
    assert outputs["ThroughputName"]["Value"] == {"Fn::GetAtt": [throughput, contract.ATTR_PROVISIONED_MODEL_NAME]}
    assert outputs["ThroughputStatus"]["Value"] == {"Fn::GetAtt": [throughput, contract.ATTR_STATUS]}
    assert outputs["ThroughputUnits"]["Value"] == {"Fn::GetAtt": [throughput, contract.ATTR_MODEL_UNITS]}
    expires = contract.ATTR_COMMITMENT_EXPIRATION_TIME
    assert outputs["ThroughputExpires"]["Value"] == {"Fn::GetAtt": [throughput, expires]}


def test_grant_invoke_allows_invoking_the_deployment_and_the_throughput_only(template, q):
    deployment, _ = q.one(template, contract.DEPLOYMENT_RESOURCE_TYPE, "ServeJob")
    throughput, _ = q.one(template, contract.THROUGHPUT_RESOURCE_TYPE, "Capacity")
    statements = q.policy_statements(template, "InvokerDefaultPolicy")
    assert statements == [
        {
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [deployment, contract.ATTR_DEPLOYMENT_ARN]},
        },
        {
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [throughput, contract.ATTR_PROVISIONED_MODEL_ARN]},
        },
    ]


def test_applied_tags_reach_the_deployment(make_stack, synthesize, q):
    stack = make_stack()
    CustomModelDeployment(stack, "D", model=CUSTOM_MODEL_ARN, tags={"team": "ml"})
    cdk.Tags.of(stack).add("cost-center", "42")
    props = _props(synthesize(stack), q, contract.DEPLOYMENT_RESOURCE_TYPE, "D")
    assert props["tags"] == [{"key": "cost-center", "value": "42"}, {"key": "team", "value": "ml"}]


def test_long_and_none_wait_modes(make_stack, synthesize, q):
    stack = make_stack()
    long = CustomModelDeployment(stack, "Long", model=CUSTOM_MODEL_ARN, wait_mode=WaitMode.LONG)
    none = ProvisionedThroughput(stack, "None", model="amazon.nova-micro-v1:0", model_units=1, wait_mode=WaitMode.NONE)
    cdk.CfnOutput(stack, "Arn", value=long.deployment_arn)
    cdk.CfnOutput(stack, "Name", value=none.provisioned_model_name)
    template = synthesize(stack)
    # LONG: the attributes come from the reader after the wait; NONE: only what exists once the purchase started
    reader, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "LongWaitResult")
    assert template.to_json()["Outputs"]["Arn"]["Value"] == {"Fn::GetAtt": [reader, contract.ATTR_DEPLOYMENT_ARN]}
    assert _props(template, q, contract.THROUGHPUT_RESOURCE_TYPE, "None")[contract.WAIT_MODE] == "None"
    with pytest.raises(AttributeUnavailableError, match=r"None\): status is not available.*only provisioned_model_arn"):
        _ = none.status


# --- validation: a failing and a passing case per rule -------------------------------------------------------------
def _problems(build) -> list[str]:
    with pytest.raises(InvalidPropsError) as info:
        build()
    return list(info.value.problems)


def test_every_deployment_problem_is_reported_at_once_naming_path_and_argument(make_stack):
    stack = make_stack()
    problems = _problems(
        lambda: CustomModelDeployment(
            stack,
            "Bad",
            model="arn:aws:bedrock:us-east-1:111122223333:foundation-model/amazon.nova-micro-v1:0",
            deployment_name="bad name",
            description="",
            tags={"aws:owner": "me"},
            service_timeout=cdk.Duration.seconds(10),
        )
    )
    assert len(problems) == 5, problems
    assert any(p.startswith("modelArn must match pattern") and p.endswith("(argument model)") for p in problems)
    assert any("modelDeploymentName" in p and "(argument deployment_name)" in p for p in problems)
    assert any("description" in p and "(argument description)" in p for p in problems)
    assert any("'aws:owner'" in p and "(argument tags)" in p for p in problems)
    assert any(p.startswith("service_timeout must be") for p in problems)
    with pytest.raises(InvalidPropsError, match=r"Invalid CustomModelDeployment \(TestStack/Named\)"):
        CustomModelDeployment(stack, "Named", model="x")  # the construct path names it


def test_a_valid_deployment_passes_every_rule(make_stack):
    CustomModelDeployment(
        make_stack(),
        "Good",
        model=CUSTOM_MODEL_ARN,
        deployment_name="good-name",
        description="d",
        tags={"owner": "me"},
        service_timeout=cdk.Duration.minutes(10),
    )


def test_deployment_tags_are_limited_to_49(make_stack):
    stack = make_stack()
    too_many = {f"k{i}": "v" for i in range(50)}
    [problem] = _problems(lambda: CustomModelDeployment(stack, "D", model=CUSTOM_MODEL_ARN, tags=too_many))
    assert "at most 49 tags" in problem and "(argument tags)" in problem
    CustomModelDeployment(stack, "Ok", model=CUSTOM_MODEL_ARN, tags={f"k{i}": "v" for i in range(49)})


@pytest.mark.parametrize("kind", ["reference", "arn", "import"])
def test_an_imported_model_is_refused_by_a_deployment_and_a_throughput(make_stack, kind):
    # GIVEN an imported model (imported-model ARNs match neither API's pattern)
    stack = make_stack()
    model_import = ModelImport(stack, "Import", model_data="s3://weights-1/llama/")
    model = {"reference": model_import.imported_model, "arn": IMPORTED_MODEL_ARN, "import": model_import}[kind]
    # THEN both refuse it with what to do instead, and nothing else
    [deployment] = _problems(lambda: CustomModelDeployment(stack, "D", model=model))
    [throughput] = _problems(lambda: ProvisionedThroughput(stack, "T", model=model, model_units=1))
    for problem, member in ((deployment, "modelArn"), (throughput, "modelId")):
        assert problem.startswith("model is an imported model") and member in problem
        assert "invoke an imported model on demand with its ARN as modelId" in problem


def test_a_deployment_refuses_a_foundation_model_and_a_model_it_does_not_wait_for(make_stack):
    stack = make_stack()
    base = bedrock.FoundationModel.from_foundation_model_id(
        stack, "Base", bedrock.FoundationModelIdentifier.AMAZON_NOVA_MICRO_V1_0
    )
    [problem] = _problems(lambda: CustomModelDeployment(stack, "D", model=base))
    assert problem.startswith("model is a foundation model")
    unwaited = CustomModel(stack, "Unwaited", model_package_arn=PACKAGE, wait_mode=WaitMode.NONE)
    [problem] = _problems(lambda: CustomModelDeployment(stack, "D2", model=unwaited))
    assert "wait_mode=WaitMode.NONE" in problem and "needs an Active model" in problem
    waited = CustomModel(stack, "Waited", model_package_arn=PACKAGE)
    CustomModelDeployment(stack, "D3", model=waited)


def test_every_throughput_problem_is_reported_at_once(make_stack):
    stack = make_stack()
    problems = _problems(
        lambda: ProvisionedThroughput(
            stack,
            "Bad",
            model="not a model!",
            model_units=0,
            commitment="OneMonth",  # type: ignore[arg-type]
            provisioned_model_name="-bad-",
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
    )
    assert len(problems) == 5, problems
    assert any(p.startswith("commitment must be one of Commitment.NONE") for p in problems)
    assert any(p.startswith("modelId must match pattern") and "(argument model)" in p for p in problems)
    assert any(p.startswith("modelUnits must be at least 1") and "(argument model_units)" in p for p in problems)
    assert any("(argument provisioned_model_name)" in p for p in problems)
    assert any(p.startswith("removal_policy must be") for p in problems)


def test_a_valid_throughput_passes_every_rule(make_stack):
    ProvisionedThroughput(
        make_stack(),
        "Good",
        model=CUSTOM_MODEL_ARN,
        model_units=1,
        commitment=Commitment.ONE_MONTH,
        provisioned_model_name="good_name-1",
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


def test_token_values_are_left_to_the_provider(make_stack):
    stack = make_stack()
    units = cdk.CfnParameter(stack, "Units", type="Number").value_as_number
    name = cdk.CfnParameter(stack, "Name").value_as_string
    ProvisionedThroughput(stack, "T", model=CUSTOM_MODEL_ARN, model_units=units, provisioned_model_name=name)
    CustomModelDeployment(stack, "D", model=cdk.CfnParameter(stack, "Model").value_as_string, deployment_name=name)
