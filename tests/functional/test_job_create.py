"""Create of ``Custom::BedrockModelCustomizationJob`` through the real crhelper flow."""

from __future__ import annotations

import threading

from bedrock_customization_provider import contract, naming
from bedrock_customization_provider.lifecycle import api_members


def start_job(harness, event: dict) -> None:
    """GIVEN Bedrock accepts the job and crhelper sets up its poll, WHEN the Create arrives, THEN no response yet."""
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None


def test_create_polls_until_completed_then_succeeds_with_attributes(harness):
    event = harness.event("job_create")
    start_job(harness, event)
    poll = harness.poll_event()

    # WHEN the first poll finds the job still running THEN nothing is answered yet
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("InProgress"), {"jobIdentifier": harness.JOB_ARN}
    )
    assert harness.invoke(poll) is None

    # WHEN the next poll finds it completed THEN SUCCESS with every attribute and the poll machinery removed
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description(
            "Completed",
            outputModelArn=harness.MODEL_ARN,
            trainingMetrics={"trainingLoss": 0.25},
            validationMetrics=[{"validationLoss": 0.5}],
        ),
    )
    harness.expect_poll_teardown()
    body = harness.invoke(poll)

    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert body["Data"] == {
        contract.ATTR_JOB_ARN: harness.JOB_ARN,
        contract.ATTR_JOB_NAME: "demo-stack-FineTuneJob1A2B3C4D-0123456789ab",
        contract.ATTR_CUSTOM_MODEL_ARN: harness.MODEL_ARN,
        contract.ATTR_CUSTOM_MODEL_NAME: "demo-custom-model",
        contract.ATTR_STATUS: "Completed",
        contract.ATTR_TRAINING_LOSS: "0.25",
        contract.ATTR_VALIDATION_LOSS: "0.5",
        contract.ATTR_OUTPUT_S3_URI: "s3://demo-bucket/output/",
    }
    assert body["RequestId"] == event["RequestId"] and body["LogicalResourceId"] == event["LogicalResourceId"]


def test_create_sends_the_api_request_with_derived_name_and_token_and_restored_types(harness):
    # GIVEN properties as CloudFormation sends them: every number and boolean a string
    event = harness.event("job_create")
    event["ResourceProperties"]["customizationType"] = "REINFORCEMENT_FINE_TUNING"
    event["ResourceProperties"]["customizationConfig"] = {
        "rftConfig": {
            "graderConfig": {"lambdaGrader": {"lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:grader"}},
            "hyperParameters": {"epochCount": "3", "learningRate": "0.0001", "batchSize": "32"},
        }
    }
    event["ResourceProperties"]["trainingDataConfig"] = {
        "invocationLogsConfig": {
            "usePromptResponse": "true",
            "invocationLogSource": {"s3Uri": "s3://demo-bucket/logs/"},
        }
    }
    start_job(harness, event)

    sent = harness.calls["CreateModelCustomizationJob"][0]
    ids = (event["StackId"], event["LogicalResourceId"], event["RequestId"])
    assert sent["jobName"] == naming.generated_name(*ids, "job")
    defining = naming.properties_digest(api_members(event["ResourceProperties"]), contract.JOB_TAG_MEMBERS)
    assert sent["clientRequestToken"] == naming.client_request_token(*ids, "job", defining)
    assert sent["customModelName"] == "demo-custom-model"
    hyper = sent["customizationConfig"]["rftConfig"]["hyperParameters"]
    assert hyper == {"epochCount": 3, "learningRate": 0.0001, "batchSize": 32}
    assert sent["trainingDataConfig"]["invocationLogsConfig"]["usePromptResponse"] is True
    assert sent["hyperParameters"] == {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"}
    assert not set(sent) & contract.PROVIDER_KEYS


def test_poll_rule_and_target_stay_within_eventbridge_limits(harness):
    # GIVEN a deeply nested construct path (255-character logical id), 50 tags of maximum size and long filters
    event = harness.event("job_create", LogicalResourceId="Stack" + "NestedConstruct" * 16 + "X" * 10)
    assert len(event["LogicalResourceId"]) == 255
    props = event["ResourceProperties"]
    props["jobTags"] = [{"key": f"k{i:02d}" + "k" * 125, "value": "v" * 256} for i in range(50)]
    props["customModelTags"] = props["jobTags"]
    props["trainingDataConfig"] = {
        "invocationLogsConfig": {
            "invocationLogSource": {"s3Uri": "s3://demo-bucket/logs/"},
            "requestMetadataFilters": {"orAll": [{"equals": {f"key{i}" + "k" * 200: "v" * 256}} for i in range(16)]},
        }
    }
    start_job(harness, event)

    rule_name = harness.calls["PutRule"][0]["Name"]
    assert len(rule_name) <= 64 and rule_name.startswith(contract.POLL_RULE_PREFIX)
    assert harness.calls["AddPermission"][0]["StatementId"] == rule_name  # <= 100 characters
    assert harness.calls["AddPermission"][0]["FunctionName"] == harness.context.function_name
    target = harness.calls["PutTargets"][0]["Targets"][0]
    assert len(target["Input"]) <= 8192
    assert target["Arn"].endswith(f":function:{harness.context.function_name}")
    poll = harness.poll_event()
    assert set(poll["ResourceProperties"]) == {"ServiceToken", "ServiceTimeout", "RemovalPolicy"}
    assert poll["CrHelperData"]["PhysicalResourceId"] == harness.JOB_ARN


def test_duplicate_delivery_starts_no_second_job(harness):
    # GIVEN the same Create delivered twice (Lambda's at-least-once async invocation)
    event = harness.event("job_create")
    start_job(harness, event)
    # WHEN it arrives again, Bedrock's idempotency answers the same job for the same token
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.events.add_response("put_rule", {"RuleArn": "arn:aws:events:us-east-1:123456789012:rule/r"})
    harness.lambda_.add_client_error("add_permission", "ResourceConflictException", "Statement already exists")
    harness.events.add_response("put_targets", {"FailedEntryCount": 0, "FailedEntries": []})
    assert harness.invoke(event) is None

    first, second = harness.calls["CreateModelCustomizationJob"]
    assert first == second  # same token, same name: Bedrock sees one request
    assert harness.calls["PutRule"][0]["Name"] == harness.calls["PutRule"][1]["Name"]  # one rule, not two pollers


def test_redelivery_answered_name_in_use_resolves_to_the_job_with_our_token(harness):
    event = harness.event("job_create")
    start_job(harness, event)
    token = harness.calls["CreateModelCustomizationJob"][0]["clientRequestToken"]
    name = harness.calls["CreateModelCustomizationJob"][0]["jobName"]

    # WHEN Bedrock answers the redelivery with "name in use" THEN the provider finds the job that holds our token
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ValidationException", "The provided job name is currently in use."
    )
    harness.bedrock.add_response(
        "get_model_customization_job",
        harness.job_description("InProgress", clientRequestToken=token, jobName=name),
        {"jobIdentifier": name},
    )
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    assert harness.poll_event()["CrHelperData"]["PhysicalResourceId"] == harness.JOB_ARN


