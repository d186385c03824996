"""The provider acts only on what its own stack's resource created: a physical id naming another owner's job or
custom model (a forged or misdirected request) is refused with a reason, and nothing is stopped, retagged or
deleted."""

from __future__ import annotations

from bedrock_customization_provider import contract, naming
from bedrock_customization_provider.lifecycle import api_members

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


# --- custom models: the provider tag names their owner ---------------------------------------------------------------
def model_tags(owner_stack: str, owner_logical_id: str, properties: dict | None = None) -> dict:
    """A ListTagsForResource answer: the provider tag of a model ``owner`` created from ``properties``."""
    api_props = {k: v for k, v in (properties or {}).items() if k not in contract.PROVIDER_KEYS}
    value = naming.model_tag_value(
        naming.properties_digest(api_props, contract.MODEL_TAG_MEMBERS),
        naming.owner_digest(owner_stack, owner_logical_id),
    )
    return {"tags": [{"key": "team", "value": "ml"}, {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": value}]}


def test_a_delete_naming_another_owners_model_is_refused_and_deletes_nothing(harness):
    event = harness.event("model_delete")
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active", modelName="victims-model"))
    harness.bedrock.add_response("list_tags_for_resource", model_tags(OTHER_STACK, "TheirModel"))

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Refused: model victims-model was not created by NovaModelE5F6A7B8 of this stack")
    assert "DeleteCustomModel" not in harness.calls


def test_a_delete_of_its_own_model_deletes_it(harness):
    event = harness.event("model_delete")
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active", modelName="any-fixed-name"))
    harness.bedrock.add_response("list_tags_for_resource", model_tags(event["StackId"], event["LogicalResourceId"]))
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.IMPORTED_MODEL_ARN})

    assert harness.invoke(event)["Status"] == "SUCCESS"
    assert harness.calls["DeleteCustomModel"] == [{"modelIdentifier": harness.IMPORTED_MODEL_ARN}]


def test_a_delete_of_another_owners_model_still_creating_is_refused_at_once(harness):
    # no poll waits for a model this resource would refuse anyway
    harness.bedrock.add_response("get_custom_model", harness.model_description("Creating"))
    harness.bedrock.add_response("list_tags_for_resource", model_tags(OTHER_STACK, "NovaModelE5F6A7B8"))

    body = harness.invoke(harness.event("model_delete"))

    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused:")
    assert "PutRule" not in harness.calls


def test_an_update_naming_another_owners_model_retags_nothing(harness):
    event = harness.event("model_update")
    event["ResourceProperties"]["modelTags"] = [{"key": "team", "value": "attacker"}]
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    harness.bedrock.add_response("list_tags_for_resource", model_tags(OTHER_STACK, "TheirModel"))

    body = harness.invoke(event)

    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused:")
    assert "TagResource" not in harness.calls and "UntagResource" not in harness.calls


def test_an_update_of_its_own_model_retags_it(harness):
    event = harness.event("model_update")
    event["ResourceProperties"]["modelTags"] = [{"key": "team", "value": "ai"}]
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active", modelName="any-fixed-name"))
    harness.bedrock.add_response("list_tags_for_resource", model_tags(event["StackId"], event["LogicalResourceId"]))
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": harness.IMPORTED_MODEL_ARN, "tags": [{"key": "team", "value": "ai"}]}
    )

    assert harness.invoke(event)["Status"] == "SUCCESS"


def test_an_older_model_without_an_owner_in_its_tag_is_judged_by_its_name(harness):
    # a model tagged before the tag carried its owner (the properties digest alone): a name generated for another
    # resource is refused, a name generated for this one is deleted
    older = {"tags": [{"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": "0123456789abcdef"}]}
    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Active", modelName="victim-TheirModel-0123456789ab")
    )
    harness.bedrock.add_response("list_tags_for_resource", older)
    assert harness.invoke(harness.event("model_delete"))["Status"] == "FAILED"
    assert "DeleteCustomModel" not in harness.calls

    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))  # generated for this one
    harness.bedrock.add_response("list_tags_for_resource", older)
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.IMPORTED_MODEL_ARN})
    assert harness.invoke(harness.event("model_delete"))["Status"] == "SUCCESS"


