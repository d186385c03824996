"""Custom models (CreateCustomModel) through the driver and the emulator: create, tags in place, delete, a model
still in use, a failed import rolled back, a refused fixed-name replacement rolled back, and models left Creating by a
failed update or a cancelled create, deleted once created."""

from __future__ import annotations

import copy
import time

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.emulator import JobScenario, ModelScenario
from bedrock_customization_provider import contract

pytestmark = pytest.mark.integration

MODEL = "Custom::BedrockCustomModel"
IMPORT_FAILURE = "Model import failed: the model package is not in a supported format."
JOB_FAILURE = "Validation failed: the training data is not valid JSON Lines."


def _state(session):
    return session.emulator.state()


def _clean(session, runner):
    return find_leftovers(session, runner.owned_model_arns() | runner.retained_models)


def _polls_run_out(session, wall_seconds=30):
    """Deliver the polls still scheduled (of requests CloudFormation stopped listening to) until none is left."""
    deadline = time.monotonic() + wall_seconds
    while session.polls.rules() and time.monotonic() < deadline:
        session.polls.deliver_due()
        time.sleep(0.05)


def _model_id(template):
    return next(lid for lid, r in template["Resources"].items() if r["Type"] == MODEL)


def _only_the_model(template):
    """The template without its jobs, their waits (and the outputs that name them): the model alone."""
    kept = copy.deepcopy(template)
    jobs = [
        lid
        for lid, r in kept["Resources"].items()
        if (r["Type"].startswith("Custom::") and r["Type"] != MODEL)
        or r["Type"] == "AWS::CloudFormation::WaitCondition"
    ]  # the jobs, their long waits' conditions and readers
    for lid in jobs:
        del kept["Resources"][lid]
    kept["Outputs"] = {k: v for k, v in kept.get("Outputs", {}).items() if not any(j in str(v) for j in jobs)}
    return kept


def test_a_custom_model_is_created_retagged_in_place_and_deleted(model_runner, cloud):
    template = model_runner.stack.template()
    model_id = _model_id(template)
    # WHEN the stack with jobs and a custom model is created
    created = model_runner.deploy(template)
    # THEN the model is Active and its outputs resolve
    assert created.status == "CREATE_COMPLETE", created.failures
    arn = model_runner.records[model_id].physical_id
    [imported] = [m for m in _state(cloud)["models"] if m["modelArn"] == arn]
    assert imported["modelStatus"] == "Active"
    assert created.outputs["ImportedModelArn"] == arn and created.outputs["ImportedModelStatus"] == "Active"
    # WHEN only its tags change
    retagged = copy.deepcopy(template)
    retagged["Resources"][model_id]["Properties"]["modelTags"] = [{"key": "team", "value": "ml"}]
    updated = model_runner.deploy(retagged)
    # THEN the same model carries the new tags
    assert updated.status == "UPDATE_COMPLETE", updated.failures
    assert model_runner.records[model_id].physical_id == arn
    tags = next(m for m in _state(cloud)["models"] if m["modelArn"] == arn)["tags"]
    assert tags.pop(contract.MODEL_PROPERTIES_TAG_KEY)  # the provider's own tag stays
    assert tags == {"team": "ml"}
    assert len([c for c in _state(cloud)["calls"] if c["operation"] == "CreateCustomModel"]) == 1
    # WHEN the stack is deleted THEN every model is gone
    assert model_runner.destroy().ok
    assert _state(cloud)["models"] == []
    assert _clean(cloud, model_runner) == []


def test_deleting_a_model_still_in_use_fails_with_a_reason_and_succeeds_once_released(model_runner, cloud):
    template = _only_the_model(model_runner.stack.template())
    model_id = _model_id(template)
    assert model_runner.deploy(template).ok
    arn = model_runner.records[model_id].physical_id
    # GIVEN a provisioned throughput uses the model
    throughput = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/demo12345678"
    cloud.emulator.controls.set_model_in_use(arn, True, by=throughput)
    # WHEN the stack is deleted
    refused = model_runner.destroy()
    # THEN the delete fails, saying why, and the model is still there
    assert refused.status == "DELETE_FAILED"
    assert refused.failures[0][0] == model_id
    assert refused.failures[0][1].startswith(f"Cannot delete the custom model: provisioned throughput {throughput}")
    assert [m["modelArn"] for m in _state(cloud)["models"]] == [arn]
    # WHEN it is released and the delete is retried THEN the stack goes
    cloud.emulator.controls.set_model_in_use(arn, False)
    assert model_runner.destroy().ok
    assert _state(cloud)["models"] == [] and _clean(cloud, model_runner) == []


def test_a_failed_import_fails_the_create_and_rolls_back(model_runner, cloud):
    template = _only_the_model(model_runner.stack.template())
    cloud.emulator.controls.add_model_scenario(
        ModelScenario(creating_seconds=300, outcome="fail", failure_message=IMPORT_FAILURE)
    )
    outcome = model_runner.deploy(template)
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    assert outcome.failures[0][1].startswith(IMPORT_FAILURE)
    assert [e["RequestType"] for e in model_runner.requests] == ["Create", "Delete"]
    assert _state(cloud)["models"] == []
    assert _clean(cloud, model_runner) == []


