"""Deployments and provisioned throughputs through the driver and the emulator, from the example app with
``-c serve=true``: create (job -> model -> deployment; a CustomModel -> throughput), in place (the deployment's model
swapped, the throughput renamed), replacement, a failure with Bedrock's message, delete in dependency order and
nothing left behind."""

from __future__ import annotations

import copy
import os

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.emulator import DeploymentScenario
from bedrock_customization_provider import contract

pytestmark = pytest.mark.integration

SERVE_CONTEXT = {
    "modelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/nova-demo/1",
    "serve": "true",
}
DEPLOYMENT_FAILURE = "Deployment failed: the model's architecture is not supported for on-demand inference."


@pytest.fixture(scope="module")
def serving_assembly(tmp_path_factory: pytest.TempPathFactory):
    """The example app with a deployment and a throughput, synthesized once (CFN_DRIVER_SERVE_ASSEMBLY reuses one)."""
    from bedrock_customization_local.driver.assembly import CloudAssembly
    from bedrock_customization_local.driver.synth import synthesize

    if os.environ.get("CFN_DRIVER_SERVE_ASSEMBLY"):
        return CloudAssembly.load(os.environ["CFN_DRIVER_SERVE_ASSEMBLY"])
    return synthesize(tmp_path_factory.mktemp("example-serve") / "cdk.out", SERVE_CONTEXT)


@pytest.fixture
def serve_runner(cloud, serving_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, serving_assembly.stack())


def _id(template, resource_type):
    [logical_id] = [lid for lid, r in template["Resources"].items() if r["Type"] == resource_type]
    return logical_id


def _state(session):
    return session.emulator.state()


def _nothing_left(session, runner) -> list[str]:
    """find_leftovers, plus what it does not know of: deployments and throughputs still in Bedrock."""
    state = _state(session)
    problems = find_leftovers(session, runner.owned_model_arns() | runner.retained_models)
    problems += [f"deployment {d['name']} still exists" for d in state["deployments"]]
    problems += [f"throughput {t['name']} still exists" for t in state["throughputs"]]
    return problems


def test_create_swap_rename_and_delete_in_dependency_order(serve_runner, cloud):
    template = serve_runner.stack.template()
    deployment_id = _id(template, contract.DEPLOYMENT_RESOURCE_TYPE)
    throughput_id = _id(template, contract.THROUGHPUT_RESOURCE_TYPE)
    # WHEN the stack is created (job -> its model -> deployment; the custom model -> throughput)
    created = serve_runner.deploy(template)
    # THEN the deployment serves the job's model and the throughput the custom model, both ready
    assert created.status == "CREATE_COMPLETE", created.failures
    state = _state(cloud)
    [deployment] = state["deployments"]
    [throughput] = state["throughputs"]
    job_model = created.outputs["CustomModelArn"]
    assert deployment["modelArn"] == job_model and deployment["phase"] == "ready"
    assert throughput["modelArn"] == created.outputs["ImportedModelArn"] and throughput["phase"] == "ready"
    assert created.outputs["DeploymentArn"] == deployment["arn"] == serve_runner.records[deployment_id].physical_id
    assert created.outputs["DeploymentStatus"] == "Active"
    assert created.outputs["ProvisionedModelArn"] == throughput["arn"]

    # WHEN the deployment is pointed at another custom model (the follow-up job's) and the throughput renamed
    changed = copy.deepcopy(template)
    follow_up_reader = next(lid for lid in template["Resources"] if lid.startswith("FineTuneAgainWaitResult"))
    changed["Resources"][deployment_id]["Properties"]["modelArn"] = {
        "Fn::GetAtt": [follow_up_reader, contract.ATTR_CUSTOM_MODEL_ARN]
    }
    changed["Resources"][throughput_id]["Properties"]["provisionedModelName"] = "example-capacity"
    updated = serve_runner.deploy(changed)
    # THEN both are changed in place: same ARNs, the new model served, the new name
    assert updated.status == "UPDATE_COMPLETE", updated.failures
    state = _state(cloud)
    [swapped] = state["deployments"]
    [renamed] = state["throughputs"]
    assert swapped["arn"] == deployment["arn"] and swapped["modelArn"] == updated.outputs["FollowUpModelArn"]
    assert renamed["arn"] == throughput["arn"] and renamed["name"] == "example-capacity"
    calls = [c["operation"] for c in state["calls"]]
    assert calls.count("UpdateCustomModelDeployment") == 1 and calls.count("CreateCustomModelDeployment") == 1
    assert calls.count("UpdateProvisionedModelThroughput") == 1

    # WHEN the deployment's description changes THEN it is replaced: a new deployment, the old one deleted
    described = copy.deepcopy(changed)
    described["Resources"][deployment_id]["Properties"]["description"] = "a new description replaces it"
    replaced = serve_runner.deploy(described)
    assert replaced.status == "UPDATE_COMPLETE", replaced.failures
    [new_deployment] = _state(cloud)["deployments"]
    assert new_deployment["arn"] != deployment["arn"]
    assert serve_runner.records[deployment_id].physical_id == new_deployment["arn"]

    # WHEN the stack is deleted THEN each user is deleted before the model it serves (no ConflictException), and
    # nothing is left behind
    destroyed = serve_runner.destroy()
    assert destroyed.ok, destroyed.failures
    failed_model_deletes = [
        c for c in _state(cloud)["calls"] if c["operation"] == "DeleteCustomModel" and c.get("error")
    ]
    assert failed_model_deletes == []
    assert _nothing_left(cloud, serve_runner) == []


def test_a_failed_deployment_fails_the_stack_with_bedrocks_message_and_rolls_back_clean(serve_runner, cloud):
    # GIVEN Bedrock fails the deployment
    cloud.emulator.controls.add_deployment_scenario(
        DeploymentScenario(outcome="fail", failure_message=DEPLOYMENT_FAILURE)
    )
    template = serve_runner.stack.template()
    deployment_id = _id(template, contract.DEPLOYMENT_RESOURCE_TYPE)
    # WHEN the stack is created
    outcome = serve_runner.deploy(template)
    # THEN it fails on the deployment with Bedrock's message first, rolls back, and leaves nothing behind
    assert outcome.status == "ROLLBACK_COMPLETE", outcome.status
    reasons = dict(outcome.failures)
    assert reasons[deployment_id].startswith(DEPLOYMENT_FAILURE), reasons
    assert _nothing_left(cloud, serve_runner) == []
    assert serve_runner.destroy().ok
    assert _nothing_left(cloud, serve_runner) == []
