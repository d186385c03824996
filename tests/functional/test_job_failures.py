"""Failures of a job Create: bad input, a failed or stopped job, and CloudFormation's wait limit."""

from __future__ import annotations

import datetime

from bedrock_customization_provider import contract


def started(harness, event: dict | None = None) -> dict:
    """GIVEN a job Bedrock accepted; returns the event of the next scheduled poll."""
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event or harness.event("job_create")) is None
    return harness.poll_event()


def test_bad_input_fails_first_invocation_naming_fields_and_calls_nothing(harness):
    # GIVEN several broken properties (no responses are queued on any stub: any AWS call would fail the test)
    event = harness.event("job_create")
    props = event["ResourceProperties"]
    props["jobName"] = "bad name!"
    props["customizationType"] = "FINETUNING"
    props["outputDataConfig"] = {"s3Uri": "https://demo-bucket/output/"}
    del props["roleArn"]

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    reason = body["Reason"]
    # the problems that fit whole are named with their rule, the others counted
    assert reason.startswith("Invalid properties (4 problems): roleArn is required; customizationType must be one of")
    assert reason.endswith("(got FINETUNING) (and 2 more)")
    assert len(reason) <= 256
    assert not harness.calls.get("CreateModelCustomizationJob")


def test_semantic_rules_the_shape_cannot_express(harness):
    event = harness.event("job_create")
    props = event["ResourceProperties"]
    props["customizationType"] = "DISTILLATION"
    props["trainingDataConfig"] = {
        "s3Uri": "s3://demo-bucket/train/data.jsonl",
        "invocationLogsConfig": {"invocationLogSource": {"s3Uri": "s3://demo-bucket/logs/"}},
    }
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert "trainingDataConfig must set exactly one of s3Uri, invocationLogsConfig" in body["Reason"]
    assert "customizationConfig.distillationConfig is required for customizationType DISTILLATION" in body["Reason"]


def test_client_request_token_in_properties_is_refused(harness):
    event = harness.event("job_create")
    event["ResourceProperties"]["clientRequestToken"] = "mine"
    body = harness.invoke(event)
    assert body["Reason"] == (
        "Invalid properties: clientRequestToken is derived by the provider from the CloudFormation request; remove it"
    )


def test_bad_provider_keys_fail_first_invocation(harness):
    event = harness.event("job_create")
    event["ResourceProperties"]["RemovalPolicy"] = "Snapshot"
    event["ResourceProperties"]["ServiceTimeout"] = "7200"
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert "RemovalPolicy must be one of Destroy, Retain (got Snapshot)" in body["Reason"]
    assert "ServiceTimeout must be between 1 and 3600 seconds (got 7200)" in body["Reason"]


def test_service_timeout_shorter_than_one_poll_fails_before_starting(harness):
    body = harness.invoke(
        harness.event("job_create")
        | {"ResourceProperties": {**harness.event("job_create")["ResourceProperties"], "ServiceTimeout": "60"}}
    )
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Invalid properties: ServiceTimeout must exceed one poll interval")


def test_failed_job_fails_with_bedrock_message_first_and_cleans_up_its_model(harness):
    poll = started(harness)
    # WHEN the job failed after creating a model THEN the model is deleted (Destroy) and the reason is Bedrock's
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description(
            "Failed", failureMessage="Training data is malformed at line 7.", outputModelArn=harness.MODEL_ARN
        ),
    )
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.MODEL_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Training data is malformed at line 7.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_failed_job_with_long_message_keeps_its_beginning(harness):
    poll = started(harness)
    message = "Bedrock says the data is invalid: " + "x" * 600
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Failed", failureMessage=message)
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Reason"].startswith("Bedrock says the data is invalid: xxx")
    assert len(body["Reason"]) <= 256


def test_failed_job_with_retain_keeps_its_model(harness):
    event = harness.event("job_create")
    event["ResourceProperties"]["RemovalPolicy"] = "Retain"
    poll = started(harness, event)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("Failed", failureMessage="Out of capacity.", outputModelArn=harness.MODEL_ARN),
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Reason"].startswith("Out of capacity.")
    assert "DeleteCustomModel" not in harness.calls


def test_stopped_job_fails(harness):
    poll = started(harness)
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Stopping"))
    assert harness.invoke(poll) is None
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Stopped", failureMessage="Stopped by user request.")
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Stopped by user request.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_wait_limit_stops_the_job_and_fails_saying_why_keeping_the_arn(harness):
    poll = started(harness)
    # GIVEN the poll comes close to CloudFormation's limit: the request started ServiceTimeout - 60 s ago
    poll = harness.aged(poll, 3600 - 60)
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_teardown()

    body = harness.invoke(poll)

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Stopped the job, still running: CloudFormation's custom-resource limit")
    assert "ServiceTimeout 3600 s, max 3600 s" in body["Reason"]
    assert body["PhysicalResourceId"] == harness.JOB_ARN  # the Delete that follows finishes the cleanup


def test_poll_before_the_wait_limit_keeps_waiting(harness):
    poll = started(harness)
    poll = harness.aged(poll, 3600 - 120)  # two minutes left: one more poll still fits
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    assert harness.invoke(poll) is None


def test_a_poll_without_time_for_one_attempt_calls_nothing_and_waits_for_the_next(harness):
    # (a throttled poll is the same: RetriesExhaustedError skips to the next poll; see test_retry.py for the bound)
    poll = started(harness)
    harness.context.remaining_ms = 10_000
    assert harness.invoke(poll) is None
    assert "GetModelCustomizationJob" not in harness.calls


def test_redelivered_create_keeps_the_budget_of_the_job_it_started(harness):
    # GIVEN the same Create delivered again 59 minutes after the first delivery started the job (Bedrock's
    # idempotency answers the same job; the redelivery's poll event carries a fresh StartedAt)
    poll = started(harness)
    created = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=3600 - 60)
    # WHEN its first poll finds the job still running THEN the wait ends now: CloudFormation's ServiceTimeout counts
    # from the first delivery, so waiting another hour would answer a request it already failed
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("InProgress", creationTime=created)
    )
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("Stopped the job, still running: CloudFormation's custom-resource limit")
    assert body["PhysicalResourceId"] == harness.JOB_ARN


def test_a_job_created_after_the_request_started_does_not_extend_its_budget(harness):
    # GIVEN the request started 59 minutes ago, but Bedrock reports the job created only 30 minutes ago: measured
    # from the job's creationTime, half an hour of budget would be left
    poll = started(harness)
    poll = harness.aged(poll, 3600 - 60)
    created = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(minutes=30)
    assert created.timestamp() - poll["CrHelperData"]["StartedAt"] >= 29 * 60  # the job is the younger one
    # WHEN a poll finds the job still running
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("InProgress", creationTime=created)
    )
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    # THEN the budget still counts from the request's own start: the job is stopped and the Create fails now
    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("Stopped the job, still running: CloudFormation's custom-resource limit")
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert len(harness.calls["StopModelCustomizationJob"]) == 1