def test_a_refused_fixed_name_replacement_rolls_back_to_the_untouched_model(model_runner, cloud):
    template = _only_the_model(model_runner.stack.template())
    model_id = _model_id(template)
    template["Resources"][model_id]["Properties"]["modelName"] = "nova-fixed"
    assert model_runner.deploy(template).ok
    arn = model_runner.records[model_id].physical_id
    before = _state(cloud)["models"]
    mark, calls_before = len(model_runner.requests), len(_state(cloud)["calls"])
    # WHEN an update changes the source but keeps the fixed name (a replacement that would collide)
    replacing = copy.deepcopy(template)
    source = replacing["Resources"][model_id]["Properties"]["customModelDataSource"]["modelPackageArnDataSource"]
    source["modelPackageArn"] = source["modelPackageArn"].rsplit("/", 1)[0] + "/2"
    replacing["Resources"][model_id]["Properties"]["modelTags"] = [{"key": "team", "value": "ml"}]
    outcome = model_runner.deploy(replacing)
    # THEN it is refused, and the rollback to the original properties keeps the model in place
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE", outcome
    assert outcome.failures[0][0] == model_id
    assert outcome.failures[0][1].startswith("Cannot replace with the same modelName nova-fixed")
    requests = model_runner.requests[mark:]
    assert [(e["RequestType"], e["PhysicalResourceId"]) for e in requests] == [("Update", arn), ("Update", arn)]
    assert model_runner.records[model_id].physical_id == arn
    # AND the model is untouched: nothing created or deleted, its tags as they were (the rollback's tag diff, from
    # the refused properties back to the original ones, only rewrites the values the model already has)
    assert _state(cloud)["models"] == before
    operations = {c["operation"] for c in _state(cloud)["calls"][calls_before:]}
    assert not operations & {"CreateCustomModel", "DeleteCustomModel"}, operations
    assert _clean(cloud, model_runner) == []
    assert model_runner.destroy().ok
    assert _state(cloud)["models"] == []


def _replacing_update(model_runner, cloud, service_timeout: str) -> tuple[dict, str, str]:
    """GIVEN the model alone, deployed; then a replacing update (another model package) whose new model takes 30
    minutes to create, longer than its ServiceTimeout: nobody waits for it, and a Creating model cannot be deleted."""
    template = _only_the_model(model_runner.stack.template())
    model_id = _model_id(template)
    assert model_runner.deploy(template).ok
    arn = model_runner.records[model_id].physical_id
    cloud.emulator.controls.add_model_scenario(ModelScenario(creating_seconds=30 * 60), once=True)
    replacing = copy.deepcopy(template)
    properties = replacing["Resources"][model_id]["Properties"]
    source = properties["customModelDataSource"]["modelPackageArnDataSource"]
    source["modelPackageArn"] = source["modelPackageArn"].rsplit("/", 1)[0] + "/2"
    properties["ServiceTimeout"] = service_timeout
    return replacing, model_id, arn


def _rolled_back_to(model_runner, cloud, outcome, model_id: str, arn: str) -> None:
    """THEN the stack is back on the old model, the abandoned one is deleted once created, nothing is left."""
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE", outcome
    assert outcome.failures[0][0] == model_id
    assert model_runner.records[model_id].physical_id == arn
    assert [m["modelArn"] for m in _state(cloud)["models"]] == [arn]
    assert len([c for c in _state(cloud)["calls"] if c["operation"] == "CreateCustomModel"]) == 2
    deleted = [c for c in _state(cloud)["calls"] if c["operation"] == "DeleteCustomModel" and c["status"] == 200]
    assert len(deleted) == 1 and deleted[0]["target"] != arn
    assert _clean(cloud, model_runner) == []
    assert model_runner.destroy().ok
    assert _state(cloud)["models"] == []


def test_a_replacement_the_provider_gives_up_on_is_deleted_by_the_rollback(model_runner, cloud, slow_until_failure):
    replacing, model_id, arn = _replacing_update(model_runner, cloud, service_timeout="95")
    model_runner.observer = slow_until_failure()
    # WHEN it is deployed THEN the provider gives up saying why, and the rollback deletes the new model once created
    outcome = model_runner.deploy(replacing)
    assert outcome.failures[0][1].startswith("Custom model still Creating: CloudFormation's custom-resource limit")
    assert outcome.failures[0][1].endswith("The rollback deletes it when created.")
    _rolled_back_to(model_runner, cloud, outcome, model_id, arn)


def test_a_replacement_cloudformation_timed_out_is_deleted_by_the_rollback(model_runner, cloud):
    # (at the tier's speed CloudFormation's virtual limit comes before the provider's wall-clock budget)
    replacing, model_id, arn = _replacing_update(model_runner, cloud, service_timeout="600")
    outcome = model_runner.deploy(replacing)
    assert "did not receive a response" in outcome.failures[0][1]
    # AND the update nobody listens to any more ends on its own: its next poll finds its model deleted
    _polls_run_out(cloud)
    _rolled_back_to(model_runner, cloud, outcome, model_id, arn)


def test_a_model_whose_create_is_cancelled_is_deleted_once_created(model_runner, cloud):
    # GIVEN the example with jobs and a model: the model takes 30 minutes, the first job fails at once
    template = model_runner.stack.template()
    model_id = _model_id(template)
    cloud.emulator.controls.add_model_scenario(ModelScenario(creating_seconds=30 * 60))
    cloud.emulator.controls.add_job_scenario(
        JobScenario.lasting(120, outcome="fail", fail_phase="validation", failure_message=JOB_FAILURE)
    )
    # WHEN the stack is created
    outcome = model_runner.deploy(template)
    # THEN CloudFormation cancels the model's Create and rolls back; its Delete waits for the model, then deletes it
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    assert dict(outcome.failures)[model_id] == "Resource creation cancelled"
    assert ("Delete", model_id) in [(e["RequestType"], e["LogicalResourceId"]) for e in model_runner.requests]
    assert len([c for c in _state(cloud)["calls"] if c["operation"] == "CreateCustomModel"]) == 1
    assert _state(cloud)["models"] == []
    # AND the cancelled Create's own polls end on their own: the next finds its model deleted
    _polls_run_out(cloud)
    assert _clean(cloud, model_runner) == []
