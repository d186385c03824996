"""Custom models (CreateCustomModel and job outputs), deletion conflicts and tagging."""

from __future__ import annotations

import re

import pytest
from bedrock_customization_local.emulator import ModelScenario

HOURS = 3600


def test_created_custom_model_goes_from_creating_to_active(emu, bedrock, new_model):
    response = bedrock.create_custom_model(**new_model())
    arn = response["modelArn"]

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert re.fullmatch(r"arn:aws:bedrock:us-east-1:123456789012:custom-model/imported/[a-z0-9]{12}", arn)
    model = bedrock.get_custom_model(modelIdentifier=arn)
    assert model["modelStatus"] == "Creating"
    assert model["customizationType"] == "IMPORTED"

    emu.controls.advance(16 * 60)

    assert bedrock.get_custom_model(modelIdentifier="imported-1")["modelStatus"] == "Active"


def test_failing_model_scenario_ends_failed_with_its_message(emu, bedrock, new_model):
    emu.controls.add_model_scenario(
        ModelScenario(creating_seconds=30, outcome="fail", failure_message="Artifacts missing."), prefix="bad-"
    )
    arn = bedrock.create_custom_model(**new_model("bad-model"))["modelArn"]
    emu.controls.advance(30)

    model = bedrock.get_custom_model(modelIdentifier=arn)

    assert model["modelStatus"] == "Failed"
    assert model["failureMessage"] == "Artifacts missing."


def test_create_custom_model_is_idempotent_by_token(emu, bedrock, new_model):
    first = bedrock.create_custom_model(**new_model(clientRequestToken="model-token"))["modelArn"]
    second = bedrock.create_custom_model(**new_model(clientRequestToken="model-token"))["modelArn"]

    assert first == second
    assert len(emu.controls.state()["models"]) == 1


def test_existing_model_name_is_a_conflict(bedrock, new_model):
    bedrock.create_custom_model(**new_model())

    with pytest.raises(bedrock.exceptions.ConflictException):
        bedrock.create_custom_model(**new_model())


def test_create_custom_model_needs_a_source(raw_bedrock):
    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="modelSourceConfig"):
        raw_bedrock.create_custom_model(modelName="no-source", roleArn="arn:aws:iam::123456789012:role/r")


