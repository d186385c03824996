"""Polling that cannot be set up after the resource started: the resource is given up, never left without an owner."""

from __future__ import annotations

from bedrock_customization_provider import contract, naming
from bedrock_customization_provider.lifecycle import api_members

DENIED = "User is not authorized to perform: events:PutTargets"


def replacing_update(harness) -> dict:
    """GIVEN an Update that replaces the job (a hyperparameter changed), the old job made from the old properties."""
    event = harness.event("job_update")
    event["ResourceProperties"]["customModelName"] = "demo-custom-model-v2"
    event["ResourceProperties"]["hyperParameters"] = {
        **event["ResourceProperties"]["hyperParameters"],
        "epochCount": "5",
    }
    ids = (event["StackId"], event["LogicalResourceId"], "the-original-create-request")
    old = naming.properties_digest(api_members(event["OldResourceProperties"]), contract.JOB_TAG_MEMBERS)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", clientRequestToken=naming.client_request_token(*ids, "job", old)),
        {"jobIdentifier": harness.JOB_ARN},
    )
    return event


def targets_refused(harness) -> None:
    """PutRule and AddPermission work, PutTargets is refused; what was set up is removed again."""
    harness.events.add_response("put_rule", {"RuleArn": "arn:aws:events:us-east-1:123456789012:rule/r"})
    harness.lambda_.add_response("add_permission", {"Statement": "{}"})
    harness.events.add_client_error("put_targets", "AccessDeniedException", DENIED, http_status_code=400)
    harness.expect_poll_teardown()


def test_replacement_whose_polls_cannot_be_set_up_stops_the_new_job_and_keeps_the_old_id(harness):
    event = replacing_update(harness)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.NEW_JOB_ARN})
    targets_refused(harness)
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.NEW_JOB_ARN})

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith(f"{DENIED} (AccessDeniedException from PutTargets)")
    assert "Stopped the job" in body["Reason"]
    assert body["PhysicalResourceId"] == harness.JOB_ARN  # CloudFormation keeps the old job; the new one is stopped
    assert len(body["Reason"]) <= 256


def test_create_whose_polls_cannot_be_set_up_stops_the_job_and_keeps_its_arn_for_the_delete(harness):
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    targets_refused(harness)
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})

    body = harness.invoke(harness.event("job_create"))

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith(f"{DENIED} (AccessDeniedException from PutTargets)")
    assert body["PhysicalResourceId"] == harness.JOB_ARN  # the Delete that follows waits for Stopped
    assert body["Data"] == {}


def test_create_whose_poll_rule_is_refused_stops_the_job(harness):
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.events.add_client_error("put_rule", "AccessDeniedException", "Not authorized: events:PutRule", 400)
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})

    body = harness.invoke(harness.event("job_create"))

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("Not authorized: events:PutRule (AccessDeniedException from PutRule)")
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert "RemoveTargets" not in harness.calls and "DeleteRule" not in harness.calls  # nothing was set up


def model_replacement_without_polls(harness, new_status: str) -> dict:
    """GIVEN a replacing model Update whose polls cannot be set up; the new model is ``new_status`` by then."""
    event = harness.event("model_update")
    event["ResourceProperties"]["modelSourceConfig"] = {"s3DataSource": {"s3Uri": "s3://demo-bucket/model-v2/"}}
    harness.bedrock.add_response("list_tags_for_resource", {"tags": []})  # not made from the new properties
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    targets_refused(harness)
    harness.bedrock.add_response(
        "get_custom_model",
        harness.model_description(new_status, arn=harness.NEW_IMPORTED_MODEL_ARN),
        {"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN},
    )
    return event


def test_model_replacement_whose_polls_cannot_be_set_up_leaves_a_creating_model_to_the_rollback(harness):
    event = model_replacement_without_polls(harness, "Creating")

    body = harness.invoke(event)

    # THEN FAILED with the old id; a Creating model cannot be deleted (no DeleteCustomModel), the rollback deletes it
    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith(f"{DENIED} (AccessDeniedException from PutTargets)")
    assert body["Reason"].endswith("The rollback deletes it when created.")
    assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert "DeleteCustomModel" not in harness.calls


def test_model_replacement_whose_polls_cannot_be_set_up_deletes_a_new_model_that_can_be(harness):
    event = model_replacement_without_polls(harness, "Failed")
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN})

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert "The rollback deletes" not in body["Reason"]
    assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert harness.calls["DeleteCustomModel"] == [{"modelIdentifier": harness.NEW_IMPORTED_MODEL_ARN}]


def test_delete_whose_polls_cannot_be_set_up_fails_saying_to_retry(harness):
    # GIVEN a Delete that stopped the running job and must wait for Stopped, but cannot schedule its polls
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    targets_refused(harness)

    body = harness.invoke(harness.event("job_delete"))

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith(f"{DENIED} (AccessDeniedException from PutTargets) Deletion not finished")
    assert "Retry the deletion later." in body["Reason"]
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_a_poll_event_too_large_for_eventbridge_is_refused_before_anything_starts(harness):
    # GIVEN a response URL so long that the poll event could not be an EventBridge target input
    event = harness.event("job_create")
    event["ResponseURL"] += "&padding=" + "x" * 9000

    body = harness.invoke(event)

    # THEN FAILED at once, naming the limit; no job was started, no rule or permission created
    assert body["Status"] == "FAILED", body
    assert "over EventBridge's 8192" in body["Reason"] and "nothing was started" in body["Reason"]
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    assert not harness.calls
