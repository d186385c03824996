"""The long wait's CloudFormation side as the driver plays it: a CreationPolicy wait condition in the graph, signalled
through CloudFormation's API (SignalResource, ListStackResources, DescribeStacks) by a reconciling probe provider that
a template-declared rate rule invokes, or by the test itself on a frozen clock."""

from __future__ import annotations

import copy
import json
import threading
import time
from datetime import datetime

import boto3
import pytest
from bedrock_customization_local.driver.assembly import CloudAssembly
from bedrock_customization_local.driver.errors import DriverError
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackRunner
from bedrock_customization_local.emulator import Emulator
from botocore.exceptions import ClientError

from .conftest import function_resource, stack_guid_name, write_assembly, write_reconciler_asset

PROBE = "Custom::Probe"
WAIT = "AWS::CloudFormation::WaitCondition"
TOKEN = {"Fn::GetAtt": ["Provider", "Arn"]}
TIMEOUT_REASON = "Failed to receive 1 resource signal(s) within the specified duration"


def _template(*, signal: str = "SUCCESS", timeout: str = "PT12H", count: int = 1, wait_id: str = "JobWait1a2b3c4d"):
    provider = function_resource(handler="bedrock_customization_provider.handler.main")
    provider["Properties"]["Environment"]["Variables"].update(
        {"STACK_ID": {"Ref": "AWS::StackId"}, "SIGNAL_STATUS": signal}
    )
    return {
        "Resources": {
            "ProviderRole": {"Type": "AWS::IAM::Role"},
            "Provider": provider,
            "ProviderWaitPoll": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Name": stack_guid_name("bedrock-cr-wait-"),
                    "ScheduleExpression": "rate(1 minute)",
                    "State": "ENABLED",
                    "Targets": [{"Id": "Provider", "Arn": TOKEN}],
                },
            },
            "ProviderWaitPollPermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": TOKEN,
                    "Principal": "events.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": ["ProviderWaitPoll", "Arn"]},
                },
            },
            "Job": {
                "Type": PROBE,
                "Properties": {"ServiceToken": TOKEN, "Id": "job-1"},
                "DependsOn": ["ProviderWaitPoll", "ProviderWaitPollPermission"],
            },
            wait_id: {
                "Type": WAIT,
                "DependsOn": "Job",
                "CreationPolicy": {"ResourceSignal": {"Count": count, "Timeout": timeout}},
                "Metadata": {"WaitsFor": ["Job"]},
            },
            "JobResult": {
                "Type": PROBE,
                "DependsOn": wait_id,
                "Properties": {
                    "ServiceToken": TOKEN,
                    "Id": "result-1",
                    "ResourceArn": {"Fn::GetAtt": ["Job", "Echo"]},
                    "Signals": {"Fn::GetAtt": [wait_id, "Data"]},
                },
            },
        }
    }


def _runner(cloud, tmp_path, template):
    directory = write_assembly(tmp_path / "cdk.out", template)
    write_reconciler_asset(directory / "asset.abc123")
    return StackRunner(cloud, CloudAssembly.load(directory).stack())


def _events(runner, logical_id):
    return [(e.status, e.reason) for e in runner.events if e.logical_id == logical_id]


def _sent(runner):
    return [(e["RequestType"], e["LogicalResourceId"]) for e in runner.requests]


def _in_background(runner, template=None):
    """deploy() on a thread (the test signals meanwhile); returns (thread, box holding the outcome)."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("outcome", runner.deploy(template)), daemon=True)
    thread.start()
    return thread, box


def _until(predicate, what, wall_seconds=60.0):
    """Wait for the driver's loop (on its thread) to get somewhere; the bound only guards against a hang."""
    deadline = time.monotonic() + wall_seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except ClientError:  # the stack does not exist yet: the thread has not started the operation
            value = None
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def _status(cfn, logical_id, stack="Demo"):
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
    for summary in (s for page in pages for s in page["StackResourceSummaries"]):
        if summary["LogicalResourceId"] == logical_id:
            return summary["ResourceStatus"]
    return None


