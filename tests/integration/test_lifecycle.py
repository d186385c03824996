"""The example app's lifecycle through the driver and the emulator, the provider running from its synthesized asset.

Each test asserts on the emulator's state: one job per CloudFormation request, nothing orphaned at the end.
"""

from __future__ import annotations

import copy

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_provider import contract

from .templates import with_hyperparameters

pytestmark = pytest.mark.integration

PROTECTED = ("bedrock_customization_local.driver", "bedrock_customization_local.emulator", "bedrock_customization")


def _state(session):
    return session.emulator.state()


def _calls(session, operation):
    return [c for c in _state(session)["calls"] if c["operation"] == operation and c["status"] < 300]


def _job_ids(runner):
    return [lid for lid in runner.template.creation_order() if lid in _jobs_of(runner.template.template)]


def _jobs_of(template):
    return [lid for lid, r in template["Resources"].items() if r["Type"] == contract.JOB_RESOURCE_TYPE]


def _model_of(session, runner, lid):
    """The custom model of job resource ``lid`` (in the long wait mode its reader has it, not the job's answer)."""
    arn = runner.records[lid].physical_id
    return next(j["outputModelArn"] for j in _state(session)["jobs"] if j["jobArn"] == arn)


def _clean(session, runner):
    return find_leftovers(session, runner.owned_model_arns() | runner.retained_models)


def test_create_runs_every_job_to_completion_then_delete_removes_everything(runner, cloud, example_assembly):
    # WHEN the synthesized stack is created
    outcome = runner.deploy()
    # THEN every job completed, once, and the outputs resolve from the provider's answers
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    jobs = _state(cloud)["jobs"]
    assert len(jobs) == 2 and {j["status"] for j in jobs} == {"Completed"}
    assert len({j["clientRequestToken"] for j in jobs}) == 2
    assert len(_calls(cloud, "CreateModelCustomizationJob")) == 2
    assert outcome.outputs["Status"] == "Completed"
    assert outcome.outputs["CustomModelArn"] in {m["modelArn"] for m in _state(cloud)["models"]}
    assert outcome.outputs["FollowUpModelArn"] != outcome.outputs["CustomModelArn"]
    first, second = _job_ids(runner)
    follow_up = next(j for j in jobs if j["jobArn"] == runner.records[second].physical_id)
    assert (
        follow_up["customModelName"]
        and runner.records[second].properties["baseModelIdentifier"] == (outcome.outputs["CustomModelArn"])
    )
    # and every event reached the provider as CloudFormation sends it: stringified, with a presigned HTTPS URL
    create = next(r for r in runner.requests if r["ResourceType"] == contract.JOB_RESOURCE_TYPE)
    assert create["ResourceProperties"]["hyperParameters"]["epochCount"] == "2"
    assert create["ResponseURL"].startswith("https://127.0.0.1:") and "X-Amz-Signature=" in create["ResponseURL"]
    assert cloud.polls.deliveries, "the long waits' events and polls came through EventBridge"
    assert _clean(cloud, runner) == []
    # and the provider ran from the synthesized asset, never from the source tree
    function = cloud.lambdas.function_names()[0]
    found = cloud.lambdas.warm(function).probe(["crhelper", "bedrock_customization_provider.handler", *PROTECTED])
    asset = str(runner.template.function_spec(runner.template.provider_function_id(first), runner.stack).code_dir)
    assert asset.startswith(str(example_assembly.directory))
    assert found["crhelper"].startswith(asset) and found["bedrock_customization_provider.handler"].startswith(asset)
    assert all(found[name].startswith("ImportError") for name in PROTECTED), found

    # WHEN the stack is deleted
    deleted = runner.destroy()
    # THEN the models are gone (RemovalPolicy Destroy), dependents first, and nothing is left
    assert deleted.status == "DELETE_COMPLETE", deleted.failures
    assert _state(cloud)["models"] == []
    deletes = [e.logical_id for e in runner.events if e.status == "DELETE_IN_PROGRESS"]
    assert [lid for lid in deletes if lid in (first, second)] == [second, first]
    assert _clean(cloud, runner) == []