def test_list_custom_models_filters_by_status_and_name(emu, bedrock, new_model, new_job):
    emu.controls.add_model_scenario(ModelScenario(outcome="stay_creating"), prefix="slow-")
    bedrock.create_custom_model(**new_model("slow-model"))
    bedrock.create_custom_model(**new_model("quick-model"))
    bedrock.create_model_customization_job(**new_job())
    emu.controls.advance(7 * HOURS)

    def names(**filters):
        return sorted(summary["modelName"] for summary in bedrock.list_custom_models(**filters)["modelSummaries"])

    assert names() == ["model-1", "quick-model", "slow-model"]
    assert names(modelStatus="Creating") == ["slow-model"]
    assert names(nameContains="quick") == ["quick-model"]
    tuned = bedrock.list_custom_models(nameContains="model-1")["modelSummaries"][0]
    assert tuned["baseModelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
    assert tuned["customizationType"] == "FINE_TUNING"


def test_what_uses_a_model_is_listed_by_kind_and_model(emu, bedrock, new_job, new_model):
    job_arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(7 * HOURS)
    model_arn = bedrock.get_model_customization_job(jobIdentifier=job_arn)["outputModelArn"]
    other_arn = bedrock.create_custom_model(**new_model())["modelArn"]
    emu.controls.set_model_in_use(model_arn, by="provisioned-model/pt1")
    emu.controls.set_model_in_use(model_arn, by="custom-model-deployment/dep1")
    emu.controls.set_model_in_use(other_arn, by="provisioned-model/pt2")
    arn = "arn:aws:bedrock:us-east-1:123456789012"

    throughputs = bedrock.list_provisioned_model_throughputs(modelArnEquals=model_arn)["provisionedModelSummaries"]
    deployments = bedrock.list_custom_model_deployments(modelArnEquals=model_arn)["modelDeploymentSummaries"]

    assert [(t["provisionedModelArn"], t["modelArn"]) for t in throughputs] == [
        (f"{arn}:provisioned-model/pt1", model_arn)
    ]
    assert [d["customModelDeploymentArn"] for d in deployments] == [f"{arn}:custom-model-deployment/dep1"]
    assert len(bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"]) == 2
    emu.controls.set_model_in_use(model_arn, in_use=False, by="provisioned-model/pt1")
    assert bedrock.list_provisioned_model_throughputs(modelArnEquals=model_arn)["provisionedModelSummaries"] == []
    assert len(bedrock.list_custom_model_deployments(modelArnEquals=model_arn)["modelDeploymentSummaries"]) == 1


def test_deleting_a_model_in_use_is_a_conflict_until_released(emu, bedrock, new_job):
    job_arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(7 * HOURS)
    model_arn = bedrock.get_model_customization_job(jobIdentifier=job_arn)["outputModelArn"]
    user = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl"
    emu.controls.set_model_in_use("model-1", by=user)

    with pytest.raises(bedrock.exceptions.ConflictException, match="in use") as raised:
        bedrock.delete_custom_model(modelIdentifier=model_arn)
    assert raised.value.response["Error"]["Code"] == "ConflictException"

    emu.controls.set_model_in_use(model_arn, in_use=False)
    bedrock.delete_custom_model(modelIdentifier=model_arn)

    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_custom_model(modelIdentifier=model_arn)
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.delete_custom_model(modelIdentifier="model-1")
    # the job still reports the model it produced, as Bedrock does
    assert bedrock.get_model_customization_job(jobIdentifier=job_arn)["outputModelArn"] == model_arn


def test_deleting_a_model_still_creating_is_a_conflict(bedrock, new_model):
    arn = bedrock.create_custom_model(**new_model())["modelArn"]

    with pytest.raises(bedrock.exceptions.ConflictException):
        bedrock.delete_custom_model(modelIdentifier=arn)


def test_job_tags_and_custom_model_tags_land_on_their_resources(emu, bedrock, new_job):
    arn = bedrock.create_model_customization_job(
        **new_job(jobTags=[{"key": "team", "value": "ml"}], customModelTags=[{"key": "stage", "value": "dev"}])
    )["jobArn"]
    emu.controls.advance(7 * HOURS)
    model_arn = bedrock.get_model_customization_job(jobIdentifier=arn)["outputModelArn"]

    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "team", "value": "ml"}]
    assert bedrock.list_tags_for_resource(resourceARN=model_arn)["tags"] == [{"key": "stage", "value": "dev"}]


def test_tag_and_untag_in_place(bedrock, new_job):
    arn = bedrock.create_model_customization_job(**new_job(jobTags=[{"key": "a", "value": "1"}]))["jobArn"]

    bedrock.tag_resource(resourceARN=arn, tags=[{"key": "a", "value": "2"}, {"key": "b", "value": "3"}])
    bedrock.untag_resource(resourceARN=arn, tagKeys=["b", "not-there"])

    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "a", "value": "2"}]


def tag_list(count: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"key": f"{prefix}{i}", "value": "v"} for i in range(count)]


def test_more_than_50_tags_on_a_resource_is_too_many_tags(bedrock, new_job):
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    bedrock.tag_resource(resourceARN=arn, tags=tag_list(40))

    with pytest.raises(bedrock.exceptions.TooManyTagsException) as raised:
        bedrock.tag_resource(resourceARN=arn, tags=tag_list(11, "x"))

    assert raised.value.response["resourceName"] == arn
    assert len(bedrock.list_tags_for_resource(resourceARN=arn)["tags"]) == 40
    bedrock.tag_resource(resourceARN=arn, tags=tag_list(10, "x"))  # exactly 50
    assert len(bedrock.list_tags_for_resource(resourceARN=arn)["tags"]) == 50


@pytest.mark.parametrize("member", ["jobTags", "customModelTags"])
def test_a_job_created_with_more_than_50_tags_is_refused(bedrock, new_job, member):
    with pytest.raises(bedrock.exceptions.TooManyTagsException):
        bedrock.create_model_customization_job(**new_job(**{member: tag_list(51)}))
    assert bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
    bedrock.create_model_customization_job(**new_job(**{member: tag_list(50)}))


