"""Deployments, provisioned throughputs, model import jobs and imported models: lifecycles, errors, idempotency."""

from __future__ import annotations

import re

import pytest
from bedrock_customization_local.emulator import DeploymentScenario, ImportScenario, ThroughputScenario

from .conftest import ROLE_ARN

HOURS = 3600
FOUNDATION = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"


@pytest.fixture
def tuned(emu, bedrock, new_job):
    """Two Active custom models trained from the same foundation model (ARNs)."""
    bedrock.create_model_customization_job(**new_job("job-a", "model-a"))
    bedrock.create_model_customization_job(**new_job("job-b", "model-b"))
    emu.controls.advance(7 * HOURS)
    return [bedrock.get_custom_model(modelIdentifier=name)["modelArn"] for name in ("model-a", "model-b")]


# --- deployments -------------------------------------------------------------------------------------------------
def test_deployment_goes_creating_to_active_and_holds_its_model(emu, bedrock, tuned):
    arn = bedrock.create_custom_model_deployment(modelDeploymentName="serve-a", modelArn=tuned[0])[
        "customModelDeploymentArn"
    ]
    assert re.fullmatch(r"arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/[a-z0-9]{12}", arn)
    assert bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)["status"] == "Creating"
    emu.controls.advance(10 * 60)
    answer = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier="serve-a")
    assert answer["status"] == "Active" and answer["modelArn"] == tuned[0]

    with pytest.raises(bedrock.exceptions.ConflictException, match=arn):
        bedrock.delete_custom_model(modelIdentifier=tuned[0])
    listed = bedrock.list_custom_model_deployments(modelArnEquals=tuned[0])["modelDeploymentSummaries"]
    assert [d["customModelDeploymentArn"] for d in listed] == [arn]

    bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn)
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    bedrock.delete_custom_model(modelIdentifier=tuned[0])  # no longer held


def test_deployment_update_swaps_the_model_through_update_details(emu, bedrock, tuned):
    arn = bedrock.create_custom_model_deployment(modelDeploymentName="serve", modelArn=tuned[0])[
        "customModelDeploymentArn"
    ]
    emu.controls.advance(10 * 60)
    bedrock.update_custom_model_deployment(customModelDeploymentIdentifier=arn, modelArn=tuned[1])
    answer = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert answer["status"] == "Active"
    assert answer["updateDetails"] == {"modelArn": tuned[1], "updateStatus": "Updating"}
    assert answer["modelArn"] == tuned[0]
    with pytest.raises(bedrock.exceptions.ConflictException):
        bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn)

    emu.controls.advance(5 * 60)
    answer = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert answer["modelArn"] == tuned[1]
    assert answer["updateDetails"]["updateStatus"] == "UpdateCompleted"
    bedrock.delete_custom_model(modelIdentifier=tuned[0])  # released by the update


def test_failing_deployment_update_keeps_the_old_model(emu, bedrock, tuned):
    emu.controls.add_deployment_scenario(DeploymentScenario(update_outcome="fail", update_failure_message="No."))
    arn = bedrock.create_custom_model_deployment(modelDeploymentName="serve", modelArn=tuned[0])[
        "customModelDeploymentArn"
    ]
    emu.controls.advance(10 * 60)
    bedrock.update_custom_model_deployment(customModelDeploymentIdentifier=arn, modelArn=tuned[1])
    emu.controls.advance(5 * 60)
    answer = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert answer["updateDetails"]["updateStatus"] == "UpdateFailed"
    assert answer["modelArn"] == tuned[0] and answer["failureMessage"] == "No."


def test_failing_deployment_ends_failed_with_its_message(emu, bedrock, tuned):
    emu.controls.add_deployment_scenario(DeploymentScenario(outcome="fail", failure_message="Broken."), prefix="bad")
    arn = bedrock.create_custom_model_deployment(modelDeploymentName="bad-one", modelArn=tuned[0])[
        "customModelDeploymentArn"
    ]
    emu.controls.advance(10 * 60)
    answer = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert (answer["status"], answer["failureMessage"]) == ("Failed", "Broken.")


def test_deployment_is_idempotent_by_token_and_names_are_unique(emu, bedrock, tuned):
    request = {"modelDeploymentName": "serve", "modelArn": tuned[0], "clientRequestToken": "token-1"}
    first = bedrock.create_custom_model_deployment(**request)["customModelDeploymentArn"]
    assert bedrock.create_custom_model_deployment(**request)["customModelDeploymentArn"] == first
    with pytest.raises(bedrock.exceptions.ValidationException, match="already exists"):
        bedrock.create_custom_model_deployment(modelDeploymentName="serve", modelArn=tuned[0])
    assert len(emu.controls.state()["deployments"]) == 1


def test_deployment_of_a_missing_model_is_not_found(bedrock):
    missing = "arn:aws:bedrock:us-east-1:123456789012:custom-model/imported/abcdefabcdef"
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.create_custom_model_deployment(modelDeploymentName="serve", modelArn=missing)


