"""``Custom::BedrockModelImportJob`` (CreateModelImportJob) through the real crhelper flow."""

from __future__ import annotations

import datetime

from bedrock_customization_provider import contract, naming

ACCOUNT = "123456789012"
JOB_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-import-job/abcdef123456"
MODEL_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:imported-model/0a1b2c3d4e5f"
IN_PLACE = contract.MODEL_IMPORT_TAG_MEMBERS


def provider_tag(event: dict, properties: dict | None = None, logical_id: str | None = None) -> dict:
    props = {k: v for k, v in (properties or event["ResourceProperties"]).items() if k not in contract.PROVIDER_KEYS}
    owner = naming.owner_digest(event["StackId"], logical_id or event["LogicalResourceId"])
    return {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": f"{naming.properties_digest(props, IN_PLACE)}-{owner}"}


def description(status: str = "Completed", **extra) -> dict:
    answer = {
        "jobArn": JOB_ARN,
        "jobName": "demo-stack-LlamaImport8C9D0E1F-0123456789ab",
        "importedModelName": "demo-stack-LlamaImport8C9D0E1F-ba9876543210",
        "status": status,
        "creationTime": datetime.datetime.now(datetime.UTC).replace(microsecond=0),
    }
    if status == "Completed":
        answer["importedModelArn"] = MODEL_ARN
    answer.update(extra)
    return answer


def later(event: dict, request_type: str, **changes) -> dict:
    old = event["ResourceProperties"]
    result = {
        **event,
        "RequestType": request_type,
        "PhysicalResourceId": JOB_ARN,
        "ResourceProperties": {**old, **changes},
    }
    result["RequestId"] = "9a8b7c6d-1111-4a1b-8c2d-00000000000" + ("5" if request_type == "Update" else "6")
    if request_type == "Update":
        result["OldResourceProperties"] = old
    return result


def expect_tags(harness, event: dict, arn: str, **provider_tag_args) -> None:
    tags = [{"key": "team", "value": "ml"}, provider_tag(event, **provider_tag_args)]
    harness.bedrock.add_response("list_tags_for_resource", {"tags": tags}, {"resourceARN": arn})


def test_create_polls_until_completed_with_the_imported_model_in_the_attributes(harness):
    event = harness.event("model_import_create")
    harness.bedrock.add_response("create_model_import_job", {"jobArn": JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    sent = harness.calls["CreateModelImportJob"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["jobName"] == naming.generated_name(*ids, "import-job")
    assert sent["importedModelName"] == naming.generated_name(*ids, "imported-model")
    digest = naming.properties_digest(
        {k: v for k, v in event["ResourceProperties"].items() if k not in contract.PROVIDER_KEYS}, IN_PLACE
    )
    assert sent["clientRequestToken"] == naming.client_request_token(*ids, "model-import", digest)
    assert sent["jobTags"] == sent["importedModelTags"] == [{"key": "team", "value": "ml"}, provider_tag(event)]
    poll = harness.poll_event()

    harness.bedrock.add_response("get_model_import_job", description("InProgress"), {"jobIdentifier": JOB_ARN})
    assert harness.invoke(poll) is None
    harness.bedrock.add_response("get_model_import_job", description("Completed"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["Data"] == {
        contract.ATTR_JOB_ARN: JOB_ARN,
        contract.ATTR_JOB_NAME: "demo-stack-LlamaImport8C9D0E1F-0123456789ab",
        contract.ATTR_IMPORTED_MODEL_ARN: MODEL_ARN,
        contract.ATTR_IMPORTED_MODEL_NAME: "demo-stack-LlamaImport8C9D0E1F-ba9876543210",
        contract.ATTR_STATUS: "Completed",
    }


def test_failed_import_fails_with_bedrock_message_first(harness):
    harness.bedrock.add_response("create_model_import_job", {"jobArn": JOB_ARN})
    harness.expect_poll_setup()
    harness.invoke(harness.event("model_import_create"))
    harness.bedrock.add_response("get_model_import_job", description("Failed", failureMessage="config.json missing."))
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("config.json missing.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_tag_update_in_place_on_the_job_and_its_model(harness):
    event = later(harness.event("model_import_create"), "Update", importedModelTags=[{"key": "env", "value": "prod"}])
    harness.bedrock.add_response("get_model_import_job", description())
    expect_tags(harness, event, JOB_ARN, properties=event["OldResourceProperties"])
    expect_tags(harness, event, MODEL_ARN, properties=event["OldResourceProperties"])
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": MODEL_ARN, "tagKeys": ["team"]})
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": MODEL_ARN, "tags": [{"key": "env", "value": "prod"}]}
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == JOB_ARN
    assert "CreateModelImportJob" not in harness.calls


def test_source_change_imports_anew(harness):
    event = later(
        harness.event("model_import_create"),
        "Update",
        modelDataSource={"s3DataSource": {"s3Uri": "s3://model-bucket/llama-3-8b-v2/"}},
    )
    harness.bedrock.add_response("get_model_import_job", description())
    expect_tags(harness, event, JOB_ARN, properties=event["OldResourceProperties"])
    harness.bedrock.add_response("create_model_import_job", {"jobArn": JOB_ARN.replace("abcdef", "fedcba")})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None


def test_delete_waits_for_a_running_import_then_deletes_its_model(harness):
    event = later(harness.event("model_import_create"), "Delete")
    harness.bedrock.add_response("get_model_import_job", description("InProgress"))
    expect_tags(harness, event, JOB_ARN)
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    harness.bedrock.add_response("get_model_import_job", description("Completed"))
    expect_tags(harness, event, JOB_ARN)
    expect_tags(harness, event, MODEL_ARN)
    harness.bedrock.add_response("delete_imported_model", {}, {"modelIdentifier": MODEL_ARN})
    harness.expect_poll_teardown()
    assert harness.invoke(harness.poll_event())["Status"] == "SUCCESS"


def test_delete_with_retain_keeps_the_model(harness):
    event = later(harness.event("model_import_create"), "Delete")
    event["ResourceProperties"][contract.REMOVAL_POLICY] = contract.REMOVAL_POLICY_RETAIN
    assert harness.invoke(event)["Status"] == "SUCCESS"
    assert harness.calls == {}


def test_delete_of_a_missing_job_succeeds(harness):
    event = later(harness.event("model_import_create"), "Delete")
    harness.bedrock.add_client_error("get_model_import_job", "ResourceNotFoundException", "Not found.", 404)
    assert harness.invoke(event)["Status"] == "SUCCESS"


def test_delete_refuses_a_model_another_resource_imported(harness):
    event = later(harness.event("model_import_create"), "Delete")
    harness.bedrock.add_response("get_model_import_job", description())
    expect_tags(harness, event, JOB_ARN, logical_id="Other")
    body = harness.invoke(event)
    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused: model import job")
    assert "DeleteImportedModel" not in harness.calls
