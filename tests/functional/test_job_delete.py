"""Delete of ``Custom::BedrockModelCustomizationJob``: stop, wait, delete the model unless retained."""

from __future__ import annotations

from bedrock_customization_provider import contract, naming
from bedrock_customization_provider.lifecycle import api_members
from botocore.stub import ANY

POLL_SETUP_AND_TEARDOWN = {
    "PutRule": 1,
    "AddPermission": 1,
    "Encrypt": 1,  # the response URL, sealed in the poll input
    "PutTargets": 1,
    "RemoveTargets": 1,
    "RemovePermission": 1,
    "DeleteRule": 1,
}


def stop_and_wait_while_stopping(harness) -> dict:
    """GIVEN a Delete that found the job running and stopped it, and a first poll that found it Stopping; returns
    the event of the next poll."""
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("job_delete")) is None
    poll = harness.poll_event()
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Stopping"), {"jobIdentifier": harness.JOB_ARN}
    )
    assert harness.invoke(poll) is None
    return poll


def calls_made(harness) -> dict[str, int]:
    return {name: len(calls) for name, calls in harness.calls.items()}


def test_delete_running_job_stops_waits_for_stopped_and_deletes_the_model(harness):
    # GIVEN the running job was asked to stop and the first poll found it Stopping
    poll = stop_and_wait_while_stopping(harness)
    # WHEN the next poll finds it Stopped, with an output model (outputModelArn is optional: see the next test)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Stopped", outputModelArn=harness.MODEL_ARN),
        {"jobIdentifier": harness.JOB_ARN},
    )
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.MODEL_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    # THEN the model is deleted (RemovalPolicy Destroy) and the Delete succeeds under the job's ARN
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert calls_made(harness) == {
        "GetModelCustomizationJob": 3,
        "StopModelCustomizationJob": 1,
        "DeleteCustomModel": 1,
        "Decrypt": 2,  # one per poll
        **POLL_SETUP_AND_TEARDOWN,
    }


def test_delete_running_job_stops_waits_for_stopped_and_deletes_no_model_when_it_made_none(harness):
    # GIVEN the running job was asked to stop and the first poll found it Stopping
    poll = stop_and_wait_while_stopping(harness)
    # WHEN the next poll finds it Stopped without an output model (a stopped job usually has none)
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Stopped"), {"jobIdentifier": harness.JOB_ARN}
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    # THEN the Delete succeeds: the job was stopped once and there is no model to delete
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert calls_made(harness) == {"GetModelCustomizationJob": 3, "StopModelCustomizationJob": 1, "Decrypt": 2,
                                   **POLL_SETUP_AND_TEARDOWN}  # fmt: skip


def test_delete_of_a_job_that_completes_despite_the_stop_deletes_its_model(harness):
    # GIVEN the running job was asked to stop and the first poll found it Stopping
    poll = stop_and_wait_while_stopping(harness)
    # WHEN the next poll finds it Completed (it won the race with the stop): its model exists
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.MODEL_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    # THEN it is deleted (RemovalPolicy Destroy) and the Delete succeeds
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert len(harness.calls["DeleteCustomModel"]) == 1


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


THROUGHPUT_ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6"


def model_in_use(harness) -> None:
    """GIVEN a completed job whose custom model Bedrock refuses to delete: something still uses it."""
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )
    harness.bedrock.add_client_error(
        "delete_custom_model", "ConflictException", "Model is in use by a provisioned throughput.", 409
    )


