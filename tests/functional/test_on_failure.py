"""The on-failure destination: a request the provider dropped is answered FAILED once, and only when nobody else will.

AWS is stubbed at the HTTP boundary (botocore Stubber for CloudFormation and EventBridge); the answer goes over HTTPS
to the session's response server, as CloudFormation's presigned URL would receive it.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from bedrock_customization_provider import contract, on_failure
from bedrock_customization_provider.cfn_resource import rule_name_for
from botocore.stub import Stubber

ACCOUNT = "111122223333"
STACK_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/demo-stack/5b6a3a40-ab12-11ee-9f4e-0a1b2c3d4e5f"


def request(response_url: str, request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    event = {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": f"req-{request_type.lower()}-1",
        "ResourceType": contract.JOB_RESOURCE_TYPE,
        "LogicalResourceId": "FineTune",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:provider"},
        **extra,
    }
    return event


def record(payload: dict[str, Any], condition: str = "RetriesExhausted") -> dict[str, Any]:
    """Lambda's on-failure invocation record (AWS Lambda developer guide, "Capturing records of asynchronous
    invocations")."""
    return {
        "version": "1.0",
        "timestamp": "2025-01-01T00:10:00.000Z",
        "requestContext": {
            "requestId": "0d3b1c3e-1111-2222-3333-444455556666",
            "functionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:provider:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "Runtime.ExitError", "errorMessage": "RequestId: x Error: exited"},
    }


class Aws:
    """CloudFormation and EventBridge clients behind Stubbers, and the answers the response server got."""

    def __init__(self, response_server) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        self.events = boto3.client("events", region_name="us-east-1")
        self.cfn_stub = Stubber(self.cloudformation)
        self.events_stub = Stubber(self.events)
        self.server = response_server
        self.already = len(response_server.received)

    def no_poll_rule(self, event: dict[str, Any]) -> None:
        self.events_stub.add_client_error(
            "list_targets_by_rule",
            service_error_code="ResourceNotFoundException",
            expected_params={"Rule": rule_name_for(event)},
        )

    def poll_rule_with_target(self, event: dict[str, Any]) -> None:
        self.events_stub.add_response(
            "list_targets_by_rule",
            {"Targets": [{"Id": "1", "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:provider"}]},
            {"Rule": rule_name_for(event)},
        )

    def resource_status(self, status: str) -> None:
        detail = {
            "LogicalResourceId": "FineTune",
            "ResourceType": contract.JOB_RESOURCE_TYPE,
            "LastUpdatedTimestamp": "2025-01-01T00:00:00Z",
            "ResourceStatus": status,
        }
        self.cfn_stub.add_response(
            "describe_stack_resource",
            {"StackResourceDetail": detail},
            {"StackName": STACK_ID, "LogicalResourceId": "FineTune"},
        )

    def answer(self, the_record: dict[str, Any]) -> str:
        with self.cfn_stub, self.events_stub:
            outcome = on_failure.answer_dropped_request(
                the_record,
                stack_id=STACK_ID,
                cloudformation=self.cloudformation,
                events=self.events,
                ssl_verify=self.server.ca_bundle,
            )
            self.cfn_stub.assert_no_pending_responses()
            self.events_stub.assert_no_pending_responses()
        return outcome

    @property
    def answers(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.server.received[self.already :]]


@pytest.fixture
def aws(response_server) -> Aws:
    return Aws(response_server)


def test_dropped_create_is_answered_failed_as_uncertain_so_the_rollback_cleans_up(aws):
    # GIVEN a Create the provider dropped (every attempt crashed), no poll rule, CloudFormation still creating
    event = request(aws.server.url)
    aws.no_poll_rule(event)
    aws.resource_status("CREATE_IN_PROGRESS")
    # WHEN its on-failure record arrives
    outcome = aws.answer(record(event))
    # THEN the request is answered FAILED once, with the sentinel the rollback's Delete searches from
    assert outcome.startswith("answered FAILED")
    (answer,) = aws.answers
    assert answer["Status"] == "FAILED"
    assert answer["PhysicalResourceId"] == contract.UNCERTAIN_CREATE_PHYSICAL_ID
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        STACK_ID,
        "req-create-1",
        "FineTune",
    )
    assert answer["Reason"].startswith("The provider function failed on every attempt (Runtime.ExitError)")


def test_dropped_delete_keeps_its_physical_id(aws):
    job = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/abc"
    event = request(aws.server.url, "Delete", PhysicalResourceId=job)
    aws.no_poll_rule(event)
    aws.resource_status("DELETE_IN_PROGRESS")
    aws.answer(record(event, condition="EventAgeExceeded"))
    (answer,) = aws.answers
    assert answer["PhysicalResourceId"] == job
    assert answer["Reason"].startswith("The provider function never ran this request")


def test_a_request_already_answered_is_not_answered_again(aws):
    # GIVEN a Create that was answered (the resource moved on: created, or failed and now rolling back)
    event = request(aws.server.url)
    aws.no_poll_rule(event)
    aws.resource_status("DELETE_IN_PROGRESS")
    # WHEN its record arrives THEN nothing is sent
    assert aws.answer(record(event)).startswith("ignored: CloudFormation no longer waits")
    assert aws.answers == []


def test_a_request_handed_to_its_polls_is_left_to_them(aws):
    # GIVEN the first attempt scheduled the polls (rule with its target) before the invocation crashed
    event = request(aws.server.url)
    aws.poll_rule_with_target(event)
    # THEN the polls answer; CloudFormation is not even asked
    assert aws.answer(record(event)) == "ignored: its polls are scheduled and will answer it"
    assert aws.answers == []


def test_a_poll_is_never_answered_here(aws):
    # GIVEN a crhelper poll that failed on every attempt (its URL is sealed; its rule fires again next interval)
    poll = request(aws.server.url, CrHelperPoll=True)
    del poll["ResponseURL"]
    # THEN nothing is called and nothing is sent
    assert aws.answer(record(poll)).startswith("ignored: a poll")
    assert aws.answers == []


def test_a_request_of_another_stack_is_not_answered(aws):
    event = request(aws.server.url, StackId=STACK_ID.replace("demo-stack", "other-stack"))
    assert aws.answer(record(event)).startswith("ignored: not a request of this stack")
    assert aws.answers == []


def test_the_resource_gone_from_the_stack_is_not_answered(aws):
    event = request(aws.server.url)
    aws.no_poll_rule(event)
    aws.cfn_stub.add_client_error(
        "describe_stack_resource", service_error_code="ValidationError", service_message="Stack does not exist"
    )
    assert "resource status unknown" in aws.answer(record(event))
    assert aws.answers == []


@pytest.mark.parametrize(
    "event",
    [
        {"version": "1.0", "requestContext": {"condition": "Success"}, "requestPayload": {}},
        {"source": "aws.bedrock", "detail-type": contract.JOB_EVENT_DETAIL_TYPE},
        ["not", "an", "object"],
    ],
    ids=["success-record", "bedrock-event", "list"],
)
def test_anything_but_a_failure_record_is_ignored(aws, event):
    assert aws.answer(event) == "ignored: not an on-failure invocation record"
    assert aws.answers == []
