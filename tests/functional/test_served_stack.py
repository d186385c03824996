"""A provider stack serving a plain CloudFormation stack by name (``SERVED_STACK``, docs/cloudformation.md): requests
from that stack are answered, every other stack's are dropped before any AWS call, and the rules the function puts
carry its own stack's GUID (the rules its role may touch), not the served stack's."""

from __future__ import annotations

import datetime
import json

import pytest
from bedrock_customization_provider import contract, served_stack

PROVIDER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/ml-provider/11111111-2222-4333-8444-555555555555"
SERVED = served_stack.served_stack_pattern("aws", "us-east-1", "123456789012", "ml-jobs")
ML_JOBS = "arn:aws:cloudformation:us-east-1:123456789012:stack/ml-jobs/0a0a0a0a-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("stack_id", "served"),
    [
        (ML_JOBS, True),
        (ML_JOBS.replace("0a0a0a0a", "0b0b0b0b"), True),  # the same name recreated: a new GUID
        (ML_JOBS.replace("stack/ml-jobs/", "stack/ml-jobs-evil/"), False),  # a name that only starts the same
        (ML_JOBS.replace("stack/ml-jobs/", "stack/ml/"), False),
        (ML_JOBS.replace("us-east-1", "eu-west-1"), False),
        (ML_JOBS.replace("123456789012", "210987654321"), False),
        (ML_JOBS + "/extra", False),
        (SERVED[:-1], False),  # no GUID at all
    ],
)
def test_a_served_name_matches_that_stack_under_any_guid_and_nothing_else(stack_id, served):
    assert served_stack.serves(SERVED, stack_id) is served


def test_a_served_stack_id_matches_that_stack_only():
    assert served_stack.serves(ML_JOBS, ML_JOBS)
    assert not served_stack.serves(ML_JOBS, ML_JOBS.replace("0a0a0a0a", "0b0b0b0b"))


def test_the_served_stack_is_read_by_name_when_served_by_name():
    assert served_stack.stack_to_read(SERVED) == "ml-jobs"
    assert served_stack.stack_to_read(ML_JOBS) == ML_JOBS


@pytest.fixture
def provider_stack(harness, monkeypatch):
    """The harness's function as a provider stack serving the stack of tests/events/*.json by its name."""
    monkeypatch.setenv(contract.ENV_STACK_ID, PROVIDER_STACK)
    monkeypatch.setenv(
        contract.ENV_SERVED_STACK, served_stack.served_stack_pattern("aws", "us-east-1", "123456789012", "demo-stack")
    )
    return harness


def test_a_provider_stack_answers_its_served_stack_and_names_its_poll_rule_after_itself(provider_stack):
    harness = provider_stack
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    harness.invoke(harness.event("job_create"))
    assert "CreateModelCustomizationJob" in harness.calls
    rule = harness.calls["PutRule"][-1]["Name"]
    assert rule.startswith(contract.poll_rule_prefix(PROVIDER_STACK))  # the provider's GUID: its role's rules


def test_a_provider_stack_drops_a_request_of_another_stack(provider_stack):
    harness = provider_stack
    event = harness.event("job_create")
    event["StackId"] = event["StackId"].replace("stack/demo-stack/", "stack/demo-stack-2/")
    assert harness.invoke(event) is None
    assert not harness.calls


# --- the long wait of a served stack ---------------------------------------------------------------------------------
def _scheduled_event() -> dict:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-02T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }


def test_a_poll_reads_the_served_stack_by_name_and_signals_it_by_name(provider_stack):
    harness = provider_stack
    condition = "FineTuneWait"
    harness.cloudformation.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                _summary("FineTune", contract.JOB_RESOURCE_TYPE, "CREATE_COMPLETE", harness.JOB_ARN),
                _summary(condition, "AWS::CloudFormation::WaitCondition", "CREATE_IN_PROGRESS", "cond"),
            ]
        },
        {"StackName": "demo-stack"},
    )
    harness.cloudformation.add_response(
        "describe_stack_resource",
        {
            "StackResourceDetail": {
                "LogicalResourceId": condition,
                "ResourceType": "AWS::CloudFormation::WaitCondition",
                "LastUpdatedTimestamp": _NOW,
                "ResourceStatus": "CREATE_IN_PROGRESS",
                "Metadata": json.dumps({contract.WAIT_MEMBERS_METADATA: ["FineTune"]}),
            }
        },
        {"StackName": "demo-stack", "LogicalResourceId": condition},
    )
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.cloudformation.add_response(
        "signal_resource",
        {},
        {"StackName": "demo-stack", "LogicalResourceId": condition, "UniqueId": "abcdef123456", "Status": "SUCCESS"},
    )
    harness.cloudformation.add_response(
        "describe_stacks", {"Stacks": [_stack("CREATE_IN_PROGRESS")]}, {"StackName": "demo-stack"}
    )

    harness.invoke(_scheduled_event())

    assert [c["LogicalResourceId"] for c in harness.calls["SignalResource"]] == [condition]


def test_a_poll_while_the_served_stack_does_not_exist_disables_the_providers_own_rule(provider_stack):
    harness = provider_stack
    missing = "Stack with id demo-stack does not exist"
    harness.cloudformation.add_client_error("list_stack_resources", "ValidationError", missing)
    harness.cloudformation.add_client_error("describe_stacks", "ValidationError", missing)
    own_rule = contract.wait_rule_name(PROVIDER_STACK)
    harness.events.add_response("disable_rule", {}, {"Name": own_rule})
    harness.cloudformation.add_client_error("describe_stacks", "ValidationError", missing)

    harness.invoke(_scheduled_event())

    assert harness.calls["DisableRule"] == [{"Name": own_rule}]


_NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)


def _summary(logical_id: str, resource_type: str, status: str, physical_id: str) -> dict:
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": physical_id,
        "ResourceType": resource_type,
        "ResourceStatus": status,
        "LastUpdatedTimestamp": _NOW,
    }


def _stack(status: str) -> dict:
    return {"StackName": "demo-stack", "StackId": ML_JOBS, "StackStatus": status, "CreationTime": _NOW}
