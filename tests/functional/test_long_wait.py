"""The long wait through the real handler: the job's Create answers at start and enables the stack's poll rule; the
reader resource answers the finished job; the reconciler signals only conditions whose resource is final, read from
the stack and from Bedrock, never from the event."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from bedrock_customization_provider import contract
from botocore.stub import ANY

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo-stack/5b6a3a40-ab12-11ee-9f4e-0a1b2c3d4e5f"
WAIT_RULE = contract.wait_rule_name(STACK_ID)
CONDITION = contract.wait_condition_id(0, 0, "0123abcd")
OTHER_CONDITION = contract.wait_condition_id(0, 1, "ffff0000")
NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def stack_id(monkeypatch):
    monkeypatch.setenv(contract.ENV_STACK_ID, STACK_ID)


def long_mode(event: dict) -> dict:
    event = copy.deepcopy(event)
    event["ResourceProperties"][contract.WAIT_MODE] = contract.WAIT_MODE_LONG
    if "OldResourceProperties" in event:
        event["OldResourceProperties"][contract.WAIT_MODE] = contract.WAIT_MODE_LONG
    return event


def result_event(harness, arn: str, request_type: str = "Create") -> dict:
    event = harness.event("job_create", RequestType=request_type, LogicalResourceId="FineTuneJobResult")
    event["ResourceType"] = contract.RESULT_RESOURCE_TYPE
    event["ResourceProperties"] = {
        "ServiceToken": event["ServiceToken"],
        contract.RESULT_RESOURCE_ARN: arn,
    }
    return event


def summary(logical_id: str, resource_type: str, status: str, physical_id: str) -> dict:
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": physical_id,
        "ResourceType": resource_type,
        "ResourceStatus": status,
        "LastUpdatedTimestamp": NOW,
    }


def stack_resources(harness, *summaries: dict) -> None:
    harness.cloudformation.add_response(
        "list_stack_resources", {"StackResourceSummaries": list(summaries)}, {"StackName": STACK_ID}
    )


def members(harness, condition: str, *logical_ids: str, metadata: dict | None = None) -> None:
    """DescribeStackResource of ``condition``: its Metadata lists what it waits for (``metadata``: as given)."""
    declared = {contract.WAIT_MEMBERS_METADATA: list(logical_ids)} if metadata is None else metadata
    detail = {
        "StackName": "demo-stack",
        "StackId": STACK_ID,
        "LogicalResourceId": condition,
        "PhysicalResourceId": f"{STACK_ID}/{condition}",
        "ResourceType": "AWS::CloudFormation::WaitCondition",
        "LastUpdatedTimestamp": NOW,
        "ResourceStatus": "CREATE_IN_PROGRESS",
    }
    if declared:
        detail["Metadata"] = json.dumps(declared)
    harness.cloudformation.add_response(
        "describe_stack_resource",
        {"StackResourceDetail": detail},
        {"StackName": STACK_ID, "LogicalResourceId": condition},
    )


def first_final_then_one_running(harness, status: str) -> None:
    """The first job read is final (``status``) and its condition signalled with its id; the second still runs."""
    harness.bedrock.add_response("get_model_customization_job", harness.job_description(status))
    harness.cloudformation.add_response(
        "signal_resource",
        {},
        {"StackName": STACK_ID, "LogicalResourceId": CONDITION, "UniqueId": "abcdef123456", "Status": "SUCCESS"},
    )
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("InProgress", arn=harness.NEW_JOB_ARN)
    )


def stack_status(harness, status: str) -> None:
    harness.cloudformation.add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": "demo-stack", "StackId": STACK_ID, "StackStatus": status, "CreationTime": NOW}]},
        {"StackName": STACK_ID},
    )


def scheduled_event() -> dict:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-02T12:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{WAIT_RULE}"],
        "detail": {},
    }


def job_event(job_arn: str, status: str = "Completed") -> dict:
    return {
        "version": "0",
        "id": "0f3a1b2c-0000-4000-8000-000000000001",
        "detail-type": contract.JOB_EVENT_DETAIL_TYPE,
        "source": contract.JOB_EVENT_SOURCE,
        "account": "123456789012",
        "time": "2026-12-02T12:00:00Z",
        "region": "us-east-1",
        "resources": [job_arn],
        "detail": {"jobArn": job_arn, "jobStatus": status, "jobName": "demo"},
    }


# --- the job's resource ----------------------------------------------------------------------------------------------
def test_long_create_answers_once_started_and_enables_the_stacks_poll_rule(harness):
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.events.add_response("enable_rule", {}, {"Name": WAIT_RULE})

    body = harness.invoke(long_mode(harness.event("job_create")))

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert set(body["Data"]) == set(contract.JOB_STARTED_ATTRIBUTES)
    # no crhelper poll of its own: no rule, no permission, nothing growing per job in the function's policy
    assert "PutRule" not in harness.calls and "AddPermission" not in harness.calls


def test_long_create_stops_the_job_and_fails_when_the_poll_rule_cannot_be_enabled(harness):
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.events.add_client_error("enable_rule", "ResourceNotFoundException", f"Rule {WAIT_RULE} does not exist.")
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})

    body = harness.invoke(long_mode(harness.event("job_create")))

    # the job is stopped (a condition nobody polls would wait 12 h) and its ARN kept for the rollback's Delete
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert "wait rule could not be enabled" in body["Reason"] and "does not exist" in body["Reason"]


def test_long_tag_only_update_enables_the_rule_too(harness):
    # a condition new to the stack may wait for a job that has already ended: only a poll will see it
    event = long_mode(harness.event("job_update"))
    event["ResourceProperties"]["jobTags"] = [{"key": "team", "value": "research"}]
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.bedrock.add_response("tag_resource", {}, {"resourceARN": harness.JOB_ARN, "tags": ANY})
    harness.events.add_response("enable_rule", {}, {"Name": WAIT_RULE})

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN


# --- the reader ------------------------------------------------------------------------------------------------------
def test_result_answers_every_attribute_of_the_completed_job(harness):
    described = harness.job_description(
        "Completed",
        outputModelArn=harness.MODEL_ARN,
        trainingMetrics={"trainingLoss": 0.25},
        validationMetrics=[{"validationLoss": 0.5}],
    )
    harness.bedrock.add_response("get_model_customization_job", described, {"jobIdentifier": harness.JOB_ARN})

    body = harness.invoke(result_event(harness, harness.JOB_ARN))

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert set(body["Data"]) == set(contract.JOB_ATTRIBUTES)
    assert body["Data"][contract.ATTR_CUSTOM_MODEL_ARN] == harness.MODEL_ARN
    assert body["Data"][contract.ATTR_TRAINING_LOSS] == "0.25"


def test_result_fails_with_bedrocks_message_first_for_a_failed_job(harness):
    described = harness.job_description("Failed", failureMessage="Insufficient training data: 3 records.")
    harness.bedrock.add_response("get_model_customization_job", described)

    body = harness.invoke(result_event(harness, harness.JOB_ARN))

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Insufficient training data: 3 records.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_result_reads_a_custom_model_by_its_arn(harness):
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))

    body = harness.invoke(result_event(harness, harness.IMPORTED_MODEL_ARN))

    assert body["Status"] == "SUCCESS", body
    assert body["Data"][contract.ATTR_MODEL_ARN] == harness.IMPORTED_MODEL_ARN


def test_result_of_a_job_not_final_yet_waits_like_the_short_mode(harness):
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.expect_poll_setup()

    assert harness.invoke(result_event(harness, harness.JOB_ARN)) is None


@pytest.mark.parametrize("arn", ["", "not-an-arn", "arn:aws:s3:::bucket/key", "arn:aws:bedrock:us-east-1:1:x/y"])
def test_result_refuses_what_is_not_a_job_or_model_arn_and_calls_nothing(harness, arn):
    body = harness.invoke(result_event(harness, arn))

    assert body["Status"] == "FAILED"
    assert contract.RESULT_RESOURCE_ARN in body["Reason"]
    assert not harness.calls


def test_result_delete_calls_nothing(harness):
    event = result_event(harness, harness.JOB_ARN, "Delete")
    event["PhysicalResourceId"] = harness.JOB_ARN

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS"
    assert not harness.calls


# --- the reconciler --------------------------------------------------------------------------------------------------
JOB = contract.JOB_RESOURCE_TYPE
CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"


def test_a_poll_signals_the_condition_whose_job_is_final_and_keeps_polling_for_the_rest(harness):
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", JOB, "CREATE_COMPLETE", harness.JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"),
        summary("OtherJob", JOB, "CREATE_COMPLETE", harness.NEW_JOB_ARN),
        summary(OTHER_CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-2"),
    )
    members(harness, CONDITION, "FineTuneJob1A2B3C4D")
    members(harness, OTHER_CONDITION, "OtherJob")
    first_final_then_one_running(harness, "Failed")

    # WHEN the scheduled poll arrives THEN only the final job's condition is signalled (SUCCESS also for a failed
    # job: the reader fails with Bedrock's message), nothing is answered to CloudFormation, the rule stays on
    assert harness.invoke(scheduled_event()) is None
    assert [c["LogicalResourceId"] for c in harness.calls["SignalResource"]] == [CONDITION]
    assert "DisableRule" not in harness.calls


def test_a_poll_with_nothing_waiting_after_the_stack_settled_disables_the_rule(harness):
    stack_resources(harness, summary("FineTuneJob1A2B3C4D", JOB, "CREATE_COMPLETE", harness.JOB_ARN))
    stack_status(harness, "CREATE_COMPLETE")
    harness.events.add_response("disable_rule", {}, {"Name": WAIT_RULE})
    stack_status(harness, "CREATE_COMPLETE")

    assert harness.invoke(scheduled_event()) is None
    assert harness.calls["DisableRule"] == [{"Name": WAIT_RULE}]
    assert "EnableRule" not in harness.calls


def test_an_operation_that_began_while_disabling_gets_the_rule_back(harness):
    stack_resources(harness)
    stack_status(harness, "UPDATE_COMPLETE")
    harness.events.add_response("disable_rule", {}, {"Name": WAIT_RULE})
    stack_status(harness, "UPDATE_IN_PROGRESS")
    harness.events.add_response("enable_rule", {}, {"Name": WAIT_RULE})

    harness.invoke(scheduled_event())

    assert harness.calls["EnableRule"] == [{"Name": WAIT_RULE}]


def test_nothing_is_disabled_while_a_stack_operation_is_under_way(harness):
    stack_resources(harness)
    stack_status(harness, "UPDATE_IN_PROGRESS")

    harness.invoke(scheduled_event())

    assert "DisableRule" not in harness.calls


def test_a_job_event_reads_only_the_job_it_names_and_signals_its_condition(harness):
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", JOB, "CREATE_COMPLETE", harness.JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"),
        summary("OtherJob", JOB, "CREATE_COMPLETE", harness.NEW_JOB_ARN),
        summary(OTHER_CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "c2"),
    )
    members(harness, CONDITION, "FineTuneJob1A2B3C4D")
    members(harness, OTHER_CONDITION, "OtherJob")
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed"), {"jobIdentifier": harness.JOB_ARN}
    )
    harness.cloudformation.add_response("signal_resource", {})

    harness.invoke(job_event(harness.JOB_ARN))

    assert harness.calls["GetModelCustomizationJob"] == [{"jobIdentifier": harness.JOB_ARN}]
    assert [c["LogicalResourceId"] for c in harness.calls["SignalResource"]] == [CONDITION]


def test_an_event_for_a_replaced_job_cannot_complete_the_new_jobs_wait(harness):
    # GIVEN the resource now holds the new job and its new condition waits
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", JOB, "UPDATE_COMPLETE", harness.NEW_JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"),
    )
    members(harness, CONDITION, "FineTuneJob1A2B3C4D")

    # WHEN the old job's (or a forged) Completed event arrives THEN nothing is read and nothing is signalled
    harness.invoke(job_event(harness.JOB_ARN))

    assert "GetModelCustomizationJob" not in harness.calls and "SignalResource" not in harness.calls


def test_the_event_is_trusted_for_nothing_a_completed_claim_for_a_running_job_signals_nothing(harness):
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", JOB, "CREATE_COMPLETE", harness.JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"),
    )
    members(harness, CONDITION, "FineTuneJob1A2B3C4D")
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))

    harness.invoke(job_event(harness.JOB_ARN, "Completed"))

    assert "SignalResource" not in harness.calls


def test_a_condition_that_cannot_be_signalled_any_more_is_fine(harness):
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", JOB, "CREATE_COMPLETE", harness.JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"),
    )
    members(harness, CONDITION, "FineTuneJob1A2B3C4D")
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.cloudformation.add_client_error(
        "signal_resource", "ValidationError", f"Resource {CONDITION} is in CREATE_COMPLETE state and cannot be signaled"
    )
    stack_status(harness, "CREATE_IN_PROGRESS")

    harness.invoke(scheduled_event())  # no exception, rule left as it is while the stack is in progress


@pytest.mark.parametrize(
    ("metadata", "watched_type", "status"),
    [
        ({}, JOB, "CREATE_IN_PROGRESS"),  # declares nothing: not one of the long wait's conditions
        ({contract.WAIT_MEMBERS_METADATA: "FineTuneJob1A2B3C4D"}, JOB, "CREATE_IN_PROGRESS"),  # not a list
        ({contract.WAIT_MEMBERS_METADATA: [{"Ref": "X"}]}, JOB, "CREATE_IN_PROGRESS"),  # not logical ids
        (None, "AWS::S3::Bucket", "CREATE_IN_PROGRESS"),  # watches something that is not a job or model
        (None, JOB, "CREATE_COMPLETE"),  # not waiting any more: not even described
    ],
)
def test_conditions_that_are_not_long_waits_are_left_alone(harness, metadata, watched_type, status):
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", watched_type, "CREATE_COMPLETE", harness.JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, status, "cond-1"),
    )
    if status == "CREATE_IN_PROGRESS":
        members(harness, CONDITION, "FineTuneJob1A2B3C4D", metadata=metadata)
    stack_status(harness, "CREATE_IN_PROGRESS")

    harness.invoke(scheduled_event())

    assert "GetModelCustomizationJob" not in harness.calls and "SignalResource" not in harness.calls


def test_a_group_condition_gets_one_signal_per_final_member_and_keeps_waiting_for_the_others(harness):
    stack_resources(
        harness,
        summary("FineTuneJob1A2B3C4D", JOB, "CREATE_COMPLETE", harness.JOB_ARN),
        summary("OtherJob", JOB, "CREATE_COMPLETE", harness.NEW_JOB_ARN),
        summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"),
    )
    members(harness, CONDITION, "FineTuneJob1A2B3C4D", "OtherJob", "NotInTheStackYet")
    first_final_then_one_running(harness, "Completed")

    assert harness.invoke(scheduled_event()) is None

    # the final member is signalled with its own id; the running one is not; the rule keeps polling
    assert [c["UniqueId"] for c in harness.calls["SignalResource"]] == ["abcdef123456"]
    assert "DisableRule" not in harness.calls


def test_a_condition_gone_before_it_was_described_is_skipped(harness):
    stack_resources(harness, summary(CONDITION, CONDITION_TYPE, "CREATE_IN_PROGRESS", "cond-1"))
    harness.cloudformation.add_client_error(
        "describe_stack_resource", "ValidationError", f"Resource {CONDITION} does not exist for stack demo-stack"
    )
    stack_status(harness, "UPDATE_IN_PROGRESS")

    assert harness.invoke(scheduled_event()) is None
    assert "SignalResource" not in harness.calls


# --- the group's check -----------------------------------------------------------------------------------------------
def check_event(harness, arns: list[str], request_type: str = "Create") -> dict:
    event = harness.event("job_create", RequestType=request_type, LogicalResourceId="LongWaitsDepth0Group0Check")
    event["ResourceType"] = contract.RESULT_RESOURCE_TYPE
    event["ResourceProperties"] = {"ServiceToken": event["ServiceToken"], contract.RESULT_RESOURCE_ARNS: arns}
    return event


def test_check_succeeds_when_every_member_completed(harness):
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))

    body = harness.invoke(check_event(harness, [harness.JOB_ARN, harness.IMPORTED_MODEL_ARN]))

    assert body["Status"] == "SUCCESS", body
    assert body["Data"] == {"Count": "2"}
    assert body["PhysicalResourceId"].startswith("LongWaitsDepth0Group0Check-")


def test_check_fails_with_the_first_failure_message_first_and_counts_the_others(harness):
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Failed", failureMessage="Data has 3 records.")
    )
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Stopped", arn=harness.NEW_JOB_ARN)
    )

    body = harness.invoke(check_event(harness, [harness.JOB_ARN, harness.NEW_JOB_ARN]))

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Data has 3 records.")
    assert "1 more of the 2 resources of this wait failed too" in body["Reason"]
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_check_with_a_member_not_final_polls_for_that_member_only(harness):
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("InProgress", arn=harness.NEW_JOB_ARN)
    )
    harness.expect_poll_setup()

    assert harness.invoke(check_event(harness, [harness.JOB_ARN, harness.NEW_JOB_ARN])) is None

    (target,) = harness.calls["PutTargets"][0]["Targets"]
    memo = json.loads(target["Input"])["CrHelperData"]
    assert harness.NEW_JOB_ARN in json.dumps(memo) and harness.JOB_ARN not in json.dumps(memo)


@pytest.mark.parametrize("arns", [[], "arn:aws:bedrock:us-east-1:123456789012:custom-model/x", ["not-an-arn"]])
def test_check_refuses_what_is_not_a_list_of_job_or_model_arns_and_calls_nothing(harness, arns):
    body = harness.invoke(check_event(harness, arns))

    assert body["Status"] == "FAILED"
    assert contract.RESULT_RESOURCE_ARNS in body["Reason"]
    assert not harness.calls


# --- the WaitStart resource ------------------------------------------------------------------------------------------
def start_event(harness, request_type: str = "Create") -> dict:
    event = harness.event("job_create", RequestType=request_type, LogicalResourceId="LongWaitsStart")
    event["ResourceType"] = contract.WAIT_START_RESOURCE_TYPE
    event["ResourceProperties"] = {
        "ServiceToken": event["ServiceToken"],
        contract.WAIT_START_CONDITIONS: [CONDITION],
    }
    return event


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_wait_start_enables_the_poll_rule(harness, request_type):
    event = start_event(harness, request_type)
    if request_type == "Update":
        event["PhysicalResourceId"] = WAIT_RULE
        event["OldResourceProperties"] = {**event["ResourceProperties"], contract.WAIT_START_CONDITIONS: []}
    harness.events.add_response("enable_rule", {}, {"Name": WAIT_RULE})

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == WAIT_RULE
    assert harness.calls["EnableRule"] == [{"Name": WAIT_RULE}]


def test_wait_start_fails_the_stack_when_the_rule_cannot_be_enabled(harness):
    harness.events.add_client_error("enable_rule", "AccessDeniedException", "not authorized to perform EnableRule")

    body = harness.invoke(start_event(harness))

    assert body["Status"] == "FAILED"
    assert WAIT_RULE in body["Reason"] and "not authorized" in body["Reason"]


def test_wait_start_delete_calls_nothing(harness):
    event = start_event(harness, "Delete")
    event["PhysicalResourceId"] = WAIT_RULE

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS"
    assert not harness.calls


@pytest.mark.parametrize("event", [{}, {"source": "someone"}, {"hello": "world"}])
def test_an_event_that_is_neither_a_request_nor_a_trigger_is_ignored(harness, event, caplog):
    # it has no response URL of its own: nothing may be sent anywhere, nothing called
    assert harness.invoke(event) is None
    assert not harness.calls
