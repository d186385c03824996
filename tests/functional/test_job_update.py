"""Update of ``Custom::BedrockModelCustomizationJob``: tags in place, anything else a replacement."""

from __future__ import annotations

from bedrock_customization_provider import contract, naming
from bedrock_customization_provider.lifecycle import api_members


def test_tag_only_update_tags_job_and_model_in_place_without_waiting(harness):
    # GIVEN only tags changed: a job tag changed and one added, a model tag removed and one added
    event = harness.event("job_update")
    props = event["ResourceProperties"]
    props["jobTags"] = [{"key": "team", "value": "ai"}, {"key": "env", "value": "prod"}]
    props["customModelTags"] = [{"key": "env", "value": "prod"}]
    job = harness.JOB_ARN
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", outputModelArn=harness.MODEL_ARN, trainingMetrics={"trainingLoss": 0.1}),
    )
    harness.bedrock.add_response(
        "tag_resource",
        {},
        {"resourceARN": job, "tags": [{"key": "team", "value": "ai"}, {"key": "env", "value": "prod"}]},
    )
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": harness.MODEL_ARN, "tagKeys": ["team"]})
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": harness.MODEL_ARN, "tags": [{"key": "env", "value": "prod"}]}
    )

    # WHEN the update arrives THEN it is answered at once (no poll rule: nothing queued on EventBridge)
    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == job
    assert body["Data"][contract.ATTR_CUSTOM_MODEL_ARN] == harness.MODEL_ARN
    assert body["Data"][contract.ATTR_TRAINING_LOSS] == "0.1"
    assert "PutRule" not in harness.calls


def test_tag_removal_on_a_job_still_running_untags_the_job_only(harness):
    event = harness.event("job_update")
    event["ResourceProperties"]["jobTags"] = []
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": harness.JOB_ARN, "tagKeys": ["team"]})
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["Data"][contract.ATTR_CUSTOM_MODEL_ARN] == ""


def test_provider_key_change_is_in_place_and_calls_no_tagging(harness):
    event = harness.event("job_update")
    event["ResourceProperties"]["RemovalPolicy"] = "Retain"
    event["ResourceProperties"]["ServiceTimeout"] = "1800"
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_bad_tag_in_update_fails_first_invocation_and_calls_nothing(harness):
    event = harness.event("job_update")
    event["ResourceProperties"]["jobTags"] = [{"key": "bad<key>", "value": "v"}]
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Invalid properties: jobTags[0].key must match pattern")
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_a_tag_update_beyond_bedrocks_limit_fails_first_invocation_and_calls_nothing(harness):
    event = harness.event("job_update")
    event["ResourceProperties"]["customModelTags"] = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Invalid properties: customModelTags must have at most 50 tags (got 51)")
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert harness.calls == {}


def replacing_update(harness) -> dict:
    event = harness.event("job_update")
    props = event["ResourceProperties"]
    props["hyperParameters"] = {**props["hyperParameters"], "epochCount": "5"}
    props["customModelName"] = "demo-custom-model-v2"
    return event


def old_job(harness, **extra) -> None:
    """GIVEN the old job, started by the provider from the old properties (its token says so)."""
    event = harness.event("job_update")
    ids = (event["StackId"], event["LogicalResourceId"], "the-original-create-request")
    old = naming.properties_digest(api_members(event["OldResourceProperties"]), contract.JOB_TAG_MEMBERS)
    token = naming.client_request_token(*ids, "job", old)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", clientRequestToken=token, **extra),
        {"jobIdentifier": harness.JOB_ARN},
    )


def test_non_tag_change_replaces_the_job(harness):
    event = replacing_update(harness)
    old_job(harness)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.NEW_JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None

    sent = harness.calls["CreateModelCustomizationJob"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["clientRequestToken"].endswith(naming.client_request_token(*ids, "job")[-40:])  # new request, new token
    assert naming.token_properties_digest(sent["clientRequestToken"]) == naming.properties_digest(
        api_members(event["ResourceProperties"]), contract.JOB_TAG_MEMBERS
    )
    assert sent["jobName"] == naming.generated_name(*ids, "job")

    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", arn=harness.NEW_JOB_ARN, outputModelArn=harness.MODEL_ARN),
        {"jobIdentifier": harness.NEW_JOB_ARN},
    )
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == harness.NEW_JOB_ARN  # CloudFormation deletes the old job afterwards


