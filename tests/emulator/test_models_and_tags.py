"""Custom models (CreateCustomModel and job outputs), deletion conflicts and tagging."""

from __future__ import annotations

import re

import pytest
from bedrock_emulator import ModelScenario

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
