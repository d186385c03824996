"""Wait strategies through the real crhelper flow: ``WaitMode`` None answers at start, Short (default) polls."""

from __future__ import annotations

import copy

from bedrock_customization_provider import contract


def with_mode(event: dict, mode: str) -> dict:
    event = copy.deepcopy(event)
    event["ResourceProperties"][contract.WAIT_MODE] = mode
    if "OldResourceProperties" in event:
        event["OldResourceProperties"][contract.WAIT_MODE] = mode
    return event


def test_no_wait_create_answers_success_at_start_with_the_job_arn_and_name_and_sets_up_no_poll(harness):
    # GIVEN a Create in the None wait mode and Bedrock accepting the job
    event = with_mode(harness.event("job_create"), contract.WAIT_MODE_NONE)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})

    # WHEN it arrives THEN SUCCESS at once, with only what exists once the job has started; no rule, no permission
    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert set(body["Data"]) == set(contract.JOB_STARTED_ATTRIBUTES)
    assert body["Data"][contract.ATTR_JOB_ARN] == harness.JOB_ARN
    assert body["Data"][contract.ATTR_JOB_NAME] == harness.calls["CreateModelCustomizationJob"][0]["jobName"]
    assert "PutRule" not in harness.calls and "AddPermission" not in harness.calls
    # the provider key never reaches Bedrock
    assert contract.WAIT_MODE not in harness.calls["CreateModelCustomizationJob"][0]


def test_no_wait_replacing_update_answers_with_the_new_job_at_once(harness):
    # GIVEN an Update that changes a hyperparameter (a new job) in the None wait mode
    event = with_mode(harness.event("job_update"), contract.WAIT_MODE_NONE)
    event["ResourceProperties"]["hyperParameters"]["epochCount"] = "3"
    event["ResourceProperties"]["customModelName"] = "demo-custom-model-2"
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.NEW_JOB_ARN})

    body = harness.invoke(event)

    # THEN the new job's ARN is the physical id (CloudFormation deletes the old one in its cleanup), no polls
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.NEW_JOB_ARN
    assert body["Data"][contract.ATTR_JOB_ARN] == harness.NEW_JOB_ARN
    assert "PutRule" not in harness.calls


def test_short_wait_is_the_default_and_polls_until_final(harness):
    # GIVEN a Create with WaitMode Short, spelled out
    event = with_mode(harness.event("job_create"), contract.WAIT_MODE_SHORT)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()

    # WHEN it arrives THEN nothing is answered yet: the job is polled
    assert harness.invoke(event) is None
    assert harness.calls["PutRule"]


def test_no_wait_delete_of_a_running_job_still_stops_it_and_waits_for_stopped(harness):
    # GIVEN a Delete in the None wait mode while the job trains
    event = with_mode(harness.event("job_delete"), contract.WAIT_MODE_NONE)
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("InProgress"))
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_setup()

    # WHEN it arrives THEN the job is stopped and the Delete waits (deletes always wait, whatever the mode)
    assert harness.invoke(event) is None
    assert harness.calls["StopModelCustomizationJob"] == [{"jobIdentifier": harness.JOB_ARN}]


def test_an_unknown_wait_mode_fails_naming_the_key_and_calls_nothing(harness):
    event = with_mode(harness.event("job_create"), "Forever")

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert "WaitMode must be one of Long, None, Short (got Forever)" in body["Reason"]
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    assert not harness.calls


def test_no_wait_model_create_answers_with_the_model_arn_and_name(harness):
    event = with_mode(harness.event("model_create"), contract.WAIT_MODE_NONE)
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.IMPORTED_MODEL_ARN})

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body
    assert body["Data"] == {
        contract.ATTR_MODEL_ARN: harness.IMPORTED_MODEL_ARN,
        contract.ATTR_MODEL_NAME: harness.calls["CreateCustomModel"][0]["modelName"],
    }


def test_changing_only_the_wait_mode_updates_in_place_without_a_new_job(harness):
    # GIVEN an Update whose only change is WaitMode (Short, by default, to None)
    event = harness.event("job_update")
    event["ResourceProperties"][contract.WAIT_MODE] = contract.WAIT_MODE_NONE
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", outputModelArn=harness.MODEL_ARN)
    )

    body = harness.invoke(event)

    # THEN the same job, no CreateModelCustomizationJob: a provider key never replaces the resource
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert "CreateModelCustomizationJob" not in harness.calls
