"""Defects the event fuzzer (test_event_fuzz.py) found, each pinned by a plain example."""

from __future__ import annotations

import ssl

import pytest
from bedrock_customization_provider import contract


@pytest.mark.parametrize("key", [contract.REMOVAL_POLICY, contract.WAIT_MODE])
@pytest.mark.parametrize("value", [["Retain"], {"Long": True}])
def test_a_provider_key_that_is_a_list_or_an_object_fails_naming_it(harness, key, value):
    # was: TypeError (unhashable) inside the membership test, answered "Unexpected error"
    event = harness.event("job_create")
    event["ResourceProperties"][key] = value

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith(f"Invalid properties: {key} must be one of"), body["Reason"]
    assert not harness.calls


@pytest.mark.parametrize("name", ["job_update", "job_delete", "model_update", "model_delete"])
@pytest.mark.parametrize("physical_id", [None, "", 713024, [True], {}, "(missing)"])
def test_an_update_or_delete_without_a_physical_id_string_fails_naming_it_and_calls_nothing(harness, name, physical_id):
    # was: AttributeError on .startswith (answered "Unexpected error"), or, missing or empty, a Delete that searched
    # for and stopped this resource's jobs and an Update that started a replacement job, as after a failed Create
    event = harness.event(name)
    if physical_id == "(missing)":
        del event["PhysicalResourceId"]
    else:
        event["PhysicalResourceId"] = physical_id

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("Invalid request: PhysicalResourceId must be"), body["Reason"]
    assert not harness.calls


def test_a_ca_bundle_is_the_only_trust_for_the_response_url(response_server):
    # crhelper's ssl_verify (requests' verify) with a bundle path trusts that bundle only. Was: the system's CAs
    # loaded as well, on every send (some 70 ms each: the fuzzer's thousands of answers spent most of their time there)
    from bedrock_customization_provider import response

    context = response.ssl_context(response_server.ca_bundle)

    assert [cert["subject"] for cert in context.get_ca_certs()] == [((("commonName", "127.0.0.1"),),)]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize("value", [[], ["FINE_TUNING"], {"DISTILLATION": 1}])
def test_a_customization_type_that_is_a_list_or_an_object_fails_naming_it(harness, value):
    # was: TypeError (unhashable) in the rule that picks the customizationConfig member, "Unexpected error"
    event = harness.event("job_create")
    event["ResourceProperties"]["customizationType"] = value

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("Invalid properties: customizationType must be a string"), body["Reason"]
    assert not harness.calls


@pytest.mark.parametrize("old_tags", [["x"], [{"key": 5, "value": "ml"}], [{"key": "team"}], "team=ml", 5])
def test_the_rollback_of_an_update_refused_for_malformed_tags_succeeds(harness, old_tags):
    # GIVEN an Update refused for its malformed jobTags: CloudFormation rolls back with those as the OLD properties
    # (was: TypeError while diffing them, the rollback FAILED, the stack stuck in UPDATE_ROLLBACK_FAILED)
    event = harness.event("job_update")
    event["OldResourceProperties"]["jobTags"] = old_tags
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    # THEN the wanted tags are put back (the malformed ones were never applied), and the rollback succeeds
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": harness.JOB_ARN, "tags": [{"key": "team", "value": "ml"}]}
    )

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body


def _started_poll(harness) -> dict:
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("job_create")) is None
    return harness.poll_event()


@pytest.mark.parametrize(
    "alter",
    [
        lambda poll: poll.pop("CrHelperData"),  # was: answered SUCCESS to the Create's real URL, nothing checked
        lambda poll: poll["CrHelperData"].update(PhysicalResourceId="arn:aws:bedrock:us-east-1:1:custom-model/x"),
        lambda poll: poll.update(RequestType="Delete", PhysicalResourceId="x"),  # was: ran the Delete, answered it
        lambda poll: poll["ResourceProperties"].update(RemovalPolicy="Retain"),
        lambda poll: poll.pop("ServiceToken"),
        lambda poll: poll.update(Extra="x"),
    ],
)
def test_a_poll_altered_in_any_field_is_dropped(harness, alter):
    # GIVEN a real poll input (readable by anyone allowed events:ListTargetsByRule), altered outside the ids that
    # the URL's encryption context used to bind
    poll = _started_poll(harness)
    alter(poll)
    harness.calls.clear()
    before = len(harness.server.received)

    # WHEN someone invokes the function with it THEN it does not decrypt: no answer to the request's URL, no call
    assert harness.invoke(poll) is None
    assert len(harness.server.received) == before
    assert set(harness.calls) <= {"Decrypt"}


@pytest.mark.parametrize("member", ["customModelTags", "validationDataConfig", "hyperParameters"])
def test_a_null_optional_member_is_absent_from_the_request_bedrock_gets(harness, member):
    # was: validation read null as absent but the request carried it on, and botocore refused it ("Invalid type for
    # parameter customModelTags, value: None"), answered "Unexpected error" instead of starting the job
    event = harness.event("job_create")
    event["ResourceProperties"][member] = None
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()

    body = harness.invoke(event)

    assert body is None or body["Status"] == "SUCCESS", body  # started: answered by its poll (short mode)
    (created,) = harness.calls["CreateModelCustomizationJob"]
    assert member not in created