def test_deployment_tags(emu, bedrock, tuned):
    arn = bedrock.create_custom_model_deployment(
        modelDeploymentName="serve", modelArn=tuned[0], tags=[{"key": "team", "value": "ml"}]
    )["customModelDeploymentArn"]
    bedrock.tag_resource(resourceARN=arn, tags=[{"key": "env", "value": "prod"}])
    bedrock.untag_resource(resourceARN=arn, tagKeys=["team"])
    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "env", "value": "prod"}]


# --- provisioned throughputs -------------------------------------------------------------------------------------
def test_throughput_goes_creating_to_in_service_and_holds_its_model(emu, bedrock, tuned):
    arn = bedrock.create_provisioned_model_throughput(provisionedModelName="pt", modelId=tuned[0], modelUnits=1)[
        "provisionedModelArn"
    ]
    assert re.fullmatch(r"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/[a-z0-9]{12}", arn)
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"] == "Creating"
    emu.controls.advance(15 * 60)
    answer = bedrock.get_provisioned_model_throughput(provisionedModelId="pt")
    assert answer["status"] == "InService"
    assert answer["foundationModelArn"] == FOUNDATION and answer["modelUnits"] == 1
    with pytest.raises(bedrock.exceptions.ConflictException, match=arn):
        bedrock.delete_custom_model(modelIdentifier=tuned[0])
    bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    bedrock.delete_custom_model(modelIdentifier=tuned[0])


def test_throughput_update_changes_name_and_model_of_the_same_base(emu, bedrock, tuned):
    arn = bedrock.create_provisioned_model_throughput(provisionedModelName="pt", modelId=tuned[0], modelUnits=1)[
        "provisionedModelArn"
    ]
    emu.controls.advance(15 * 60)
    bedrock.update_provisioned_model_throughput(
        provisionedModelId=arn, desiredModelId=tuned[1], desiredProvisionedModelName="pt-2"
    )
    answer = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert (answer["status"], answer["modelArn"], answer["desiredModelArn"]) == ("Updating", tuned[0], tuned[1])
    emu.controls.advance(5 * 60)
    answer = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert (answer["status"], answer["modelArn"], answer["provisionedModelName"]) == ("InService", tuned[1], "pt-2")


def test_throughput_model_can_change_only_within_its_base(emu, bedrock, tuned):
    base = bedrock.create_provisioned_model_throughput(provisionedModelName="base", modelId=FOUNDATION, modelUnits=1)
    custom = bedrock.create_provisioned_model_throughput(provisionedModelName="tuned", modelId=tuned[0], modelUnits=1)
    emu.controls.advance(15 * 60)
    with pytest.raises(bedrock.exceptions.ValidationException, match="associated with a base model"):
        bedrock.update_provisioned_model_throughput(
            provisionedModelId=base["provisionedModelArn"], desiredModelId=tuned[0]
        )
    other_base = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k"
    with pytest.raises(bedrock.exceptions.ValidationException, match="not the base model"):
        bedrock.update_provisioned_model_throughput(
            provisionedModelId=custom["provisionedModelArn"], desiredModelId=other_base
        )


def test_throughput_units_past_the_quota_are_refused(emu, bedrock, tuned):
    bedrock.create_provisioned_model_throughput(provisionedModelName="one", modelId=tuned[0], modelUnits=2)
    with pytest.raises(bedrock.exceptions.ServiceQuotaExceededException, match="quota of 2 model units"):
        bedrock.create_provisioned_model_throughput(provisionedModelName="two", modelId=tuned[0], modelUnits=1)
    with pytest.raises(bedrock.exceptions.ServiceQuotaExceededException, match="with commitment"):
        bedrock.create_provisioned_model_throughput(
            provisionedModelName="committed", modelId=tuned[0], modelUnits=1, commitmentDuration="OneMonth"
        )


def test_committed_throughput_cannot_be_deleted_before_its_term(emu, bedrock, tuned):
    emu.controls.set_throughput_quota(commitment=4)
    arn = bedrock.create_provisioned_model_throughput(
        provisionedModelName="committed", modelId=tuned[0], modelUnits=1, commitmentDuration="OneMonth"
    )["provisionedModelArn"]
    emu.controls.advance(15 * 60)
    answer = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert answer["commitmentDuration"] == "OneMonth" and answer["commitmentExpirationTime"]
    with pytest.raises(bedrock.exceptions.ValidationException, match="commitment term"):
        bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    emu.controls.advance(30 * 24 * HOURS)
    bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)


def test_throughput_is_idempotent_by_token_and_missing_is_not_found(emu, bedrock, tuned):
    request = {"provisionedModelName": "pt", "modelId": tuned[0], "modelUnits": 1, "clientRequestToken": "t-1"}
    first = bedrock.create_provisioned_model_throughput(**request)["provisionedModelArn"]
    assert bedrock.create_provisioned_model_throughput(**request)["provisionedModelArn"] == first
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_provisioned_model_throughput(provisionedModelId="missing")


