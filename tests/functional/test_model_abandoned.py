"""Custom models nobody owns: a replacement CloudFormation stopped waiting for, and a cancelled Create's model.

A model being created can be neither stopped nor deleted. The rollback of a failed replacement (an Update sending the
old properties to the old model) and the Delete of a cancelled Create find such a model by its properties tag and
delete it once it leaves Creating.
"""

from __future__ import annotations

import copy

from bedrock_customization_provider import contract, naming
from bedrock_customization_provider.lifecycle import api_members
from botocore.stub import ANY

NEW_SOURCE = {"s3DataSource": {"s3Uri": "s3://bedrock-managed-artifacts/nova-sm-job/model-v2/"}}


def model_summary() -> dict:
    """The members of a ListCustomModels summary that are not about the model's identity."""
    return {
        "creationTime": "2026-01-01T00:00Z",
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
        "baseModelName": "amazon.nova-micro-v1:0",
        "customizationType": "IMPORTED",
        "modelStatus": "Creating",
    }


def digest_tag(properties: dict) -> dict:
    digest = naming.properties_digest(api_members(properties), contract.MODEL_TAG_MEMBERS)
    return {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": digest}


def rollback_of_a_failed_replacement(harness, *, retain: bool = False) -> tuple[dict, str]:
    """GIVEN a replacing Update (new source) that gave up while its new model was Creating; CloudFormation rolls back:
    the original properties to the original model, the failed ones as OldResourceProperties."""
    original = harness.event("model_update")["ResourceProperties"]
    failed = {**copy.deepcopy(original), "modelSourceConfig": NEW_SOURCE}
    event = harness.event(
        "model_update",
        RequestId="0a9b8c7d-6666-4c3d-8e4f-5a6b7c8d9e07",
        ResourceProperties=original,
        OldResourceProperties=failed,
    )
    if retain:
        event["ResourceProperties"]["RemovalPolicy"] = "Retain"
    ids = (event["StackId"], event["LogicalResourceId"], "the-failed-update-request")
    abandoned_name = naming.generated_name(*ids, "model")
    # the model at the physical id was made from the original properties: kept in place
    harness.bedrock.add_response(
        "list_tags_for_resource",
        {"tags": [*original["modelTags"], digest_tag(original)]},
        {"resourceARN": harness.IMPORTED_MODEL_ARN},
    )
    if retain:  # a retained resource keeps an abandoned replacement too: nothing to look for
        harness.bedrock.add_response(
            "get_custom_model", harness.model_description("Active"), {"modelIdentifier": harness.IMPORTED_MODEL_ARN}
        )
        return event, abandoned_name
    # this resource's recent models: the original and the abandoned replacement
    summary = model_summary()
    harness.bedrock.add_response(
        "list_custom_models",
        {
            "modelSummaries": [
                {**summary, "modelArn": harness.IMPORTED_MODEL_ARN, "modelName": "demo-stack-NovaModelE5F6A7B8-0123"},
                {**summary, "modelArn": harness.NEW_IMPORTED_MODEL_ARN, "modelName": abandoned_name},
            ]
        },
        {"nameContains": "demo-stack-NovaModelE5F6A7B8", "creationTimeAfter": ANY, "maxResults": 100},
    )
    harness.bedrock.add_response(
        "list_tags_for_resource",
        {"tags": [*failed["modelTags"], digest_tag(failed)]},
        {"resourceARN": harness.NEW_IMPORTED_MODEL_ARN},
    )
    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Active"), {"modelIdentifier": harness.IMPORTED_MODEL_ARN}
    )
    return event, abandoned_name