def test_a_model_without_the_provider_tag_is_deleted_only_under_the_fixed_name_it_was_given(harness):
    # no provider tag at all (not made by the provider): only the resource's own fixed modelName is accepted
    event = harness.event("model_delete")
    event["ResourceProperties"]["modelName"] = "nova-fixed"
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active", modelName="someone-else"))
    harness.bedrock.add_response("list_tags_for_resource", {"tags": []})
    assert harness.invoke(event)["Status"] == "FAILED"

    harness.bedrock.add_response("get_custom_model", harness.model_description("Active", modelName="nova-fixed"))
    harness.bedrock.add_response("list_tags_for_resource", {"tags": []})
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.IMPORTED_MODEL_ARN})
    assert harness.invoke(event)["Status"] == "SUCCESS"
    assert len(harness.calls["DeleteCustomModel"]) == 1


def test_a_failed_model_of_another_owner_is_not_deleted_by_a_poll(harness):
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("model_create")) is None
    harness.bedrock.add_response("get_custom_model", harness.model_description("Failed", modelName="victims-model"))
    harness.bedrock.add_response("list_tags_for_resource", model_tags(OTHER_STACK, "TheirModel"))
    harness.expect_poll_teardown()

    body = harness.invoke(harness.poll_event())

    assert body["Status"] == "FAILED" and body["Reason"].startswith("Refused: model victims-model")
    assert "DeleteCustomModel" not in harness.calls


def test_a_cancelled_creates_delete_leaves_another_stacks_model_of_the_same_fixed_name_and_properties(harness):
    # GIVEN CloudFormation cancelled a Create with a fixed modelName another stack's model already holds, made from
    # exactly the same properties: the search for what the Create started must not take that model for its own
    event = harness.event("model_delete", PhysicalResourceId="NovaModel-cancelled-create")
    props = event["ResourceProperties"]
    props["modelName"] = "shared-name"
    harness.bedrock.add_response(
        "get_custom_model",
        harness.model_description("Active", modelName="shared-name"),
        {"modelIdentifier": "shared-name"},
    )
    harness.bedrock.add_response("list_tags_for_resource", model_tags(OTHER_STACK, "NovaModelE5F6A7B8", props))

    body = harness.invoke(event)

    assert body["Status"] == "SUCCESS", body
    assert "DeleteCustomModel" not in harness.calls


def test_model_tags_carry_their_owner_and_older_tags_still_parse():
    value = naming.model_tag_value("a" * 16, naming.owner_digest("arn:stack/s/1", "Model"))
    assert naming.model_tag_parts(value) == ("a" * 16, naming.owner_digest("arn:stack/s/1", "Model"))
    assert naming.model_tag_parts("b" * 16) == ("b" * 16, None)
    assert naming.model_tag_parts("mine") == (None, None) and naming.model_tag_parts(None) == (None, None)
    assert len(value) <= 256  # Bedrock's tag value limit


# --- a job's output model: covered by the job's ownership -------------------------------------------------------------
def test_a_rollback_to_a_fixed_job_name_never_adopts_another_stacks_job_of_the_same_properties(harness):
    # GIVEN a rollback to jobName job-a; job-a exists, made from exactly these properties, but by another stack
    event = harness.event("job_update", PhysicalResourceId=harness.NEW_JOB_ARN)
    props, failed = event["ResourceProperties"], event["OldResourceProperties"]
    props["jobName"], failed["jobName"] = "job-a", "job-b"
    failed["customModelName"] = "demo-custom-model-v2"
    failed["hyperParameters"] = {**failed["hyperParameters"], "epochCount": "5"}
    own_digest = naming.properties_digest(api_members(failed), contract.JOB_TAG_MEMBERS)
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description(
            "InProgress",
            arn=harness.NEW_JOB_ARN,
            jobName="job-b",
            clientRequestToken=naming.client_request_token(event["StackId"], event["LogicalResourceId"], "r", "job",
                                                           own_digest),
        ),
    )  # fmt: skip
    digest = naming.properties_digest(api_members(props), contract.JOB_TAG_MEMBERS)
    theirs = harness.job_description(
        "Completed",
        jobName="job-a",
        clientRequestToken=naming.client_request_token(OTHER_STACK, event["LogicalResourceId"], "r", "job", digest),
        outputModelArn=harness.MODEL_ARN,
    )
    harness.bedrock.add_response("get_model_customization_job", theirs, {"jobIdentifier": "job-a"})
    # THEN it is not adopted (no retagging of it or its model): a new job-a is asked for, and the name is in use
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ValidationException", "The provided job name is currently in use."
    )
    harness.bedrock.add_response("get_model_customization_job", theirs, {"jobIdentifier": "job-a"})

    body = harness.invoke(event)

    assert body["Status"] == "FAILED" and body["Reason"].startswith("jobName job-a is already used by another job")
    assert "TagResource" not in harness.calls and "UntagResource" not in harness.calls
    assert "GetCustomModel" not in harness.calls
