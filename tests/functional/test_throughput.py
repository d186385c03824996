"""``Custom::BedrockProvisionedThroughput`` (CreateProvisionedModelThroughput) through the real crhelper flow."""

from __future__ import annotations

import datetime

from bedrock_customization_provider import contract, naming

ACCOUNT = "123456789012"
PT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/abcdef123456"
MODEL = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/0a1b2c3d4e5f"
OTHER_MODEL = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/9f8e7d6c5b4a"
FOUNDATION = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
IN_PLACE = contract.THROUGHPUT_IN_PLACE_MEMBERS
NAME = "demo-stack-ServingThroughput4E5F6A7B-0123456789ab"


def provider_tag(event: dict, properties: dict | None = None, logical_id: str | None = None) -> dict:
    props = {k: v for k, v in (properties or event["ResourceProperties"]).items() if k not in contract.PROVIDER_KEYS}
    owner = naming.owner_digest(event["StackId"], logical_id or event["LogicalResourceId"])
    return {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": f"{naming.properties_digest(props, IN_PLACE)}-{owner}"}


def description(status: str = "InService", **extra) -> dict:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    answer = {
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "provisionedModelName": NAME,
        "provisionedModelArn": PT_ARN,
        "modelArn": MODEL,
        "desiredModelArn": MODEL,
        "foundationModelArn": FOUNDATION,
        "status": status,
        "creationTime": now,
        "lastModifiedTime": now,
    }
    answer.update(extra)
    return answer


def later(event: dict, request_type: str, **changes) -> dict:
    old = event["ResourceProperties"]
    result = {
        **event,
        "RequestType": request_type,
        "PhysicalResourceId": PT_ARN,
        "ResourceProperties": {**old, **changes},
    }
    result["RequestId"] = "9a8b7c6d-1111-4a1b-8c2d-00000000000" + ("3" if request_type == "Update" else "4")
    if request_type == "Update":
        result["OldResourceProperties"] = old
    return result


def expect_tags(harness, event: dict, **provider_tag_args) -> None:
    tags = [{"key": "team", "value": "ml"}, provider_tag(event, **provider_tag_args)]
    harness.bedrock.add_response("list_tags_for_resource", {"tags": tags}, {"resourceARN": PT_ARN})


def test_create_polls_until_in_service_then_succeeds_with_attributes(harness):
    event = harness.event("throughput_create")
    harness.bedrock.add_response("create_provisioned_model_throughput", {"provisionedModelArn": PT_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    sent = harness.calls["CreateProvisionedModelThroughput"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["provisionedModelName"] == naming.generated_name(*ids, "throughput")
    assert sent["modelUnits"] == 1  # CloudFormation's string, typed from the shape
    assert sent["tags"] == [{"key": "team", "value": "ml"}, provider_tag(event)]
    poll = harness.poll_event()

    harness.bedrock.add_response("get_provisioned_model_throughput", description("Creating"))
    assert harness.invoke(poll) is None
    harness.bedrock.add_response("get_provisioned_model_throughput", description("InService"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["Data"] == {
        contract.ATTR_PROVISIONED_MODEL_ARN: PT_ARN,
        contract.ATTR_PROVISIONED_MODEL_NAME: NAME,
        contract.ATTR_MODEL_ARN: MODEL,
        contract.ATTR_MODEL_UNITS: "1",
        contract.ATTR_COMMITMENT_EXPIRATION_TIME: "",
        contract.ATTR_STATUS: "InService",
    }


def test_quota_refusal_fails_with_bedrock_message_first(harness):
    harness.bedrock.add_client_error(
        "create_provisioned_model_throughput", "ServiceQuotaExceededException", "Model units quota exceeded.", 400
    )
    body = harness.invoke(harness.event("throughput_create"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Model units quota exceeded.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_failed_throughput_fails_with_bedrock_message_first(harness):
    event = harness.event("throughput_create")
    harness.bedrock.add_response("create_provisioned_model_throughput", {"provisionedModelArn": PT_ARN})
    harness.expect_poll_setup()
    harness.invoke(event)
    harness.bedrock.add_response(
        "get_provisioned_model_throughput", description("Failed", failureMessage="Capacity unavailable.")
    )
    expect_tags(harness, event)
    harness.bedrock.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": PT_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Capacity unavailable.")


def test_model_and_name_change_in_place_and_wait_for_in_service(harness):
    event = later(harness.event("throughput_create"), "Update", modelId=OTHER_MODEL, provisionedModelName="pt-new")
    harness.bedrock.add_response("get_provisioned_model_throughput", description())
    expect_tags(harness, event, properties=event["OldResourceProperties"])
    harness.bedrock.add_response(
        "update_provisioned_model_throughput",
        {},
        {"provisionedModelId": PT_ARN, "desiredModelId": OTHER_MODEL, "desiredProvisionedModelName": "pt-new"},
    )
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    harness.bedrock.add_response(
        "get_provisioned_model_throughput", description("Updating", desiredModelArn=OTHER_MODEL)
    )
    assert harness.invoke(poll) is None
    harness.bedrock.add_response(
        "get_provisioned_model_throughput", description(modelArn=OTHER_MODEL, provisionedModelName="pt-new")
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == PT_ARN
    assert body["Data"][contract.ATTR_MODEL_ARN] == OTHER_MODEL


def test_model_change_bedrock_refuses_fails_with_its_message_and_the_rule(harness):
    event = later(harness.event("throughput_create"), "Update", modelId=FOUNDATION.replace("titan-text-express", "x"))
    harness.bedrock.add_response("get_provisioned_model_throughput", description())
    expect_tags(harness, event, properties=event["OldResourceProperties"])
    harness.bedrock.add_client_error(
        "update_provisioned_model_throughput", "ValidationException", "The model is not of the same base.", 400
    )
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("The model is not of the same base. (UpdateProvisionedModelThroughput")
    assert body["PhysicalResourceId"] == PT_ARN


def test_units_change_replaces_the_throughput(harness):
    event = later(harness.event("throughput_create"), "Update", modelUnits="2")
    harness.bedrock.add_response("get_provisioned_model_throughput", description())
    expect_tags(harness, event, properties=event["OldResourceProperties"])
    new_arn = PT_ARN.replace("abcdef123456", "fedcba654321")
    harness.bedrock.add_response("create_provisioned_model_throughput", {"provisionedModelArn": new_arn})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    assert harness.calls["CreateProvisionedModelThroughput"][0]["modelUnits"] == 2


def test_units_change_with_a_fixed_name_is_refused_before_anything_is_bought(harness):
    event = later(harness.event("throughput_create"), "Update", modelUnits="2")
    for props in (event["ResourceProperties"], event["OldResourceProperties"]):
        props["provisionedModelName"] = "fixed"
    harness.bedrock.add_response("get_provisioned_model_throughput", description())
    expect_tags(harness, event, properties=event["OldResourceProperties"])
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Cannot replace with the same provisionedModelName fixed")
    assert "CreateProvisionedModelThroughput" not in harness.calls


def test_delete_of_a_committed_throughput_fails_saying_why_and_what_to_do(harness):
    event = later(harness.event("throughput_create"), "Delete")
    expires = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(days=20)
    harness.bedrock.add_response(
        "get_provisioned_model_throughput",
        description(commitmentDuration="OneMonth", commitmentExpirationTime=expires),
    )
    expect_tags(harness, event)
    harness.bedrock.add_client_error(
        "delete_provisioned_model_throughput", "ValidationException", "Commitment term not over.", 400
    )
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Commitment term not over. (provisioned throughput")
    assert "RemovalPolicy to Retain" in body["Reason"]


def test_delete_deletes_and_not_found_is_success(harness):
    event = later(harness.event("throughput_create"), "Delete")
    harness.bedrock.add_response("get_provisioned_model_throughput", description())
    expect_tags(harness, event)
    harness.bedrock.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": PT_ARN})
    harness.bedrock.add_client_error("get_provisioned_model_throughput", "ResourceNotFoundException", "Gone.", 404)
    assert harness.invoke(event)["Status"] == "SUCCESS"


def test_delete_refuses_another_resources_throughput(harness):
    event = later(harness.event("throughput_create"), "Delete")
    harness.bedrock.add_response("get_provisioned_model_throughput", description())
    expect_tags(harness, event, logical_id="Other")
    body = harness.invoke(event)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused: provisioned throughput")
    assert "DeleteProvisionedModelThroughput" not in harness.calls
