"""``Custom::BedrockCustomModel`` (CreateCustomModel) through the real crhelper flow."""

from __future__ import annotations

import datetime

from bedrock_customization_provider import contract, naming

PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/nova-package/1"


def started(harness, event: dict | None = None) -> dict:
    """GIVEN Bedrock accepted the model; returns the event of the next scheduled poll."""
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event or harness.event("model_create")) is None
    return harness.poll_event()


def test_create_polls_creating_until_active_then_succeeds_with_attributes(harness):
    event = harness.event("model_create")
    poll = started(harness, event)

    sent = harness.calls["CreateCustomModel"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["modelName"] == naming.generated_name(*ids, "model")
    assert sent["clientRequestToken"] == naming.client_request_token(*ids, "custom-model")
    # the user's tags, then the provider's own: the digests of the properties the model is created from and of its
    # owner (this stack and logical id)
    api_props = {k: v for k, v in event["ResourceProperties"].items() if k not in contract.PROVIDER_KEYS}
    digest = naming.properties_digest(api_props, contract.MODEL_TAG_MEMBERS)
    owner = naming.owner_digest(event["StackId"], event["LogicalResourceId"])
    assert sent["modelTags"] == [
        {"key": "team", "value": "ml"},
        {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": f"{digest}-{owner}"},
    ]
    assert not set(sent) & contract.PROVIDER_KEYS

    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Creating"), {"modelIdentifier": harness.IMPORTED_MODEL_ARN}
    )
    assert harness.invoke(poll) is None
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert body["Data"] == {
        contract.ATTR_MODEL_ARN: harness.IMPORTED_MODEL_ARN,
        contract.ATTR_MODEL_NAME: "demo-stack-NovaModelE5F6A7B8-0123456789ab",
        contract.ATTR_STATUS: "Active",
        contract.ATTR_CUSTOMIZATION_TYPE: "IMPORTED",
    }


def test_model_package_source_needs_no_role(harness):
    event = harness.event("model_create")
    props = event["ResourceProperties"]
    del props["modelSourceConfig"], props["roleArn"]
    props["customModelDataSource"] = {"modelPackageArnDataSource": {"modelPackageArn": PACKAGE_ARN}}
    props["modelName"] = "nova-from-package"
    started(harness, event)
    sent = harness.calls["CreateCustomModel"][0]
    assert sent["modelName"] == "nova-from-package"
    assert sent["customModelDataSource"] == props["customModelDataSource"]
    assert "roleArn" not in sent and "modelSourceConfig" not in sent


def test_bad_input_fails_first_invocation_and_creates_nothing(harness):
    event = harness.event("model_create")
    props = event["ResourceProperties"]
    props["customModelDataSource"] = {"modelPackageArnDataSource": {"modelPackageArn": PACKAGE_ARN}}
    props["modelName"] = "bad--name"
    del props["roleArn"]
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    assert "modelName must match pattern" in body["Reason"]
    assert "customModelDataSource cannot be combined with modelSourceConfig" in body["Reason"]
    assert "roleArn is required when modelSourceConfig is set" in body["Reason"]
    assert harness.calls == {}


def test_failed_model_fails_with_bedrock_message_first_and_is_deleted(harness):
    poll = started(harness)
    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Failed", failureMessage="Artifacts are not a Nova model.")
    )
    expect_digest_tag(harness, harness.event("model_create")["ResourceProperties"])  # its own: deleted
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.IMPORTED_MODEL_ARN})
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Artifacts are not a Nova model.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_wait_limit_fails_keeping_the_model_arn_for_the_delete(harness):
    poll = started(harness)
    poll = harness.aged(poll, 3600)
    harness.bedrock.add_response("get_custom_model", harness.model_description("Creating"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Custom model still Creating: CloudFormation's custom-resource limit")
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN


def test_duplicate_delivery_creates_one_model(harness):
    # GIVEN the same Create delivered twice; Bedrock answers the same token with the same model
    event = harness.event("model_create")
    first_poll = started(harness, event)
    second_poll = started(harness, event)
    # THEN both deliveries asked for the very same model (same name, same token) and wait on it under one rule
    first, second = harness.calls["CreateCustomModel"]
    assert first == second and first["clientRequestToken"]
    assert first_poll["CrHelperData"]["PhysicalResourceId"] == second_poll["CrHelperData"]["PhysicalResourceId"]
    rules = [call["Name"] for call in harness.calls["PutRule"]]
    assert len(rules) == 2 and rules[0] == rules[1]


def test_generated_name_already_taken_on_redelivery_is_adopted(harness):
    event = harness.event("model_create")
    harness.bedrock.add_client_error(
        "create_custom_model", "ConflictException", "A model with this name already exists.", 409
    )
    harness.bedrock.add_response("get_custom_model", harness.model_description("Creating"))
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    assert harness.poll_event()["CrHelperData"]["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN


def test_fixed_name_taken_fails_with_what_to_do(harness):
    event = harness.event("model_create")
    event["ResourceProperties"]["modelName"] = "taken-name"
    harness.bedrock.add_client_error(
        "create_custom_model", "ConflictException", "A model with this name already exists.", 409
    )
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("modelName taken-name is already used")
    assert "leave it unset" in body["Reason"]


def test_tag_only_update_in_place(harness):
    event = harness.event("model_update")
    event["ResourceProperties"]["modelTags"] = [{"key": "env", "value": "prod"}]
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    expect_digest_tag(harness, event["OldResourceProperties"])
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": harness.IMPORTED_MODEL_ARN, "tagKeys": ["team"]})
    harness.bedrock.add_response(
        "tag_resource", {}, {"resourceARN": harness.IMPORTED_MODEL_ARN, "tags": [{"key": "env", "value": "prod"}]}
    )
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert "PutRule" not in harness.calls


def test_source_change_replaces_the_model(harness):
    event = harness.event("model_update")
    event["ResourceProperties"]["modelSourceConfig"] = {"s3DataSource": {"s3Uri": "s3://bedrock-managed/v2/"}}
    expect_digest_tag(harness, event["OldResourceProperties"])  # made from the old properties: not what is asked
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Active", modelArn=harness.NEW_IMPORTED_MODEL_ARN)
    )
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == harness.NEW_IMPORTED_MODEL_ARN


#: The stack and logical id of tests/events/model_*.json: the owner of the models they name.
OWN = ("arn:aws:cloudformation:us-east-1:123456789012:stack/demo-stack/5b6a3a40-ab12-11ee-9f4e-0a1b2c3d4e5f",
       "NovaModelE5F6A7B8")  # fmt: skip


def digest_tag(properties: dict, owner: tuple[str, str] = OWN) -> dict:
    """The provider's tag on a model created from ``properties`` (a CloudFormation property block) by ``owner``."""
    api_props = {k: v for k, v in properties.items() if k not in contract.PROVIDER_KEYS}
    value = naming.model_tag_value(naming.properties_digest(api_props, {"modelTags"}), naming.owner_digest(*owner))
    return {"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": value}


def expect_digest_tag(harness, made_from: dict, owner: tuple[str, str] = OWN) -> None:
    """GIVEN the model at the physical id was created from ``made_from`` by ``owner`` (its tags say so)."""
    tags = [*made_from.get("modelTags", []), digest_tag(made_from, owner)]
    harness.bedrock.add_response("list_tags_for_resource", {"tags": tags}, {"resourceARN": harness.IMPORTED_MODEL_ARN})


def fixed_name_replacement(harness) -> dict:
    """An Update that keeps the fixed modelName but changes the key (and a tag): a replacement."""
    event = harness.event("model_update")
    for props in (event["ResourceProperties"], event["OldResourceProperties"]):
        props["modelName"] = "nova-fixed"
    event["ResourceProperties"]["modelKmsKeyArn"] = (
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    event["ResourceProperties"]["modelTags"] = [{"key": "team", "value": "ml"}, {"key": "env", "value": "prod"}]
    return event


def test_replacement_with_unchanged_fixed_name_is_refused(harness):
    event = fixed_name_replacement(harness)
    expect_digest_tag(harness, event["OldResourceProperties"])
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Cannot replace with the same modelName nova-fixed: changing modelKmsKeyArn")
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    # only read which properties the existing model was made from: nothing created, tagged or scheduled
    assert list(harness.calls) == ["ListTagsForResource"]


def test_rollback_of_a_refused_replacement_keeps_the_model_in_place(harness):
    # GIVEN the replacement above was refused; CloudFormation rolls back to the original properties, same model
    refused = fixed_name_replacement(harness)
    event = harness.event(
        "model_update",
        RequestId="0a9b8c7d-5555-4c3d-8e4f-5a6b7c8d9e06",
        ResourceProperties=refused["OldResourceProperties"],
        OldResourceProperties=refused["ResourceProperties"],
    )
    expect_digest_tag(harness, event["ResourceProperties"])
    # the refused replacement created nothing: the one model of that fixed name is the model at the physical id
    harness.bedrock.add_response(
        "get_custom_model",
        harness.model_description("Active", modelName="nova-fixed"),
        {"modelIdentifier": "nova-fixed"},
    )
    harness.bedrock.add_response(
        "get_custom_model", harness.model_description("Active"), {"modelIdentifier": harness.IMPORTED_MODEL_ARN}
    )
    # the refused update never applied its tag: "removing" it is harmless, the provider's tag is never touched
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": harness.IMPORTED_MODEL_ARN, "tagKeys": ["env"]})
    body = harness.invoke(event)
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert body["Data"][contract.ATTR_MODEL_ARN] == harness.IMPORTED_MODEL_ARN
    assert "CreateCustomModel" not in harness.calls and "PutRule" not in harness.calls


def test_a_changed_source_with_a_new_fixed_name_still_replaces(harness):
    event = harness.event("model_update")
    event["OldResourceProperties"]["modelName"] = "nova-v1"
    event["ResourceProperties"]["modelName"] = "nova-v2"
    event["ResourceProperties"]["modelSourceConfig"] = {"s3DataSource": {"s3Uri": "s3://bedrock-managed/v2/"}}
    expect_digest_tag(harness, event["OldResourceProperties"])
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    sent = harness.calls["CreateCustomModel"][0]
    assert sent["modelName"] == "nova-v2"
    assert sent["modelTags"][-1] == digest_tag(event["ResourceProperties"])
    assert harness.poll_event()["CrHelperData"]["PhysicalResourceId"] == harness.NEW_IMPORTED_MODEL_ARN


def test_a_model_without_the_digest_tag_is_replaced_as_before(harness):
    # GIVEN a model created before the provider tagged its models
    event = harness.event("model_update")
    event["ResourceProperties"]["modelSourceConfig"] = {"s3DataSource": {"s3Uri": "s3://bedrock-managed/v2/"}}
    harness.bedrock.add_response("list_tags_for_resource", {"tags": [{"key": "team", "value": "ml"}]})
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None


def test_a_tag_change_never_removes_the_provider_tag(harness):
    event = harness.event("model_update")
    event["OldResourceProperties"]["modelTags"].append(digest_tag(event["OldResourceProperties"]))
    event["ResourceProperties"]["modelTags"] = []
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    expect_digest_tag(harness, event["ResourceProperties"])
    harness.bedrock.add_response("untag_resource", {}, {"resourceARN": harness.IMPORTED_MODEL_ARN, "tagKeys": ["team"]})
    assert harness.invoke(event)["Status"] == "SUCCESS"


def test_the_provider_tag_key_is_reserved(harness):
    event = harness.event("model_create")
    event["ResourceProperties"]["modelTags"] = [{"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": "mine"}]
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        f"Invalid properties: modelTags key {contract.MODEL_PROPERTIES_TAG_KEY!r} is reserved"
    )
    assert harness.calls == {}


def test_delete_deletes_the_model(harness):
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    expect_digest_tag(harness, harness.event("model_delete")["ResourceProperties"])
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.IMPORTED_MODEL_ARN})
    body = harness.invoke(harness.event("model_delete"))
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN


