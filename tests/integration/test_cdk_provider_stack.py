"""A CDK stack served by a provider stack deployed on its own (``BedrockCustomizationProvider.from_provider_stack``,
the example app with ``-c providerStack=true``): the provider stack the CDK CLI deploys from
``bedrock_customization.provider_app`` for the example's stack name, then the example's stack, which imports its
token and holds no function of its own. Both synthesized with the pinned CLI, run through the driver: the provider
from its asset, the jobs trained to their end in the long wait, both stacks deleted with nothing left."""

from __future__ import annotations

from pathlib import Path

import pytest
from bedrock_customization_provider import contract

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVED = "BedrockCustomizationExample"
EXPORT = f"{SERVED}-BedrockCustomizationServiceToken"


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory):
    from bedrock_customization_local.driver.synth import synthesize

    provider_app = f"{ROOT / '.venv' / 'bin' / 'python'} -m bedrock_customization.provider_app"
    provider = synthesize(
        tmp_path_factory.mktemp("provider") / "cdk.out", {"servedStackName": SERVED}, app=provider_app
    )
    jobs = synthesize(tmp_path_factory.mktemp("jobs") / "cdk.out", {"providerStack": "true"})
    return provider.stack(), jobs.stack()


def test_the_example_served_by_its_provider_stack_trains_both_jobs_and_leaves_nothing(cloud, assemblies):
    from bedrock_customization_local.driver.leftovers import find_leftovers
    from bedrock_customization_local.driver.stack import StackRunner

    provider_artifact, jobs_artifact = assemblies
    # GIVEN the example's stack without a provider of its own: every custom resource imports the provider stack's token
    resources = jobs_artifact.template()["Resources"]
    assert not [r for r in resources.values() if r["Type"].startswith("AWS::Lambda::")]
    custom = [r for r in resources.values() if r["Type"].startswith("Custom::")]
    assert custom and all(r["Properties"]["ServiceToken"] == {"Fn::ImportValue": EXPORT} for r in custom)
    # AND the provider stack, deployed first
    provider = StackRunner(cloud, provider_artifact)
    assert provider.deploy().ok
    assert set(provider.exports()) == {EXPORT}
    # WHEN the example's stack is deployed
    jobs = StackRunner(cloud, jobs_artifact)
    created = jobs.deploy()
    # THEN both jobs trained to their end inside the stack, the follow-up on the first job's model
    assert created.ok, created.failures
    bedrock = cloud.client("bedrock")
    first = bedrock.get_model_customization_job(jobIdentifier=created.outputs["JobArn"])
    assert first["status"] == "Completed" and first["outputModelArn"] == created.outputs["CustomModelArn"]
    follow_up_model = bedrock.get_custom_model(modelIdentifier=created.outputs["FollowUpModelArn"])
    assert follow_up_model["baseModelArn"] == created.outputs["CustomModelArn"]
    # the provider stack's function read and signalled the example's stack by its name
    assert ("SignalResource", SERVED, "") in cloud.cloudformation.calls
    # AND the provider stack cannot go while the example imports its token; once the example is deleted, it can
    assert provider.destroy().status == "DELETE_FAILED"
    assert jobs.destroy().ok
    assert provider.destroy().ok
    assert find_leftovers(cloud, jobs.owned_model_arns() | jobs.retained_models) == []


def test_a_stack_moves_from_its_own_provider_to_its_provider_stack_without_restarting_a_job(
    cloud, example_assembly, assemblies
):
    from bedrock_customization_local.driver.leftovers import find_leftovers
    from bedrock_customization_local.driver.stack import StackRunner

    provider_artifact, jobs_artifact = assemblies
    # GIVEN the example deployed with its own provider, its jobs trained
    jobs = StackRunner(cloud, example_assembly.stack())
    created = jobs.deploy()
    assert created.ok, created.failures
    bedrock = cloud.client("bedrock")
    trained = bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    own_rule = contract.wait_rule_name(jobs.env.stack_id)
    assert own_rule in {r["Name"] for r in cloud.polls.rules()}
    # AND its provider stack deployed next to it
    provider = StackRunner(cloud, provider_artifact)
    assert provider.deploy().ok
    # WHEN the stack is updated to the template that imports the provider stack's token
    moved = jobs.deploy(jobs_artifact.template())
    # THEN every custom resource was updated in place by the provider stack's function: the same jobs and models,
    # no job started again; the stack's own provider is gone, its rules with it
    assert moved.ok, moved.failures
    assert {k: moved.outputs[k] for k in ("JobArn", "CustomModelArn", "FollowUpModelArn")} == {
        k: created.outputs[k] for k in ("JobArn", "CustomModelArn", "FollowUpModelArn")
    }
    assert bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"] == trained
    assert not [lid for lid in jobs.template.resources if lid.startswith("BedrockCustomizationProvider") and "JobRoles"
                not in lid and "LongWaits" not in lid]  # fmt: skip
    rules = {r["Name"] for r in cloud.polls.rules()}
    assert own_rule not in rules and contract.wait_rule_name(provider.env.stack_id) in rules
    # AND both stacks are deleted, the jobs' first, leaving nothing
    assert jobs.destroy().ok
    assert provider.destroy().ok
    assert find_leftovers(cloud, jobs.owned_model_arns() | jobs.retained_models) == []