def test_model_in_use_fails_delete_naming_what_holds_it_and_what_to_do(harness):
    model_in_use(harness)
    summary = {
        "provisionedModelName": "support-bot",
        "provisionedModelArn": THROUGHPUT_ARN,
        "modelArn": harness.MODEL_ARN,
        "desiredModelArn": harness.MODEL_ARN,
        "foundationModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k",
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "status": "InService",
        "creationTime": "2026-01-01T00:00Z",
        "lastModifiedTime": "2026-01-01T00:00Z",
    }
    harness.bedrock.add_response(
        "list_provisioned_model_throughputs",
        {"provisionedModelSummaries": [summary]},
        {"modelArnEquals": harness.MODEL_ARN, "maxResults": 10},
    )
    harness.bedrock.add_response(
        "list_custom_model_deployments",
        {"modelDeploymentSummaries": []},
        {"modelArnEquals": harness.MODEL_ARN, "maxResults": 10},
    )
    body = harness.invoke(harness.event("job_delete"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        f"Cannot delete the custom model: provisioned throughput {THROUGHPUT_ARN} still uses it. Delete that first"
    )
    assert "RemovalPolicy to Retain" in body["Reason"]
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_model_in_use_by_what_the_provider_cannot_list_still_says_what_to_do(harness):
    model_in_use(harness)
    harness.bedrock.add_client_error("list_provisioned_model_throughputs", "AccessDeniedException", "denied", 403)
    body = harness.invoke(harness.event("job_delete"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Cannot delete the custom model: a provisioned throughput or custom model deployment still uses it."
    )
    assert "Bedrock: Model is in use by a provisioned throughput." in body["Reason"]


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
    poll = harness.aged(poll, 3600)
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Stopping"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Deletion not finished: CloudFormation's custom-resource")
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def cancelled_create_delete(harness) -> tuple[dict, str, str]:
    """GIVEN CloudFormation cancelled our Create (a sibling failed) and deletes it under a made-up physical id."""
    create = harness.event("job_create")
    event = harness.event(
        "job_delete",
        PhysicalResourceId="demo-stack-FineTuneJob1A2B3C4D-1XG3K9ZQ2P7M",
        ResourceProperties=create["ResourceProperties"],
    )
    ids = (create["StackId"], create["LogicalResourceId"], create["RequestId"])
    digest = naming.properties_digest(api_members(create["ResourceProperties"]), contract.JOB_TAG_MEMBERS)
    return event, naming.generated_name(*ids, "job"), naming.client_request_token(*ids, "job", digest)


def test_delete_of_a_cancelled_create_stops_the_job_it_started(harness):
    event, name, token = cancelled_create_delete(harness)
    other = "demo-stack-FineTuneJob1A2B3C4D-extra-suffix"  # contains the prefix, but not a name we generate
    summary = {"baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/x.y", "creationTime": "2026-01-01T00:00Z"}
    harness.bedrock.add_response(
        "list_model_customization_jobs",
        {
            "modelCustomizationJobSummaries": [
                {**summary, "jobArn": harness.JOB_ARN, "jobName": name, "status": "InProgress"},
                {**summary, "jobArn": harness.NEW_JOB_ARN, "jobName": other, "status": "InProgress"},
            ]
        },
        {"nameContains": "demo-stack-FineTuneJob1A2B3C4D", "creationTimeAfter": ANY, "maxResults": 100},
    )
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("InProgress", jobName=name, clientRequestToken=token),
        {"jobIdentifier": harness.JOB_ARN},
    )
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    assert set(poll["ResourceProperties"]) <= contract.PROVIDER_KEYS  # the poll has no properties to search by

    # WHEN the first poll finds the stopped job still Stopping THEN no answer yet: the Delete keeps waiting
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Stopping", jobName=name, clientRequestToken=token),
        {"jobIdentifier": harness.JOB_ARN},
    )
    assert harness.invoke(poll) is None

    # WHEN the next poll finds it Stopped THEN the delete succeeds, and no model was touched
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Stopped", jobName=name, clientRequestToken=token),
        {"jobIdentifier": harness.JOB_ARN},
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert "DeleteCustomModel" not in harness.calls
    assert len(harness.calls["ListModelCustomizationJobs"]) == 1  # polls check the stopped job, they do not search


def test_delete_of_a_cancelled_create_leaves_jobs_of_other_properties_alone(harness):
    event, name, _token = cancelled_create_delete(harness)
    harness.bedrock.add_response(
        "list_model_customization_jobs",
        {
            "modelCustomizationJobSummaries": [
                {
                    "jobArn": harness.JOB_ARN,
                    "jobName": name,
                    "status": "InProgress",
                    "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/x.y",
                    "creationTime": "2026-01-01T00:00Z",
                }
            ]
        },
    )
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("InProgress", jobName=name, clientRequestToken="cfn-" + "0" * 16 + "-" + "1" * 40),
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert "StopModelCustomizationJob" not in harness.calls


def test_delete_of_a_cancelled_create_with_a_fixed_name_finds_the_job_by_name_and_waits_for_it(harness):
    event, _name, _token = cancelled_create_delete(harness)
    event["ResourceProperties"]["jobName"] = "my-fixed-job"
    create = harness.event("job_create")
    create["ResourceProperties"]["jobName"] = "my-fixed-job"
    ids = (create["StackId"], create["LogicalResourceId"], create["RequestId"])
    digest = naming.properties_digest(api_members(create["ResourceProperties"]), contract.JOB_TAG_MEMBERS)
    token = naming.client_request_token(*ids, "job", digest)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Stopping", jobName="my-fixed-job", clientRequestToken=token),
        {"jobIdentifier": "my-fixed-job"},
    )
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    assert "jobName" not in poll["ResourceProperties"]

    # WHEN a poll finds the job still Stopping THEN still waiting; WHEN Stopped THEN SUCCESS
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Stopping", jobName="my-fixed-job", clientRequestToken=token),
        {"jobIdentifier": harness.JOB_ARN},
    )
    assert harness.invoke(poll) is None
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Stopped", jobName="my-fixed-job", clientRequestToken=token),
        {"jobIdentifier": harness.JOB_ARN},
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert "StopModelCustomizationJob" not in harness.calls  # already stopping: asked once is enough