def test_delete_with_retain_keeps_the_model(harness):
    event = harness.event("model_delete")
    event["ResourceProperties"]["RemovalPolicy"] = "Retain"
    assert harness.invoke(event)["Status"] == "SUCCESS"
    assert harness.calls == {}


def test_delete_of_missing_model_succeeds(harness):
    harness.bedrock.add_client_error("get_custom_model", "ResourceNotFoundException", "not found", 404)
    assert harness.invoke(harness.event("model_delete"))["Status"] == "SUCCESS"


def test_delete_after_failed_create_calls_nothing(harness):
    body = harness.invoke(harness.event("model_delete", PhysicalResourceId=contract.FAILED_CREATE_PHYSICAL_ID))
    assert body["Status"] == "SUCCESS"
    assert harness.calls == {}


def test_model_in_use_fails_delete_naming_the_deployment_and_saying_how_to_proceed(harness):
    deployment = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/a1b2c3d4e5f6"
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    expect_digest_tag(harness, harness.event("model_delete")["ResourceProperties"])
    harness.bedrock.add_client_error("delete_custom_model", "ConflictException", "Model is deployed.", 409)
    harness.bedrock.add_response("list_provisioned_model_throughputs", {"provisionedModelSummaries": []})
    summary = {
        "customModelDeploymentArn": deployment,
        "customModelDeploymentName": "support-bot",
        "modelArn": harness.IMPORTED_MODEL_ARN,
        "createdAt": "2026-01-01T00:00Z",
        "status": "Active",
    }
    harness.bedrock.add_response(
        "list_custom_model_deployments",
        {"modelDeploymentSummaries": [summary]},
        {"modelArnEquals": harness.IMPORTED_MODEL_ARN, "maxResults": 10},
    )
    body = harness.invoke(harness.event("model_delete"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        f"Cannot delete the custom model: custom model deployment {deployment} still uses it. Delete that first, then "
        "retry the deletion (or set RemovalPolicy to Retain)."
    )
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN


def test_unknown_resource_type_fails_clearly(harness):
    body = harness.invoke(harness.event("model_create", ResourceType="Custom::Other"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Unsupported resource type Custom::Other")


def test_delete_of_a_model_still_creating_waits_then_deletes(harness):
    # GIVEN a Create that ran out of time left the model Creating, its ARN as physical id
    harness.bedrock.add_response("get_custom_model", harness.model_description("Creating"))
    expect_digest_tag(harness, harness.event("model_delete")["ResourceProperties"])
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("model_delete")) is None
    harness.bedrock.add_response("get_custom_model", harness.model_description("Active"))
    expect_digest_tag(harness, harness.event("model_delete")["ResourceProperties"])  # each poll checks again
    harness.bedrock.add_response("delete_custom_model", {}, {"modelIdentifier": harness.IMPORTED_MODEL_ARN})
    harness.expect_poll_teardown()
    assert harness.invoke(harness.poll_event())["Status"] == "SUCCESS"


def test_delete_of_a_model_that_disappeared_while_deleting_succeeds(harness):
    harness.bedrock.add_response("get_custom_model", harness.model_description("Failed"))
    expect_digest_tag(harness, harness.event("model_delete")["ResourceProperties"])
    harness.bedrock.add_client_error("delete_custom_model", "ResourceNotFoundException", "not found", 404)
    assert harness.invoke(harness.event("model_delete"))["Status"] == "SUCCESS"


def test_redelivered_model_create_keeps_the_budget_of_the_model_it_started(harness):
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(harness.event("model_create")) is None
    created = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=3600 - 60)
    harness.bedrock.add_response("get_custom_model", harness.model_description("Creating", creationTime=created))
    harness.expect_poll_teardown()
    body = harness.invoke(harness.poll_event())
    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("Custom model still Creating: CloudFormation's custom-resource limit")
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN


def test_fifty_model_tags_fail_first_invocation_the_provider_needs_one(harness):
    event = harness.event("model_create")
    event["ResourceProperties"]["modelTags"] = [{"key": f"k{i}", "value": "v"} for i in range(50)]
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Invalid properties: modelTags must have at most 49 tags (got 50): the provider")
    assert harness.calls == {}


def test_bad_input_in_an_update_fails_first_invocation_and_calls_nothing(harness):
    event = harness.event("model_update")
    event["ResourceProperties"]["modelName"] = "not a valid name"
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Invalid properties: modelName must match pattern")
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert harness.calls == {}


def test_a_name_change_alone_replaces_the_model_under_the_new_name(harness):
    event = harness.event("model_update")
    event["OldResourceProperties"]["modelName"] = "nova-v1"
    event["ResourceProperties"]["modelName"] = "nova-v2"
    expect_digest_tag(harness, event["OldResourceProperties"])
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    assert harness.calls["CreateCustomModel"][0]["modelName"] == "nova-v2"
    assert harness.poll_event()["CrHelperData"]["PhysicalResourceId"] == harness.NEW_IMPORTED_MODEL_ARN


def test_a_key_change_with_a_generated_name_replaces_the_model_under_a_new_generated_name(harness):
    event = harness.event("model_update")
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    event["ResourceProperties"]["modelKmsKeyArn"] = key
    expect_digest_tag(harness, event["OldResourceProperties"])
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    sent = harness.calls["CreateCustomModel"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["modelKmsKeyArn"] == key
    assert sent["modelName"] == naming.generated_name(*ids, "model")  # this request's name: no collision


def test_a_replacement_still_creating_at_the_wait_limit_fails_and_leaves_the_model_to_the_rollback(harness):
    event = harness.event("model_update")
    event["ResourceProperties"]["modelSourceConfig"] = {"s3DataSource": {"s3Uri": "s3://bedrock-managed/v2/"}}
    expect_digest_tag(harness, event["OldResourceProperties"])
    harness.bedrock.add_response("create_custom_model", {"modelArn": harness.NEW_IMPORTED_MODEL_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    poll = harness.poll_event()
    # WHEN a poll comes when the next one would be past CloudFormation's limit, the new model still Creating
    poll = harness.aged(poll, int(event["ResourceProperties"]["ServiceTimeout"]))
    creating = harness.model_description("Creating", arn=harness.NEW_IMPORTED_MODEL_ARN)
    harness.bedrock.add_response("get_custom_model", creating)
    harness.bedrock.add_response("get_custom_model", creating)
    harness.expect_poll_teardown()
    body = harness.invoke(poll)
    # THEN FAILED with the old model's id, saying why; the new model is not deleted (it cannot be yet)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Custom model still Creating: CloudFormation's custom-resource limit")
    assert body["Reason"].endswith("The rollback deletes it when created.")
    assert body["PhysicalResourceId"] == harness.IMPORTED_MODEL_ARN
    assert "DeleteCustomModel" not in harness.calls
