"""The provider acts only on what its own stack's resource created: a physical id naming another owner's job (a
forged or misdirected request) is refused with a reason, and nothing is stopped, retagged or deleted."""

from __future__ import annotations

from bedrock_customization_provider import naming

OTHER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/victim/00000000-1111-4222-8333-444444444444"


def token_of(stack_id: str, logical_id: str) -> str:
    return naming.client_request_token(stack_id, logical_id, "some-request", "job", "0" * 16)


def test_a_delete_naming_another_owners_job_is_refused_and_stops_nothing(harness):
    event = harness.event("job_delete", PhysicalResourceId=harness.JOB_ARN)
    victim = harness.job_description(
        "InProgress", jobName="victims-job", clientRequestToken=token_of(OTHER_STACK, "TheirJob")
    )
    harness.bedrock.add_response("get_model_customization_job", victim, {"jobIdentifier": harness.JOB_ARN})

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Refused: job victims-job was not started by FineTuneJob1A2B3C4D")
    assert "StopModelCustomizationJob" not in harness.calls and "DeleteCustomModel" not in harness.calls


def test_a_delete_of_its_own_job_stops_it(harness):
    event = harness.event("job_delete", PhysicalResourceId=harness.JOB_ARN)
    own = harness.job_description(
        "InProgress", jobName="fixed-name", clientRequestToken=token_of(event["StackId"], event["LogicalResourceId"])
    )
    harness.bedrock.add_response("get_model_customization_job", own)
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})
    harness.expect_poll_setup()

    assert harness.invoke(event) is None  # stopping: the Delete waits for Stopped
    assert harness.calls["StopModelCustomizationJob"] == [{"jobIdentifier": harness.JOB_ARN}]


def test_an_update_naming_another_owners_job_retags_nothing(harness):
    event = harness.event("job_update")
    event["ResourceProperties"]["jobTags"] = [{"key": "team", "value": "attacker"}]
    victim = harness.job_description("Completed", clientRequestToken=token_of(OTHER_STACK, "TheirJob"))
    harness.bedrock.add_response("get_model_customization_job", victim)

    body = harness.invoke(event)

    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused:")
    assert "TagResource" not in harness.calls and "UntagResource" not in harness.calls


def test_an_older_job_without_an_owner_in_its_token_is_judged_by_its_name(harness):
    # a job started before tokens carried their owner: a name generated for another resource is refused
    event = harness.event("job_delete", PhysicalResourceId=harness.JOB_ARN)
    older = harness.job_description(
        "Completed", jobName="victim-TheirJob-0123456789ab", outputModelArn=harness.MODEL_ARN
    )
    harness.bedrock.add_response("get_model_customization_job", older)

    body = harness.invoke(event)

    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused:")
    assert "DeleteCustomModel" not in harness.calls


def test_tokens_carry_their_owner_and_older_tokens_still_parse():
    token = naming.client_request_token("arn:stack/s/1", "Job", "r", "job", "a" * 16)
    assert naming.token_owner(token) == naming.owner_digest("arn:stack/s/1", "Job")
    assert naming.token_properties_digest(token) == "a" * 16
    older = "cfn-" + "b" * 16 + "-" + "c" * 40
    assert naming.token_owner(older) is None and naming.token_properties_digest(older) == "b" * 16
    assert len(token) <= 256