def test_failed_replacement_keeps_the_old_physical_id(harness):
    old_job(harness)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.NEW_JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(replacing_update(harness)) is None
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Failed", arn=harness.NEW_JOB_ARN, failureMessage="Quota exceeded."),
    )
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Quota exceeded.")
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_replacement_with_unchanged_fixed_names_is_refused_on_first_invocation(harness):
    # GIVEN a fixed jobName and customModelName that stay the same while the base model changes
    event = harness.event("job_update")
    for props in (event["ResourceProperties"], event["OldResourceProperties"]):
        props["jobName"] = "my-fixed-job"
    event["ResourceProperties"]["baseModelIdentifier"] = "amazon.nova-micro-v1:0:128k"
    old_job(harness)

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Cannot replace with the same jobName my-fixed-job, customModelName demo-custom-model: "
        "changing baseModelIdentifier creates a new resource"
    )
    assert "or leave it unset" in body["Reason"]
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_rollback_to_the_job_that_still_exists_keeps_it_instead_of_training_again(harness):
    # GIVEN a replacing update failed; CloudFormation rolls back: ResourceProperties are the OLD ones again and the
    # physical id is the old job, which was made from exactly those properties
    event = harness.event("job_update")
    props, failed = event["ResourceProperties"], event["OldResourceProperties"]
    failed["baseModelIdentifier"] = "amazon.nova-micro-v1:0:128k"
    failed["jobTags"] = [{"key": "team", "value": "ai"}]
    event["ResourceProperties"], event["OldResourceProperties"] = props, failed
    ids = (event["StackId"], event["LogicalResourceId"], "the-original-create-request")
    digest = naming.properties_digest(api_members(props), contract.JOB_TAG_MEMBERS)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", clientRequestToken=naming.client_request_token(*ids, "job", digest)),
    )
    # AND the replacement the failed update started (from the failed properties) is still training
    update_ids = (event["StackId"], event["LogicalResourceId"], "the-failed-update-request")
    failed_digest = naming.properties_digest(api_members(failed), contract.JOB_TAG_MEMBERS)
    replacement = naming.generated_name(*update_ids, "job")
    harness.bedrock.add_response(
        "list_model_customization_jobs",
        {
            "modelCustomizationJobSummaries": [
                {
                    "jobArn": harness.NEW_JOB_ARN,
                    "jobName": replacement,
                    "status": "InProgress",
                    "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k",
                    "creationTime": "2026-01-01T00:00Z",
                }
            ]
        },
    )
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description(
            "InProgress",
            arn=harness.NEW_JOB_ARN,
            jobName=replacement,
            clientRequestToken=naming.client_request_token(*update_ids, "job", failed_digest),
        ),
        {"jobIdentifier": harness.NEW_JOB_ARN},
    )
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.NEW_JOB_ARN})
    # THEN no new job: the cancelled replacement is stopped, the tags go back to the old properties', in place
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": harness.JOB_ARN, "tags": [{"key": "team", "value": "ml"}]}
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert "CreateModelCustomizationJob" not in harness.calls