def test_failing_throughput_scenario(emu, bedrock, tuned):
    emu.controls.add_throughput_scenario(ThroughputScenario(creating_seconds=60, outcome="fail"), once=True)
    arn = bedrock.create_provisioned_model_throughput(provisionedModelName="pt", modelId=tuned[0], modelUnits=1)[
        "provisionedModelArn"
    ]
    emu.controls.advance(60)
    answer = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert answer["status"] == "Failed" and answer["failureMessage"].startswith("Provisioning failed")


# --- model import jobs and imported models -----------------------------------------------------------------------
def import_request(name: str = "import-1", model: str = "llama-1", **overrides):
    request = {
        "jobName": name,
        "importedModelName": model,
        "roleArn": ROLE_ARN,
        "modelDataSource": {"s3DataSource": {"s3Uri": "s3://model-bucket/llama/"}},
    }
    request.update(overrides)
    return request


def test_import_job_completes_with_an_imported_model_that_can_be_deleted(emu, bedrock):
    arn = bedrock.create_model_import_job(**import_request(importedModelTags=[{"key": "team", "value": "ml"}]))[
        "jobArn"
    ]
    assert re.fullmatch(r"arn:aws:bedrock:us-east-1:123456789012:model-import-job/[a-z0-9]{12}", arn)
    answer = bedrock.get_model_import_job(jobIdentifier=arn)
    assert answer["status"] == "InProgress" and "importedModelArn" not in answer
    emu.controls.advance(20 * 60)
    answer = bedrock.get_model_import_job(jobIdentifier="import-1")
    assert answer["status"] == "Completed"
    model_arn = answer["importedModelArn"]
    assert re.fullmatch(r"arn:aws:bedrock:us-east-1:123456789012:imported-model/[a-z0-9]{12}", model_arn)
    model = bedrock.get_imported_model(modelIdentifier="llama-1")
    assert model["modelArn"] == model_arn and model["jobArn"] == arn
    assert bedrock.list_tags_for_resource(resourceARN=model_arn)["tags"] == [{"key": "team", "value": "ml"}]
    assert [m["modelName"] for m in bedrock.list_imported_models()["modelSummaries"]] == ["llama-1"]
    bedrock.delete_imported_model(modelIdentifier=model_arn)
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_imported_model(modelIdentifier=model_arn)


def test_failing_import_makes_no_model(emu, bedrock):
    emu.controls.add_import_scenario(ImportScenario(outcome="fail", failure_message="No config.json."), prefix="bad")
    arn = bedrock.create_model_import_job(**import_request("bad-import"))["jobArn"]
    emu.controls.advance(20 * 60)
    answer = bedrock.get_model_import_job(jobIdentifier=arn)
    assert (answer["status"], answer["failureMessage"]) == ("Failed", "No config.json.")
    assert bedrock.list_imported_models()["modelSummaries"] == []


def test_import_job_names_stay_taken_and_tokens_replay(emu, bedrock):
    first = bedrock.create_model_import_job(**import_request(clientRequestToken="t-1"))["jobArn"]
    assert bedrock.create_model_import_job(**import_request(clientRequestToken="t-1"))["jobArn"] == first
    with pytest.raises(bedrock.exceptions.ConflictException, match="job name"):
        bedrock.create_model_import_job(**import_request(model="llama-2"))
    with pytest.raises(bedrock.exceptions.ConflictException, match="llama-1"):
        bedrock.create_model_import_job(**import_request("import-2"))
    listed = bedrock.list_model_import_jobs(nameContains="import")["modelImportJobSummaries"]
    assert [j["jobArn"] for j in listed] == [first]


def test_import_job_shape_is_validated(raw_bedrock):
    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="s3Uri"):
        raw_bedrock.create_model_import_job(**import_request(modelDataSource={"s3DataSource": {"s3Uri": "http://x"}}))


def test_every_new_read_answer_has_its_required_members(emu, bedrock, tuned):
    from bedrock_customization_local.emulator.service_model import operation_model

    from .test_output_shapes import _missing_required

    deployment = bedrock.create_custom_model_deployment(modelDeploymentName="serve", modelArn=tuned[0])
    throughput = bedrock.create_provisioned_model_throughput(provisionedModelName="pt", modelId=tuned[0], modelUnits=1)
    job = bedrock.create_model_import_job(**import_request())
    checks = {
        "GetCustomModelDeployment": lambda: bedrock.get_custom_model_deployment(
            customModelDeploymentIdentifier=deployment["customModelDeploymentArn"]
        ),
        "ListCustomModelDeployments": bedrock.list_custom_model_deployments,
        "GetProvisionedModelThroughput": lambda: bedrock.get_provisioned_model_throughput(
            provisionedModelId=throughput["provisionedModelArn"]
        ),
        "ListProvisionedModelThroughputs": bedrock.list_provisioned_model_throughputs,
        "GetModelImportJob": lambda: bedrock.get_model_import_job(jobIdentifier=job["jobArn"]),
        "ListModelImportJobs": bedrock.list_model_import_jobs,
        "ListImportedModels": bedrock.list_imported_models,
    }
    for moment in (0, 20 * 60):  # while creating, and once ready
        emu.controls.advance(moment)
        for operation, call in checks.items():
            answer = call()
            assert _missing_required(operation_model(operation).output_shape, answer) == [], operation
