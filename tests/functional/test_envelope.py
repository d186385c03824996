"""Events validated before anything else: one that cannot be answered to its own HTTPS URL is dropped (crhelper
keeps state between invocations and would answer the previous request's URL), and a poll may name only its own rule
(crhelper removes the rule and permission a poll names)."""

from __future__ import annotations

import copy

import pytest
from bedrock_customization_provider import cfn_resource


@pytest.mark.parametrize("missing", cfn_resource.ENVELOPE_KEYS)
def test_an_event_missing_part_of_its_envelope_is_dropped_and_the_next_request_is_answered_to_its_own_url(
    harness, missing
):
    # GIVEN a first, valid request was answered (crhelper now holds its response URL)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    harness.invoke(harness.event("job_create"))
    # WHEN an event without one of the envelope's keys arrives
    broken = harness.event("job_delete", PhysicalResourceId=harness.JOB_ARN)
    del broken[missing]
    before = len(harness.server.received)
    assert harness.invoke(broken) is None
    # THEN nothing was called and nothing sent anywhere (the previous URL included)
    assert len(harness.server.received) == before
    assert "StopModelCustomizationJob" not in harness.calls and "GetModelCustomizationJob" not in harness.calls


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/response", "ftp://x/y", "", "file:///etc/passwd"])
def test_a_response_url_that_is_not_https_is_never_used(harness, url):
    event = harness.event("job_delete", PhysicalResourceId=harness.JOB_ARN)
    event["ResponseURL"] = url
    assert harness.invoke(event) is None
    assert not harness.calls


@pytest.mark.parametrize("key", ["ResourceProperties", "OldResourceProperties"])
def test_properties_that_are_not_an_object_are_dropped(harness, key):
    event = harness.event("job_update")
    event[key] = ["not", "an", "object"]
    assert harness.invoke(event) is None
    assert not harness.calls


def test_a_forged_poll_naming_another_resources_rule_touches_nothing(harness):
    # GIVEN a real poll of one resource
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    harness.invoke(harness.event("job_create"))
    poll = harness.poll_event()
    # WHEN someone invokes the function with that poll rewritten to name another resource's rule and permission
    forged = copy.deepcopy(poll)
    other = "bedrock-cr-poll-OtherResource-0123456789abcdef"
    forged["CrHelperRule"] = poll["CrHelperRule"].rsplit("/", 1)[0] + "/" + other
    forged["CrHelperPermission"] = other
    # THEN it is dropped: no rule, target or permission removed, no Bedrock call, no answer
    assert harness.invoke(forged) is None
    assert not {"RemoveTargets", "DeleteRule", "RemovePermission", "GetModelCustomizationJob"} & set(harness.calls)


def test_a_request_naming_another_stack_is_dropped(harness):
    # the function serves its own stack only (STACK_ID): a Delete claiming another stack's resource does nothing
    event = harness.event("job_delete", PhysicalResourceId=harness.JOB_ARN)
    event["StackId"] = (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/other-stack/0f0f0f0f-0000-4000-8000-000000000000"
    )
    assert harness.invoke(event) is None
    assert not harness.calls


def test_a_template_synthesized_before_the_stack_pin_still_works(harness, monkeypatch):
    from bedrock_customization_provider import contract

    monkeypatch.delenv(contract.ENV_STACK_ID)
    event = harness.event("job_delete", PhysicalResourceId=contract.FAILED_CREATE_PHYSICAL_ID)
    assert harness.invoke(event)["Status"] == "SUCCESS"