def test_a_tag_change_updates_the_job_and_its_model_in_place(runner, cloud):
    assert runner.deploy().ok
    first, _second = _job_ids(runner)
    job_arn = runner.records[first].physical_id
    # GIVEN a template whose first job has one more job tag and a changed model tag
    template = copy.deepcopy(runner.stack.template())
    props = template["Resources"][first]["Properties"]
    props["jobTags"] = [*props["jobTags"], {"key": "owner", "value": "ml-team"}]
    props["customModelTags"] = [{"key": "project", "value": "renamed"}]
    sent_before = len(runner.requests)
    # WHEN the stack is updated
    outcome = runner.deploy(template)
    # THEN the same job carries the new tags, its model too, and no job was started
    assert outcome.status == "UPDATE_COMPLETE", outcome.failures
    assert runner.records[first].physical_id == job_arn
    state = _state(cloud)
    job = next(j for j in state["jobs"] if j["jobArn"] == job_arn)
    assert job["tags"] == {"project": "cdk-bedrock-customization", "stage": "example", "owner": "ml-team"}
    model = next(m for m in state["models"] if m["jobArn"] == job_arn)
    assert model["tags"] == {"project": "renamed"}
    assert len(_calls(cloud, "CreateModelCustomizationJob")) == 2
    # only the changed resource got an event; the follow-up job's properties did not change
    assert [e["LogicalResourceId"] for e in runner.requests[sent_before:]] == [first]
    assert runner.destroy().ok
    assert _clean(cloud, runner) == []


def test_a_hyperparameter_change_replaces_the_jobs_and_cleanup_deletes_the_old_ones(runner, cloud):
    assert runner.deploy().ok
    first, second = _job_ids(runner)
    old = {lid: runner.records[lid].physical_id for lid in (first, second)}
    old_models = {_model_of(cloud, runner, lid) for lid in (first, second)}
    template = with_hyperparameters(runner.stack.template(), first, epochCount="3")
    mark = len(runner.events)
    # WHEN the stack is updated
    outcome = runner.deploy(template)
    # THEN both jobs were replaced (the follow-up's base model changed with the first job's model) ...
    assert outcome.status == "UPDATE_COMPLETE", outcome.failures + outcome.warnings
    assert all(runner.records[lid].physical_id != old[lid] for lid in (first, second))
    assert runner.records[second].properties["baseModelIdentifier"] == _model_of(cloud, runner, first)
    # ... the old resources were deleted only after both updates succeeded, dependents first ...
    events = [(e.logical_id, e.status, e.physical_id) for e in runner.events[mark:] if e.logical_id in (first, second)]
    last_update = max(i for i, e in enumerate(events) if e[1] == "UPDATE_COMPLETE")
    deletes = [(i, e) for i, e in enumerate(events) if e[1] == "DELETE_IN_PROGRESS"]
    assert [e[2] for _, e in deletes] == [old[second], old[first]]
    assert all(i > last_update for i, _ in deletes)
    # ... and exactly one new job per replacement, the old models gone, nothing orphaned
    state = _state(cloud)
    assert len(state["jobs"]) == 4 and len(_calls(cloud, "CreateModelCustomizationJob")) == 4
    assert old_models.isdisjoint({m["modelArn"] for m in state["models"]})
    assert _clean(cloud, runner) == []
    assert runner.destroy().ok
    assert _clean(cloud, runner) == []


def test_a_retained_model_outlives_the_stack_and_is_not_an_orphan(runner, cloud):
    template = copy.deepcopy(runner.stack.template())
    job_ids = _jobs_of(runner.stack.template())
    for lid in job_ids:
        template["Resources"][lid]["Properties"]["RemovalPolicy"] = "Retain"
    assert runner.deploy(template).ok
    assert runner.destroy().ok
    assert len(_state(cloud)["models"]) == 2
    assert runner.retained_models == {m["modelArn"] for m in _state(cloud)["models"]}
    assert _clean(cloud, runner) == []