def new_model_is(harness, status: str) -> None:
    harness.bedrock.add_response(
        "get_custom_model",
        harness.model_description(status, arn=harness.NEW_IMPORTED_MODEL_ARN),
        {"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN},
    )


def test_the_rollback_of_a_failed_replacement_deletes_the_abandoned_model_once_created(harness):
    event, _name = rollback_of_a_failed_replacement(harness)
    new_model_is(harness, "Creating")
    harness.expect_poll_setup()
    # WHEN the rollback arrives THEN it keeps the original model and waits: the replacement cannot be deleted yet
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    assert poll["CrHelperData"]["Memo"] == {"AbandonedModels": [harness.NEW_IMPORTED_MODEL_ARN]}
    assert "DeleteCustomModel" not in harness.calls and "CreateCustomModel" not in harness.calls

    # WHEN a poll finds it still Creating THEN it keeps waiting
    new_model_is(harness, "Creating")
    assert harness.invoke(poll) is None

    # WHEN a poll finds it Active THEN it is deleted and the rollback succeeds with the original model
    new_model_is(harness, "Active")
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN})
    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Active"), {"modelIdentifier": harness.IMPORTED_MODEL_ARN}
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert body["Data"][contract.ATTR_MODEL_ARN] == harness.IMPORTED_MODEL_ARN
    assert harness.calls["DeleteCustomModel"] == [{"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN}]
    assert len(harness.calls["ListCustomModels"]) == 1  # polls check the ARN in the memo, they do not search


def test_the_rollback_deletes_an_abandoned_model_that_already_failed_at_once(harness):
    event, _name = rollback_of_a_failed_replacement(harness)
    new_model_is(harness, "Failed")
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN})
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert "PutRule" not in harness.calls


def test_a_rollback_with_retain_keeps_the_abandoned_model(harness):
    event, _name = rollback_of_a_failed_replacement(harness, retain=True)
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert "DeleteCustomModel" not in harness.calls and "ListCustomModels" not in harness.calls
    assert harness.calls["GetCustomModel"] == [{"modelIdentifier": harness.IMPORTED_MODEL_ARN}]


def test_a_rollback_that_runs_out_of_time_says_which_models_are_left_to_delete(harness, monkeypatch):
    event, _name = rollback_of_a_failed_replacement(harness)
    new_model_is(harness, "Creating")
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    # WHEN the next poll comes after CloudFormation's wait limit
    poll = harness.aged(poll, int(event["ResourceProperties"]["ServiceTimeout"]))
    new_model_is(harness, "Creating")
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    # THEN FAILED (the rollback can be continued), naming the model still to delete; nothing was deleted
    assert body["Status"] == "FAILED", body
    model_id = harness.NEW_IMPORTED_MODEL_ARN.rsplit("/", 1)[-1]
    assert body["Reason"].startswith(f"Abandoned custom models still Creating ({model_id}): continue the rollback")
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert "DeleteCustomModel" not in harness.calls


def cancelled_create_delete(harness) -> tuple[dict, str]:
    """GIVEN CloudFormation cancelled our model Create (a sibling failed) and deletes it under a made-up id."""
    create = harness.event("model_create")
    event = harness.event(
        "model_delete",
        PhysicalResourceId="demo-stack-NovaModelE5F6A7B8-1XG3K9ZQ2P7M",
        ResourceProperties=create["ResourceProperties"],
    )
    ids = (create["StackId"], create["LogicalResourceId"], create["RequestId"])
    name = naming.generated_name(*ids, "model")
    summary = model_summary()
    harness.bedrock.add_response(
        "list_custom_models",
        {"modelSummaries": [{**summary, "modelArn": harness.NEW_IMPORTED_MODEL_ARN, "modelName": name}]},
        {"nameContains": "demo-stack-NovaModelE5F6A7B8", "creationTimeAfter": ANY, "maxResults": 100},
    )
    return event, name


def test_the_delete_of_a_cancelled_create_deletes_the_model_it_started_once_created(harness):
    event, _name = cancelled_create_delete(harness)
    harness.bedrock.add_response(
        "list_tags_for_resource",
        {"tags": [digest_tag(event["ResourceProperties"])]},
        {"resourceARN": harness.NEW_IMPORTED_MODEL_ARN},
    )
    new_model_is(harness, "Creating")
    harness.expect_poll_setup()
    assert harness.invoke(event) is None

    new_model_is(harness, "Active")
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert harness.calls["DeleteCustomModel"] == [{"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN}]


def test_the_delete_of_a_cancelled_create_leaves_models_of_other_properties_alone(harness):
    event, _name = cancelled_create_delete(harness)
    other = {**event["ResourceProperties"], "modelSourceConfig": NEW_SOURCE}
    harness.bedrock.add_response(
        "list_tags_for_resource", {"tags": [digest_tag(other)]}, {"resourceARN": harness.NEW_IMPORTED_MODEL_ARN}
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert "DeleteCustomModel" not in harness.calls and "GetCustomModel" not in harness.calls