def test_a_model_created_with_more_than_50_tags_is_refused(bedrock, new_model):
    with pytest.raises(bedrock.exceptions.TooManyTagsException):
        bedrock.create_custom_model(**new_model(modelTags=tag_list(51)))
    assert bedrock.list_custom_models()["modelSummaries"] == []
    bedrock.create_custom_model(**new_model(modelTags=tag_list(50)))


def test_tagging_an_unknown_resource_is_not_found(bedrock):
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/imported/abcdefghijkl"
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.tag_resource(resourceARN=arn, tags=[{"key": "a", "value": "b"}])
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.list_tags_for_resource(resourceARN=arn)


FOUNDATION = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"


def _trained_from_a_custom_model(emu, bedrock, new_job) -> tuple[str, str]:
    """model-1 fine-tuned from the foundation model, then model-2 trained from model-1: (model-1 ARN, model-2 ARN)."""
    first = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(7 * HOURS)
    parent = bedrock.get_model_customization_job(jobIdentifier=first)["outputModelArn"]
    second = bedrock.create_model_customization_job(**new_job("job-2", "model-2", baseModelIdentifier=parent))["jobArn"]
    emu.controls.advance(7 * HOURS)
    return parent, bedrock.get_model_customization_job(jobIdentifier=second)["outputModelArn"]


def test_foundation_model_filter_matches_the_root_and_base_model_filter_the_direct_base(
    emu, bedrock, new_job, new_model
):
    # GIVEN model-1 trained from the foundation model, model-2 trained from model-1, and an imported model
    parent, child = _trained_from_a_custom_model(emu, bedrock, new_job)
    bedrock.create_custom_model(**new_model())

    def names(**filters):
        return sorted(summary["modelName"] for summary in bedrock.list_custom_models(**filters)["modelSummaries"])

    # WHEN filtering by foundation model THEN both descendants of it are listed, however many hops away
    assert names(foundationModelArnEquals=FOUNDATION) == ["model-1", "model-2"]
    # WHEN filtering by base model THEN only the models trained directly from it are listed
    assert names(baseModelArnEquals=FOUNDATION) == ["model-1"]
    assert names(baseModelArnEquals=parent) == ["model-2"]
    assert names(baseModelArnEquals=child) == []


def test_provisioned_throughput_reports_the_root_foundation_model_of_its_custom_model(emu, bedrock, new_job):
    # GIVEN model-2 trained from model-1, itself trained from the foundation model, in use by a throughput
    _parent, child = _trained_from_a_custom_model(emu, bedrock, new_job)
    emu.controls.set_model_in_use(child, by="provisioned-model/pt1")

    # WHEN listing provisioned throughputs
    summary = bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"][0]

    # THEN foundationModelArn (a FoundationModelArn) is the foundation model model-2 descends from
    assert summary["modelArn"] == child
    assert summary["foundationModelArn"] == FOUNDATION


def test_custom_model_summaries_always_carry_the_required_base_model_members(emu, bedrock, new_job, new_model):
    # GIVEN a fine-tuned model, a model trained from it, and a model imported with CreateCustomModel
    parent, child = _trained_from_a_custom_model(emu, bedrock, new_job)
    imported = bedrock.create_custom_model(**new_model())["modelArn"]

    # WHEN listing custom models
    summaries = {s["modelArn"]: s for s in bedrock.list_custom_models()["modelSummaries"]}

    # THEN baseModelArn is the direct base and baseModelName the model id (ModelName shape) of the foundation model
    assert (summaries[parent]["baseModelArn"], summaries[parent]["baseModelName"]) == (
        FOUNDATION,
        "amazon.titan-text-express-v1:0:8k",
    )
    assert (summaries[child]["baseModelArn"], summaries[child]["baseModelName"]) == (
        parent,
        "amazon.titan-text-express-v1:0:8k",
    )
    # AND an imported model, which has no base model in the API, still carries both required members, empty
    assert (summaries[imported]["baseModelArn"], summaries[imported]["baseModelName"]) == ("", "")
    assert summaries[imported]["customizationType"] == "IMPORTED"