def _error(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


# --- the emulator's routing hook -----------------------------------------------------------------------------------
def test_route_service_sends_one_signing_name_to_another_app_and_unroute_gives_it_back_to_moto():
    seen = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        body = (
            b'<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
            b"<DescribeStacksResult><Stacks><member><StackName>routed</StackName>"
            b"<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>"
            b"</member></Stacks></DescribeStacksResult></DescribeStacksResponse>"
        )
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    with Emulator(speed=0) as emulator:
        kwargs = {"endpoint_url": emulator.endpoint_url, "region_name": "us-east-1"}
        cfn = boto3.client("cloudformation", **kwargs)
        assert cfn.describe_stacks()["Stacks"] == []  # moto's, by default
        emulator.app.route_service("cloudformation", app)
        assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == ["routed"]
        # other services still reach moto
        assert boto3.client("sts", **kwargs).get_caller_identity()["Account"] == "123456789012"
        emulator.app.unroute_service("cloudformation")
        assert cfn.describe_stacks()["Stacks"] == [] and len(seen) == 1
        with pytest.raises(ValueError, match="cannot be routed"):
            emulator.app.route_service("bedrock", app)


# --- conditions completed, timed out, failed ------------------------------------------------------------------------
@pytest.mark.integration
def test_a_poll_from_a_template_rule_signals_the_condition_and_the_stack_completes(cloud, tmp_path):
    runner = _runner(cloud, tmp_path, _template())
    # WHEN the stack is created: the rate rule exists before the job; its first poll finds the condition waiting
    outcome = runner.deploy()
    # THEN the condition got the signal and what depends on it was created after it
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    assert _events(runner, "JobWait1a2b3c4d") == [
        ("CREATE_IN_PROGRESS", ""),
        ("CREATE_IN_PROGRESS", "Received SUCCESS signal with UniqueId job-1"),
        ("CREATE_COMPLETE", ""),
    ]
    assert _sent(runner) == [("Create", "Job"), ("Create", "JobResult")]
    assert json.loads(runner.requests[1]["ResourceProperties"]["Signals"]) == {"job-1": None}  # GetAtt cond.Data
    # AND the poll was EventBridge's Scheduled Event from the rule (no Input), allowed by the template's permission
    rule_name = runner.records["ProviderWaitPoll"].physical_id
    assert rule_name == "bedrock-cr-wait-" + runner.env.stack_id.split("/")[2]
    polls = [d for d in cloud.polls.deliveries if d.rule == rule_name]
    assert polls and polls[0].detail_type == "Scheduled Event" and polls[0].outcome == "ok"
    log = cloud.lambdas.logs(runner.records["Job"].function)
    assert "SIGNALLED JobWait1a2b3c4d job-1 SUCCESS while CREATE_IN_PROGRESS" in log
    # AND the stack deletes cleanly: rule and permission gone, dependents first
    mark = len(runner.requests)
    assert runner.destroy().ok
    assert _sent(runner)[mark:] == [("Delete", "JobResult"), ("Delete", "Job")]
    order = [e.logical_id for e in runner.events if e.status == "DELETE_COMPLETE"]
    assert order.index("JobWait1a2b3c4d") < order.index("Job") < order.index("ProviderWaitPoll")
    assert find_leftovers(cloud) == []


@pytest.mark.integration
def test_a_condition_never_signalled_times_out_on_the_virtual_clock_and_the_stack_rolls_back(cloud, tmp_path):
    # GIVEN a 10-minute wait nobody signals (the rule polls, the provider signals nothing)
    runner = _runner(cloud, tmp_path, _template(signal="NONE", timeout="PT10M"))
    started = cloud.clock.now()
    outcome = runner.deploy()
    # THEN the condition fails with CloudFormation's words after 10 virtual minutes
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.failures == [("JobWait1a2b3c4d", TIMEOUT_REASON)]
    assert cloud.clock.now() - started >= 600
    # AND the rollback deleted the job created before it (and the condition, rule and permission); the reader never ran
    assert _sent(runner) == [("Create", "Job"), ("Delete", "Job")]
    assert _events(runner, "JobWait1a2b3c4d")[-2:] == [("DELETE_IN_PROGRESS", ""), ("DELETE_COMPLETE", "")]
    assert runner.records == {}
    assert find_leftovers(cloud) == []


@pytest.mark.integration
def test_a_failure_signal_fails_the_condition_at_once(cloud, tmp_path):
    runner = _runner(cloud, tmp_path, _template(signal="FAILURE"))
    outcome = runner.deploy()
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.failures == [("JobWait1a2b3c4d", "Received FAILURE signal with UniqueId job-1")]
    assert ("Delete", "Job") in _sent(runner)
    assert find_leftovers(cloud) == []


def test_a_timeout_over_twelve_hours_is_refused_before_anything_starts(cloud, tmp_path):
    runner = _runner(cloud, tmp_path, _template(timeout="PT12H1S"))
    with pytest.raises(DriverError, match="exceeds the maximum of PT12H"):
        runner.deploy()
    assert runner.requests == []


# --- SignalResource, ListStackResources and DescribeStacks through boto3 -------------------------------------------
@pytest.mark.integration
def test_signals_count_distinct_unique_ids_and_refusals_are_cloudformations_validation_errors(cloud, tmp_path):
    # GIVEN a condition that needs two signals, on a frozen clock (the rule never fires; the test signals)
    cloud.emulator.controls.set_speed(0)
    runner = _runner(cloud, tmp_path, _template(count=2))
    cfn = cloud.client("cloudformation")
    # before the stack exists
    assert _error(lambda: cfn.describe_stacks(StackName="Demo")) == (
        "ValidationError",
        "Stack with id Demo does not exist",
    )
    thread, box = _in_background(runner)
    _until(lambda: _status(cfn, "JobWait1a2b3c4d") == "CREATE_IN_PROGRESS", "the condition waits")

    # WHEN the same UniqueId is signalled twice THEN it is accepted and counted once
    signal = {"StackName": runner.env.stack_id, "LogicalResourceId": "JobWait1a2b3c4d", "Status": "SUCCESS"}
    cfn.signal_resource(UniqueId="a", **signal)
    cfn.signal_resource(UniqueId="a", **signal)
    time.sleep(0.2)  # a few of the driver's ticks: nothing may complete on one distinct signal
    assert _status(cfn, "JobWait1a2b3c4d") == "CREATE_IN_PROGRESS"
    # AND signals for what does not wait are refused
    assert _error(lambda: cfn.signal_resource(**{**signal, "LogicalResourceId": "Nope"}, UniqueId="x")) == (
        "ValidationError",
        "Resource Nope does not exist for stack Demo",
    )
    assert _error(lambda: cfn.signal_resource(**{**signal, "LogicalResourceId": "Job"}, UniqueId="x")) == (
        "ValidationError",
        "Resource Job is in CREATE_COMPLETE state and cannot be signaled",
    )
    assert _error(lambda: cfn.signal_resource(**{**signal, "StackName": "Other"}, UniqueId="x")) == (
        "ValidationError",
        "Stack with id Other does not exist",
    )
    # WHEN a second distinct UniqueId arrives THEN the condition completes and the stack goes on
    cfn.signal_resource(UniqueId="b", **signal)
    thread.join(60)
    assert box["outcome"].status == "CREATE_COMPLETE", box["outcome"].failures
    received = [r for s, r in _events(runner, "JobWait1a2b3c4d") if r]
    assert received == ["Received SUCCESS signal with UniqueId a", "Received SUCCESS signal with UniqueId b"]
    # AND once the stack is complete, a signal names the stack's state
    assert _error(lambda: cfn.signal_resource(UniqueId="c", **signal)) == (
        "ValidationError",
        f"Stack {runner.env.stack_id} is in CREATE_COMPLETE state and cannot be signaled",
    )
    assert runner.destroy().ok


@pytest.mark.integration
def test_list_stack_resources_and_describe_stacks_show_the_live_stack(cloud, tmp_path):
    cloud.emulator.controls.set_speed(0)
    template = _template()
    for i in range(120):  # enough resources for two pages
        template["Resources"][f"Topic{i:03d}"] = {"Type": "AWS::SNS::Topic"}
    runner = _runner(cloud, tmp_path, template)
    cfn = cloud.client("cloudformation")
    calls = len(cloud.cloudformation.calls)
    thread, box = _in_background(runner)
    _until(lambda: _status(cfn, "JobWait1a2b3c4d") == "CREATE_IN_PROGRESS", "the condition waits")

    # WHEN the provider reads its stack mid-operation (by stack id, as STACK_ID gives it)
    first = cfn.list_stack_resources(StackName=runner.env.stack_id)
    assert len(first["StackResourceSummaries"]) == 100 and first["NextToken"]
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=runner.env.stack_id)
    summaries = {s["LogicalResourceId"]: s for page in pages for s in page["StackResourceSummaries"]}
    # THEN every resource that started is there with its live status and real physical id
    assert "JobResult" not in summaries  # not started yet
    assert len(summaries) == 7 - 1 + 120
    wait = summaries["JobWait1a2b3c4d"]
    assert (wait["ResourceType"], wait["ResourceStatus"]) == (WAIT, "CREATE_IN_PROGRESS")
    assert wait["PhysicalResourceId"] == f"{runner.env.stack_id}/JobWait1a2b3c4d"
    assert isinstance(wait["LastUpdatedTimestamp"], datetime)
    assert (summaries["Job"]["PhysicalResourceId"], summaries["Job"]["ResourceStatus"]) == ("job-1", "CREATE_COMPLETE")
    rule = summaries["ProviderWaitPoll"]
    assert rule["PhysicalResourceId"].startswith("bedrock-cr-wait-") and rule["ResourceStatus"] == "CREATE_COMPLETE"
    assert summaries["Provider"]["PhysicalResourceId"] == "Demo-Provider"  # a resource the driver does not create
    assert summaries["Topic007"]["ResourceStatus"] == "CREATE_COMPLETE"
    # AND DescribeStackResource adds the stack's ids and the template's Metadata, as a JSON string
    detail = cfn.describe_stack_resource(StackName=runner.env.stack_id, LogicalResourceId="JobWait1a2b3c4d")
    detail = detail["StackResourceDetail"]
    assert (detail["StackId"], detail["ResourceStatus"]) == (runner.env.stack_id, "CREATE_IN_PROGRESS")
    assert json.loads(detail["Metadata"]) == {"WaitsFor": ["Job"]}
    job = cfn.describe_stack_resource(StackName="Demo", LogicalResourceId="Job")["StackResourceDetail"]
    assert "Metadata" not in job
    assert _error(lambda: cfn.describe_stack_resource(StackName="Demo", LogicalResourceId="JobResult")) == (
        "ValidationError",
        "Resource JobResult does not exist for stack Demo",
    )
    # AND DescribeStacks answers by name and by id with the live status
    for name in ("Demo", runner.env.stack_id):
        (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
        assert (stack["StackName"], stack["StackId"]) == ("Demo", runner.env.stack_id)
        assert stack["StackStatus"] == "CREATE_IN_PROGRESS" and isinstance(stack["CreationTime"], datetime)

    cfn.signal_resource(StackName="Demo", LogicalResourceId="JobWait1a2b3c4d", UniqueId="job-1", Status="SUCCESS")
    thread.join(60)
    assert box["outcome"].status == "CREATE_COMPLETE"
    assert _status(cfn, "JobWait1a2b3c4d") == "CREATE_COMPLETE" and _status(cfn, "JobResult") == "CREATE_COMPLETE"
    assert runner.destroy().ok
    # a deleted stack is gone by name, still described by its id
    assert _error(lambda: cfn.describe_stacks(StackName="Demo"))[1] == "Stack with id Demo does not exist"
    assert cfn.describe_stacks(StackName=runner.env.stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert [e for e in cloud.cloudformation.calls[calls:] if e[0] == "SignalResource"] == [
        ("SignalResource", "Demo", "")
    ]


# --- updates ----------------------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_a_replacement_gets_a_new_condition_and_the_old_one_goes_in_the_cleanup(cloud, tmp_path):
    runner = _runner(cloud, tmp_path, _template())
    assert runner.deploy().ok
    # GIVEN an update that replaces the job: the construct renders a condition with a new logical id
    template = copy.deepcopy(_template(wait_id="JobWait5e6f7a8b"))
    template["Resources"]["Job"]["Properties"]["Id"] = "job-2"
    mark = len(runner.events)
    outcome = runner.deploy(template)
    # THEN the new condition waited for the new job's signal, and the old one was deleted after everything else
    assert outcome.status == "UPDATE_COMPLETE", outcome.failures
    assert ("CREATE_IN_PROGRESS", "Received SUCCESS signal with UniqueId job-2") in _events(runner, "JobWait5e6f7a8b")
    old = [(e.status, e.reason) for e in runner.events[mark:] if e.logical_id == "JobWait1a2b3c4d"]
    assert old == [("DELETE_IN_PROGRESS", ""), ("DELETE_COMPLETE", "")]
    assert "JobWait1a2b3c4d" not in runner.records and runner.records["Job"].physical_id == "job-2"
    cfn = cloud.client("cloudformation")
    assert _status(cfn, "JobWait1a2b3c4d") is None and _status(cfn, "JobWait5e6f7a8b") == "CREATE_COMPLETE"
    # AND an update that changes nothing of the condition leaves it alone
    template["Resources"]["JobResult"]["Properties"]["Id"] = "result-2"
    mark = len(runner.events)
    assert runner.deploy(template).ok
    assert not [e for e in runner.events[mark:] if e.logical_id == "JobWait5e6f7a8b"]
    assert runner.destroy().ok
    assert find_leftovers(cloud) == []
