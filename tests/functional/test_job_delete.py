"""Delete of ``Custom::BedrockModelCustomizationJob``: stop, wait, delete the model unless retained."""

from __future__ import annotations

from bedrock_customization_provider import contract


def test_delete_running_job_stops_waits_for_stopped_and_deletes_the_model(harness):
    event = harness.event("job_delete")
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()

    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Stopping"))
    assert harness.invoke(poll) is None

    # the job completed in the race with the stop: its model exists and is deleted (Destroy)
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.MODEL_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_delete_of_stopped_job_without_model_answers_at_once(harness):
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Stopped"))
    body = harness.invoke(harness.event("job_delete"))
    assert body["Status"] == "SUCCESS"
    assert "DeleteCustomModel" not in harness.calls


def test_delete_completed_job_deletes_its_model(harness):
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.MODEL_ARN})
    assert harness.invoke(harness.event("job_delete"))["Status"] == "SUCCESS"


def test_delete_with_retain_keeps_the_model(harness):
    event = harness.event("job_delete")
    event["ResourceProperties"]["RemovalPolicy"] = "Retain"
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    assert harness.invoke(event)["Status"] == "SUCCESS"
    assert "DeleteCustomModel" not in harness.calls


def test_delete_with_retain_still_stops_a_running_job(harness):
    event = harness.event("job_delete")
    event["ResourceProperties"]["RemovalPolicy"] = "Retain"
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    assert poll["ResourceProperties"]["RemovalPolicy"] == "Retain"
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.expect_poll_teardown()
    assert harness.invoke(poll)["Status"] == "SUCCESS"
    assert "DeleteCustomModel" not in harness.calls


def test_delete_of_a_job_that_is_gone_succeeds(harness):
    harness.bedrock.add_client_error(
        "get_model_customization_job", "ResourceNotFoundException", "Job not found", http_status_code=404
    )
    assert harness.invoke(harness.event("job_delete"))["Status"] == "SUCCESS"


def test_model_already_deleted_counts_as_deleted(harness):
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.bedrock.add_client_error("delete_custom_model", "ResourceNotFoundException", "gone", 404)
    assert harness.invoke(harness.event("job_delete"))["Status"] == "SUCCESS"


def test_delete_after_failed_create_calls_nothing(harness):
    # GIVEN the sentinel physical id of a failed Create; no responses queued: any AWS call fails the test
    event = harness.event("job_delete", PhysicalResourceId=contract.FAILED_CREATE_PHYSICAL_ID)
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    assert harness.calls == {}


def test_model_in_use_fails_delete_saying_what_holds_it_and_what_to_do(harness):
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.bedrock.add_client_error(
        "delete_custom_model", "ConflictException", "Model is in use by a provisioned throughput.", 409
    )
    body = harness.invoke(harness.event("job_delete"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Cannot delete the custom model: a provisioned throughput or custom model deployment still uses it."
    )
    assert "RemovalPolicy to Retain" in body["Reason"]
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_delete_after_timed_out_create_waits_for_the_stop(harness):
    # GIVEN the Create timed out and stopped the job (its ARN kept as physical id); the job is still Stopping
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Stopping"))
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("job_delete")) is None
    assert "StopModelCustomizationJob" not in harness.calls


def test_delete_still_stopping_at_the_wait_limit_fails_saying_to_retry(harness):
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {})
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("job_delete")) is None
    poll = harness.poll_event()
    poll["CrHelperData"]["StartedAt"] -= 3600
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Stopping"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Deletion not finished (job still stopping): CloudFormation's custom-resource")
    assert body["PhysicalResourceId"] == harness.JOB_ARN