def test_replacement_at_the_wait_limit_stops_the_new_job_and_keeps_the_old_id(harness):
    old_job(harness)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.NEW_JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(replacing_update(harness)) is None
    poll = harness.poll_event()
    poll = harness.aged(poll, 3600)
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("InProgress", arn=harness.NEW_JOB_ARN)
    )
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.NEW_JOB_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Stopped the job, still running: CloudFormation's custom-resource limit")
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def fixed_name_rollback(harness) -> tuple[dict, str]:
    """GIVEN an update changed the fixed jobName (job-a to job-b) and more; the replacement job-b was created, then a
    sibling failed. CloudFormation rolls back: the OLD properties (jobName job-a) with job-b's physical id."""
    event = harness.event("job_update", PhysicalResourceId=harness.NEW_JOB_ARN)
    props, failed = event["ResourceProperties"], event["OldResourceProperties"]
    props["jobName"], failed["jobName"] = "job-a", "job-b"
    failed["customModelName"] = "demo-custom-model-v2"
    failed["hyperParameters"] = {**failed["hyperParameters"], "epochCount": "5"}
    failed["jobTags"] = [{"key": "team", "value": "ai"}]
    update_ids = (event["StackId"], event["LogicalResourceId"], "the-failed-update-request")
    failed_digest = naming.properties_digest(api_members(failed), contract.JOB_TAG_MEMBERS)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description(
            "InProgress",
            arn=harness.NEW_JOB_ARN,
            jobName="job-b",
            clientRequestToken=naming.client_request_token(*update_ids, "job", failed_digest),
        ),
        {"jobIdentifier": harness.NEW_JOB_ARN},
    )
    original_ids = (event["StackId"], event["LogicalResourceId"], "the-original-create-request")
    return event, naming.client_request_token(
        *original_ids, "job", naming.properties_digest(api_members(props), contract.JOB_TAG_MEMBERS)
    )


def test_rollback_to_a_changed_fixed_job_name_adopts_the_job_that_still_holds_it(harness):
    event, token = fixed_name_rollback(harness)
    # AND job-a, made from exactly the properties rolled back to, still exists
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description(
            "Completed", jobName="job-a", clientRequestToken=token, outputModelArn=harness.MODEL_ARN
        ),
        {"jobIdentifier": "job-a"},
    )
    # AND its custom model too (CloudFormation's cleanup never ran: the update failed)
    harness.bedrock.add_response(
        "get_custom_model",
        harness.model_description("Active", arn=harness.MODEL_ARN),
        {"modelIdentifier": harness.MODEL_ARN},
    )
    # THEN no new job and no "name in use": job-a is kept, its tags go back to the old properties'
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": harness.JOB_ARN, "tags": [{"key": "team", "value": "ml"}]}
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN  # CloudFormation deletes job-b in its cleanup
    assert body["Data"][contract.ATTR_JOB_NAME] == "job-a"
    assert body["Data"][contract.ATTR_CUSTOM_MODEL_ARN] == harness.MODEL_ARN
    assert "CreateModelCustomizationJob" not in harness.calls


def test_rollback_to_a_fixed_job_name_held_by_a_job_of_other_properties_still_fails_name_in_use(harness):
    event, _token = fixed_name_rollback(harness)
    someone_else = "cfn-" + "0" * 16 + "-" + "1" * 40
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", jobName="job-a", clientRequestToken=someone_else),
        {"jobIdentifier": "job-a"},
    )
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ValidationException", "The provided job name is currently in use."
    )
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Completed", jobName="job-a", clientRequestToken=someone_else),
        {"jobIdentifier": "job-a"},
    )
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("jobName job-a is already used by another job")
    assert body["PhysicalResourceId"] == harness.NEW_JOB_ARN


def test_update_back_to_an_old_fixed_job_name_whose_model_was_deleted_fails_name_in_use(harness):
    # GIVEN job-a made from exactly these properties, but its resource was deleted after an earlier update
    # succeeded (Destroy deleted its model): there is nothing to keep, and Bedrock keeps job names forever
    event, token = fixed_name_rollback(harness)
    gone = harness.job_description(
        "Completed", jobName="job-a", clientRequestToken=token, outputModelArn=harness.MODEL_ARN
    )
    harness.bedrock.add_response("get_model_customization_job", gone, {"jobIdentifier": "job-a"})
    harness.bedrock.add_client_error("get_custom_model", "ResourceNotFoundException", "Model not found", 404)
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ValidationException", "The provided job name is currently in use."
    )
    harness.bedrock.add_response("get_model_customization_job", gone, {"jobIdentifier": "job-a"})
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("jobName job-a is already used by another job")
    assert body["PhysicalResourceId"] == harness.NEW_JOB_ARN
