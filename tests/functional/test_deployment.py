"""``Custom::BedrockCustomModelDeployment`` (CreateCustomModelDeployment) through the real crhelper flow."""

from __future__ import annotations

import datetime

from bedrock_customization_provider import contract, naming

ACCOUNT = "123456789012"
DEPLOYMENT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/abcdef123456"
NEW_DEPLOYMENT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/fedcba654321"
MODEL = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/0a1b2c3d4e5f"
OTHER_MODEL = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/9f8e7d6c5b4a"
IN_PLACE = contract.DEPLOYMENT_IN_PLACE_MEMBERS


def api_members(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if k not in contract.PROVIDER_KEYS}


def provider_tag(event: dict, properties: dict | None = None, logical_id: str | None = None) -> dict:
    """The provider's tag on a deployment made from ``properties`` (the event's) by the event's resource."""
    digest = naming.properties_digest(api_members(properties or event["ResourceProperties"]), IN_PLACE)
    owner = naming.owner_digest(event["StackId"], logical_id or event["LogicalResourceId"])
    return {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": f"{digest}-{owner}"}


def description(status: str = "Active", arn: str = DEPLOYMENT_ARN, **extra) -> dict:
    answer = {
        "customModelDeploymentArn": arn,
        "modelDeploymentName": "demo-stack-ServingDeployment0A1B2C3D-0123456789ab",
        "modelArn": MODEL,
        "createdAt": datetime.datetime.now(datetime.UTC).replace(microsecond=0),
        "status": status,
    }
    answer.update(extra)
    return answer


def later(event: dict, request_type: str, **changes) -> dict:
    """An Update or Delete of the resource ``event`` created, its properties changed by ``changes``."""
    old = event["ResourceProperties"]
    new = {**old, **changes}
    later_event = {**event, "RequestType": request_type, "PhysicalResourceId": DEPLOYMENT_ARN}
    later_event["ResourceProperties"] = new
    later_event["RequestId"] = "9a8b7c6d-1111-4a1b-8c2d-00000000000" + ("1" if request_type == "Update" else "2")
    if request_type == "Update":
        later_event["OldResourceProperties"] = old
    return later_event


def expect_tags(harness, event: dict, arn: str = DEPLOYMENT_ARN, **provider_tag_args) -> None:
    tags = [*event["ResourceProperties"].get("tags", []), provider_tag(event, **provider_tag_args)]
    harness.bedrock.add_response("list_tags_for_resource", {"tags": tags}, {"resourceARN": arn})


def started(harness, event: dict) -> dict:
    harness.bedrock.add_response("create_custom_model_deployment", {"customModelDeploymentArn": DEPLOYMENT_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    return harness.poll_event()


def test_create_polls_creating_until_active_then_succeeds_with_attributes(harness):
    event = harness.event("deployment_create")
    poll = started(harness, event)

    sent = harness.calls["CreateCustomModelDeployment"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["modelDeploymentName"] == naming.generated_name(*ids, "deployment")
    digest = naming.properties_digest(api_members(event["ResourceProperties"]), IN_PLACE)
    assert sent["clientRequestToken"] == naming.client_request_token(*ids, "deployment", digest)
    assert sent["tags"] == [{"key": "team", "value": "ml"}, provider_tag(event)]
    assert sent["modelArn"] == MODEL and sent["description"] == "Support bot"

    harness.bedrock.add_response(
        "get_custom_model_deployment", description("Creating"), {"customModelDeploymentIdentifier": DEPLOYMENT_ARN}
    )
    assert harness.invoke(poll) is None
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == DEPLOYMENT_ARN
    assert body["Data"] == {
        contract.ATTR_DEPLOYMENT_ARN: DEPLOYMENT_ARN,
        contract.ATTR_DEPLOYMENT_NAME: "demo-stack-ServingDeployment0A1B2C3D-0123456789ab",
        contract.ATTR_MODEL_ARN: MODEL,
        contract.ATTR_STATUS: "Active",
    }


def test_no_wait_answers_at_start_with_the_arn_and_name(harness):
    event = harness.event("deployment_create")
    event["ResourceProperties"][contract.WAIT_MODE] = contract.WAIT_MODE_NONE
    harness.bedrock.add_response("create_custom_model_deployment", {"customModelDeploymentArn": DEPLOYMENT_ARN})
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert set(body["Data"]) == set(contract.DEPLOYMENT_STARTED_ATTRIBUTES)


def test_failed_deployment_fails_with_bedrock_message_first_and_is_deleted(harness):
    event = harness.event("deployment_create")
    poll = started(harness, event)
    harness.bedrock.add_response(
        "get_custom_model_deployment", description("Failed", failureMessage="The model is not deployable on demand.")
    )
    expect_tags(harness, event)
    harness.bedrock.add_response(
        "delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT_ARN}
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("The model is not deployable on demand.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_invalid_properties_fail_at_once_and_call_nothing(harness):
    event = harness.event("deployment_create")
    event["ResourceProperties"]["modelArn"] = "arn:aws:bedrock:us-east-1:123456789012:foundation-model/x.y"
    event["ResourceProperties"]["tags"] = [{"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": "x"}]
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert "modelArn must match pattern" in body["Reason"]
    assert "is reserved for the provider" in body["Reason"]
    assert harness.calls == {}


def test_model_change_updates_in_place_and_waits_for_update_completed(harness):
    event = later(harness.event("deployment_create"), "Update", modelArn=OTHER_MODEL)
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, event, properties=event["OldResourceProperties"])
    harness.bedrock.add_response(
        "update_custom_model_deployment",
        {"customModelDeploymentArn": DEPLOYMENT_ARN},
        {"customModelDeploymentIdentifier": DEPLOYMENT_ARN, "modelArn": OTHER_MODEL},
    )
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()

    updating = {"modelArn": OTHER_MODEL, "updateStatus": "Updating"}
    harness.bedrock.add_response("get_custom_model_deployment", description("Active", updateDetails=updating))
    assert harness.invoke(poll) is None
    done = {"modelArn": OTHER_MODEL, "updateStatus": "UpdateCompleted"}
    harness.bedrock.add_response(
        "get_custom_model_deployment", description("Active", modelArn=OTHER_MODEL, updateDetails=done)
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == DEPLOYMENT_ARN
    assert body["Data"][contract.ATTR_MODEL_ARN] == OTHER_MODEL


def test_failed_in_place_update_fails_keeping_the_deployment(harness):
    event = later(harness.event("deployment_create"), "Update", modelArn=OTHER_MODEL)
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, event, properties=event["OldResourceProperties"])
    harness.bedrock.add_response("update_custom_model_deployment", {"customModelDeploymentArn": DEPLOYMENT_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    failed = {"modelArn": OTHER_MODEL, "updateStatus": "UpdateFailed"}
    harness.bedrock.add_response(
        "get_custom_model_deployment",
        description("Active", updateDetails=failed, failureMessage="Model architecture differs."),
    )
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Model architecture differs.")
    assert body["PhysicalResourceId"] == DEPLOYMENT_ARN


def test_tag_only_update_in_place(harness):
    event = later(harness.event("deployment_create"), "Update", tags=[{"key": "env", "value": "prod"}])
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, {**event, "ResourceProperties": event["OldResourceProperties"]})
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": DEPLOYMENT_ARN, "tagKeys": ["team"]})
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": DEPLOYMENT_ARN, "tags": [{"key": "env", "value": "prod"}]}
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == DEPLOYMENT_ARN
    assert "PutRule" not in harness.calls and "UpdateCustomModelDeployment" not in harness.calls


def test_description_change_replaces_the_deployment(harness):
    event = later(harness.event("deployment_create"), "Update", description="Support bot v2")
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, event, properties=event["OldResourceProperties"])  # made from the old properties
    harness.bedrock.add_response("create_custom_model_deployment", {"customModelDeploymentArn": NEW_DEPLOYMENT_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    harness.bedrock.add_response("get_custom_model_deployment", description("Active", arn=NEW_DEPLOYMENT_ARN))
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == NEW_DEPLOYMENT_ARN


def test_rollback_to_the_properties_it_was_made_from_keeps_it(harness):
    # GIVEN a replacing update failed; CloudFormation sends the old properties back with the old deployment's id
    event = later(harness.event("deployment_create"), "Update", description="Support bot v2")
    event["ResourceProperties"], event["OldResourceProperties"] = (
        event["OldResourceProperties"],
        event["ResourceProperties"],
    )
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, event)  # made from exactly the properties asked for
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == DEPLOYMENT_ARN
    assert "CreateCustomModelDeployment" not in harness.calls


def test_delete_deletes_and_waits_until_bedrock_forgets_it(harness):
    event = later(harness.event("deployment_create"), "Delete")
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, event)
    harness.bedrock.add_response(
        "delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT_ARN}
    )
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))  # still known a moment
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    harness.bedrock.add_client_error("get_custom_model_deployment", "ResourceNotFoundException", "Not found.", 404)
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "SUCCESS"
    assert len(harness.calls["DeleteCustomModelDeployment"]) == 1


def test_delete_of_missing_deployment_succeeds(harness):
    event = later(harness.event("deployment_create"), "Delete")
    harness.bedrock.add_client_error("get_custom_model_deployment", "ResourceNotFoundException", "Not found.", 404)
    assert harness.invoke(event)["Status"] == "SUCCESS"


def test_delete_refuses_a_deployment_another_resource_created(harness):
    event = later(harness.event("deployment_create"), "Delete")
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    expect_tags(harness, event, logical_id="SomeoneElse")
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Refused: custom model deployment")
    assert "DeleteCustomModelDeployment" not in harness.calls


def test_delete_with_retain_calls_nothing(harness):
    event = later(harness.event("deployment_create"), "Delete")
    event["ResourceProperties"][contract.REMOVAL_POLICY] = contract.REMOVAL_POLICY_RETAIN
    assert harness.invoke(event)["Status"] == "SUCCESS"
    assert harness.calls == {}


def test_the_long_waits_reader_reads_a_deployment(harness):
    # GIVEN the reader after a long wait names a deployment (the kind is registered for the long wait)
    event = harness.event("deployment_create")
    event["ResourceType"] = contract.RESULT_RESOURCE_TYPE
    event["LogicalResourceId"] = "ServingDeploymentResult"
    event["ResourceProperties"] = {
        "ServiceToken": event["ResourceProperties"]["ServiceToken"],
        contract.RESULT_RESOURCE_ARN: DEPLOYMENT_ARN,
    }
    harness.bedrock.add_response("get_custom_model_deployment", description("Active"))
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert body["Data"][contract.ATTR_DEPLOYMENT_ARN] == DEPLOYMENT_ARN