def test_fixed_job_name_in_use_by_another_job_fails_with_what_to_do(harness):
    event = harness.event("job_create")
    event["ResourceProperties"]["jobName"] = "my-fixed-job"
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ValidationException", "The provided job name is currently in use."
    )
    harness.bedrock.add_response(
        "get_model_customization_job", harness.job_description("Completed", clientRequestToken="someone-else")
    )
    body = harness.invoke(event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("jobName my-fixed-job is already used by another job")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_iam_propagation_is_retried_then_succeeds(harness):
    event = harness.event("job_create")
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ValidationException", "Could not assume provided IAM role."
    )
    harness.bedrock.add_client_error(
        "create_model_customization_job",
        "AccessDeniedException",
        "bedrock.amazonaws.com is not authorized to assume role demo-stack-BedrockRole",
        http_status_code=403,
    )
    start_job(harness, event)
    assert len(harness.calls["CreateModelCustomizationJob"]) == 3


def test_throttling_and_server_errors_are_retried(harness):
    event = harness.event("job_create")
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ThrottlingException", "Rate exceeded", http_status_code=429
    )
    harness.bedrock.add_client_error(
        "create_model_customization_job", "InternalServerException", "Internal error", http_status_code=500
    )
    harness.bedrock.add_client_error(
        "create_model_customization_job", "ServiceUnavailable", "Unavailable", http_status_code=503
    )
    start_job(harness, event)
    assert len(harness.calls["CreateModelCustomizationJob"]) == 4


def test_a_create_without_time_for_one_whole_attempt_calls_nothing_and_fails_saying_so(harness):
    # GIVEN a Lambda with less time left than one Bedrock attempt (35 s) plus the answer's reserve (15 s): an attempt
    # the timeout cut off could start a job that nobody learns of
    harness.context.remaining_ms = 49_000
    body = harness.invoke(harness.event("job_create"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Not enough Lambda time left for create_model_customization_job")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID  # nothing was started
    assert "CreateModelCustomizationJob" not in harness.calls


def test_a_create_cut_off_by_the_lambda_timeout_answers_an_id_the_rollback_cleans_up(harness):
    # GIVEN Bedrock is slow to answer and the function's time runs out meanwhile (crhelper's timer fires)
    class ShortLived(type(harness.context)):
        def get_remaining_time_in_millis(self) -> int:
            self.calls = getattr(self, "calls", 0) + 1
            return 600 if self.calls == 1 else 900_000  # crhelper's timer first (0.1 s), then the retry deadline

    harness.context = ShortLived()
    released = threading.Event()

    def slow(**_: object) -> None:
        released.wait(60)

    harness.runtime.clients.bedrock.meta.events.register(
        "before-parameter-build.bedrock.CreateModelCustomizationJob", slow
    )
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()  # the late part of the invocation still runs here (in Lambda it would be frozen)
    event = harness.event("job_create")
    harness.mark()
    thread = threading.Thread(target=harness.invoke_quietly, args=(event,))
    thread.start()
    answer = harness.wait_for_response(timeout=60)  # a guard against a hang, not a speed check
    released.set()
    thread.join()
    harness.runtime.clients.bedrock.meta.events.unregister(
        "before-parameter-build.bedrock.CreateModelCustomizationJob", slow
    )

    # THEN CloudFormation got FAILED with a physical id that is neither empty nor the "nothing started" sentinel:
    # the rollback's Delete searches for what this Create started and stops it; and nothing is sent after it
    assert answer["Status"] == "FAILED"
    assert answer["PhysicalResourceId"] == contract.UNCERTAIN_CREATE_PHYSICAL_ID
    assert "ran out of Lambda time" in answer["Reason"]
    assert harness.responses_since_mark() == 1


def test_unknown_bedrock_error_fails_create_with_its_message_and_sentinel_id(harness):
    harness.bedrock.add_client_error(
        "create_model_customization_job",
        "ServiceQuotaExceededException",
        "You have reached the maximum number of concurrent jobs.",
    )
    body = harness.invoke(harness.event("job_create"))
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("You have reached the maximum number of concurrent jobs.")
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID


def test_start_time_is_recorded_for_the_wait_limit(harness):
    start_job(harness, harness.event("job_create"))
    started_at = harness.poll_event()["CrHelperData"]["StartedAt"]
    assert isinstance(started_at, int) and started_at > 1_700_000_000
