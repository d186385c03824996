"""The provider applies the hyperparameter catalogue before calling Bedrock: a value that was a token at synth fails
the first invocation naming the hyperparameter, and nothing is started."""

from __future__ import annotations

from bedrock_customization_provider import contract


def test_out_of_range_hyperparameter_fails_first_invocation_and_starts_nothing(harness):
    # GIVEN a Titan Text Express job (the sample's unversioned id) with an epoch count above the documented 10;
    # no response is queued on the Bedrock stub, so any call would fail the test
    event = harness.event("job_create")
    event["ResourceProperties"]["hyperParameters"] = {"epochCount": "12", "batchSize": "1", "learningRate": "0.00001"}

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    assert body["Reason"] == (
        "Invalid properties: hyperParameters.epochCount must be between 1 and 10 for "
        "amazon.titan-text-express-v1:0:8k FINE_TUNING (got '12')"
    )
    assert not harness.calls.get("CreateModelCustomizationJob")


def test_unknown_hyperparameter_name_fails_with_the_closest_valid_name(harness):
    event = harness.event("job_create")
    event["ResourceProperties"]["hyperParameters"] = {"epochs": "2"}

    body = harness.invoke(event)

    assert body["Status"] == "FAILED"
    assert "hyperParameters.epochs is not a hyperparameter for amazon.titan-text-express-v1:0:8k" in body["Reason"]
    assert "did you mean epochCount?" in body["Reason"]
    assert not harness.calls.get("CreateModelCustomizationJob")


def test_documented_hyperparameters_start_the_job(harness):
    # GIVEN the sample's values, all within Titan Text Express's ranges
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()

    assert harness.invoke(harness.event("job_create")) is None  # started; the first poll is scheduled

    assert len(harness.calls["CreateModelCustomizationJob"]) == 1


def test_client_request_token_passes_when_removed_from_a_pasted_cli_body(harness):
    # the failing case is test_job_failures.test_client_request_token_in_properties_is_refused
    event = harness.event("job_create")
    event["ResourceProperties"].pop("clientRequestToken", None)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()

    assert harness.invoke(event) is None
    sent = harness.calls["CreateModelCustomizationJob"][0]
    assert sent["clientRequestToken"] != "mine"
