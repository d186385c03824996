"""EventBridge rules and Lambda permissions declared in the template, as the driver plays them: created in moto in
dependency order, updated, deleted; scheduled targets without Input get a Scheduled Event; Bedrock's job state changes
reach the targets of matching pattern rules, only where the function's policy permits (ArnLike wildcards included)."""

from __future__ import annotations

import copy
import json

import pytest
from bedrock_customization_local.driver.assembly import CloudAssembly
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.polls import PollScheduler, arn_like, match_pattern
from bedrock_customization_local.driver.stack import StackRunner
from botocore.exceptions import ClientError

from .conftest import function_resource, stack_guid_name, write_assembly, write_reconciler_asset

TOKEN = {"Fn::GetAtt": ["Provider", "Arn"]}
STATE_CHANGE = "Model Customization Job State Change"
PATTERN = {
    "source": ["aws.bedrock"],
    "detail-type": [STATE_CHANGE],
    "detail": {"jobStatus": ["Completed", "Failed", "Stopped"]},
}
ACCOUNT = "123456789012"


def _template(*, events_permission: bool = True):
    provider = function_resource(handler="bedrock_customization_provider.handler.main")
    provider["Properties"]["Environment"]["Variables"].update({"STACK_ID": {"Ref": "AWS::StackId"}})

    def permission(rule):
        return {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": TOKEN,
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [rule, "Arn"]},
            },
        }

    resources = {
        "ProviderRole": {"Type": "AWS::IAM::Role"},
        "Provider": provider,
        "ProviderWaitEvents": {
            "Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": PATTERN, "State": "ENABLED", "Targets": [{"Id": "Provider", "Arn": TOKEN}]},
        },
        "ProviderWaitPoll": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": stack_guid_name("bedrock-cr-wait-"),
                "ScheduleExpression": "rate(1 minute)",
                "State": "DISABLED",
                "Targets": [{"Id": "Provider", "Arn": TOKEN}],
            },
        },
        "ProviderWaitPollPermission": permission("ProviderWaitPoll"),
        "Probe": {
            "Type": "Custom::Probe",
            "DependsOn": ["ProviderWaitPollPermission"],
            "Properties": {
                "ServiceToken": TOKEN,
                "Id": "probe-1",
                "EventsRule": {"Ref": "ProviderWaitEvents"},
                "EventsRuleArn": {"Fn::GetAtt": ["ProviderWaitEvents", "Arn"]},
                "PollRule": {"Ref": "ProviderWaitPoll"},
                "PollPermission": {"Ref": "ProviderWaitPollPermission"},
            },
        },
    }
    if events_permission:
        resources["ProviderWaitEventsPermission"] = permission("ProviderWaitEvents")
        resources["Probe"]["DependsOn"].append("ProviderWaitEventsPermission")
    return {"Resources": resources}


@pytest.fixture
def make_runner(cloud, tmp_path):
    def make(template):
        directory = write_assembly(tmp_path / "cdk.out", template)
        write_reconciler_asset(directory / "asset.abc123")
        return StackRunner(cloud, CloudAssembly.load(directory).stack())

    return make


def _statements(cloud, function):
    try:
        return json.loads(cloud.client("lambda").get_policy(FunctionName=function)["Policy"])["Statement"]
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"
        return []


def _test_models(cloud):
    """The custom models the tests' own jobs made (no stack owns them)."""
    return {m["modelArn"] for m in cloud.emulator.state()["models"]}


def _finished_job(cloud, name):
    """A Bedrock job run to its end on the frozen clock (the tier's scenario: 20 minutes)."""
    bedrock = cloud.client("bedrock")
    arn = bedrock.create_model_customization_job(
        jobName=name,
        customModelName=f"{name}-model",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/bedrock-customization",
        baseModelIdentifier="amazon.titan-text-express-v1:0:8k",
        trainingDataConfig={"s3Uri": "s3://training-bucket/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://output-bucket/out/"},
        hyperParameters={"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"},
    )["jobArn"]
    cloud.emulator.controls.advance(21 * 60)
    return arn


# --- created, referenced, updated, deleted --------------------------------------------------------------------------
@pytest.mark.integration
def test_rules_and_permissions_are_created_before_their_dependents_and_deleted_with_the_stack(cloud, make_runner):
    runner = make_runner(_template())
    outcome = runner.deploy()
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    events = cloud.client("events")
    # THEN the pattern rule got a generated name, the poll rule its resolved one, both as the template says
    pattern_name = runner.records["ProviderWaitEvents"].physical_id
    assert pattern_name.startswith("Demo-ProviderWaitEvents-") and len(pattern_name) <= 64
    pattern_rule = events.describe_rule(Name=pattern_name)
    assert json.loads(pattern_rule["EventPattern"]) == PATTERN and pattern_rule["State"] == "ENABLED"
    poll_name = "bedrock-cr-wait-" + runner.env.stack_id.split("/")[2]
    poll_rule = events.describe_rule(Name=poll_name)
    assert poll_rule["State"] == "DISABLED" and poll_rule["ScheduleExpression"] == "rate(1 minute)"
    function = runner.records["Probe"].function
    (target,) = events.list_targets_by_rule(Rule=poll_name)["Targets"]
    assert target["Arn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function}" and "Input" not in target
    # AND each permission is a statement for its rule; the custom resource saw Ref and GetAtt of them
    sources = {s["Condition"]["ArnLike"]["AWS:SourceArn"]: s["Sid"] for s in _statements(cloud, function)}
    assert set(sources) == {pattern_rule["Arn"], poll_rule["Arn"]}
    echo = json.loads(runner.records["Probe"].data["Echo"])
    assert (echo["EventsRule"], echo["EventsRuleArn"], echo["PollRule"]) == (
        pattern_name,
        pattern_rule["Arn"],
        poll_name,
    )
    assert (
        echo["PollPermission"] == sources[poll_rule["Arn"]] == runner.records["ProviderWaitPollPermission"].physical_id
    )
    done = [e.logical_id for e in runner.events if e.status == "CREATE_COMPLETE"]
    assert done[-1] == "Probe" and {"ProviderWaitEvents", "ProviderWaitPollPermission"} <= set(done[:-1])
    # WHEN the stack is deleted THEN rules and statements are gone and nothing is left behind
    assert runner.destroy().ok
    assert events.list_rules()["Rules"] == [] and _statements(cloud, function) == []
    assert find_leftovers(cloud) == []


@pytest.mark.integration
def test_an_update_puts_a_changed_rule_again_replaces_a_changed_permission_and_deletes_a_removed_one(
    cloud, make_runner
):
    runner = make_runner(_template())
    assert runner.deploy().ok
    before = {lid: r.physical_id for lid, r in runner.records.items()}
    template = copy.deepcopy(_template())
    resources = template["Resources"]
    resources["ProviderWaitPoll"]["Properties"]["ScheduleExpression"] = "rate(2 minutes)"
    resources["ProviderWaitEventsPermission"]["Properties"]["SourceAccount"] = ACCOUNT
    del resources["ProviderWaitPollPermission"]
    resources["Probe"]["DependsOn"] = ["ProviderWaitEventsPermission"]
    del resources["Probe"]["Properties"]["PollPermission"]
    mark = len(runner.events)
    outcome = runner.deploy(template)
    assert outcome.status == "UPDATE_COMPLETE", outcome.failures
    events = cloud.client("events")
    # THEN the rule kept its name and has the new schedule
    assert runner.records["ProviderWaitPoll"].physical_id == before["ProviderWaitPoll"]
    assert events.describe_rule(Name=before["ProviderWaitPoll"])["ScheduleExpression"] == "rate(2 minutes)"
    # AND the permission was replaced (a new statement id; the old statement went in the cleanup), the removed one too
    function = runner.records["Probe"].function
    sids = {s["Sid"]: s for s in _statements(cloud, function)}
    new_sid = runner.records["ProviderWaitEventsPermission"].physical_id
    assert new_sid != before["ProviderWaitEventsPermission"] and set(sids) == {new_sid}
    assert sids[new_sid]["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT
    cleanup = [(e.logical_id, e.status) for e in runner.events[mark:] if e.status.startswith("DELETE")]
    assert ("ProviderWaitPollPermission", "DELETE_COMPLETE") in cleanup
    assert ("ProviderWaitEventsPermission", "DELETE_COMPLETE") in cleanup
    assert runner.destroy().ok
    assert find_leftovers(cloud) == []


# --- delivery --------------------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_a_scheduled_rule_without_input_delivers_eventbridges_scheduled_event(cloud, make_runner, monkeypatch):
    runner = make_runner(_template())
    assert runner.deploy().ok
    cloud.emulator.controls.set_speed(0)
    monkeypatch.setattr(cloud.polls, "min_wall_gap", 0.0)
    events = cloud.client("events")
    poll_name = runner.records["ProviderWaitPoll"].physical_id
    events.enable_rule(Name=poll_name)  # what the job's Create does in the long wait
    assert cloud.polls.deliver_due() == 0  # first sight: due one period later
    cloud.emulator.controls.advance(61)
    assert cloud.polls.deliver_due() == 1
    (delivery,) = cloud.polls.deliveries
    assert (delivery.rule, delivery.detail_type, delivery.outcome) == (poll_name, "Scheduled Event", "ok")
    line = next(x for x in cloud.lambdas.logs(delivery.function).splitlines() if x.startswith("RECONCILE "))
    event = json.loads(line.removeprefix("RECONCILE "))
    rule_arn = runner.records["ProviderWaitPoll"].data["Arn"]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert (event["account"], event["region"], event["resources"], event["detail"]) == (
        ACCOUNT,
        "us-east-1",
        [rule_arn],
        {},
    )
    assert event["version"] == "0" and len(event["id"]) == 36 and event["time"].endswith("Z")
    assert runner.destroy().ok
    assert find_leftovers(cloud) == []


@pytest.mark.integration
def test_a_job_state_change_drained_between_operations_reaches_the_pattern_rule_at_the_next_tick(cloud, make_runner):
    runner = make_runner(_template())
    assert runner.deploy().ok
    cloud.emulator.controls.set_speed(0)
    # GIVEN a job that started and completed while no stack operation ran
    job_arn = _finished_job(cloud, "evented-job")
    assert cloud.polls.deliveries == []
    # WHEN the next operation ticks (the stack's delete) THEN the terminal event reached the rule's target, the
    # InProgress one matched no rule (the pattern asks for terminal states only)
    assert runner.destroy().ok
    state_changes = [d for d in cloud.polls.deliveries if d.detail_type == STATE_CHANGE]
    assert [(d.status, d.outcome) for d in state_changes] == [("Completed", "ok")]
    assert state_changes[0].rule.startswith("Demo-ProviderWaitEvents-")
    log = cloud.lambdas.logs(state_changes[0].function)
    event = json.loads(next(x for x in log.splitlines() if STATE_CHANGE in x).removeprefix("RECONCILE "))
    assert event["detail"]["jobArn"] == job_arn and event["resources"] == [job_arn]
    assert cloud.polls.problems == []
    assert find_leftovers(cloud, _test_models(cloud)) == []


@pytest.mark.integration
def test_only_a_permission_for_the_rule_lets_an_event_through_arnlike_wildcards_included(cloud, make_runner):
    # GIVEN the pattern rule with no permission of its own
    runner = make_runner(_template(events_permission=False))
    assert runner.deploy().ok
    cloud.emulator.controls.set_speed(0)
    function = runner.records["Probe"].function
    _finished_job(cloud, "unpermitted-job")
    # WHEN its event is delivered THEN nothing is invoked and the reason is listed
    assert cloud.polls.deliver_events() == 0
    assert any("no permission lets events.amazonaws.com invoke it" in p for p in cloud.polls.problems)
    cloud.polls.problems.clear()
    # WHEN a statement allows every rule of the stack's prefix (ArnLike with a wildcard) THEN the next event gets in
    cloud.client("lambda").add_permission(
        FunctionName=function,
        StatementId="stack-rules",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:rule/Demo-*",
    )
    _finished_job(cloud, "permitted-job")
    assert cloud.polls.deliver_events() == 1
    assert cloud.polls.deliveries[-1].status == "Completed" and cloud.polls.problems == []
    cloud.client("lambda").remove_permission(FunctionName=function, StatementId="stack-rules")
    assert runner.destroy().ok
    assert find_leftovers(cloud, _test_models(cloud)) == []


# --- the rules of matching, without a session ----------------------------------------------------------------------
def test_event_patterns_match_exact_values_nested_objects_and_arrays_and_report_unknown_operators():
    event = {
        "source": "aws.bedrock",
        "detail-type": STATE_CHANGE,
        "resources": ["arn:a", "arn:b"],
        "detail": {"jobStatus": "Completed", "count": 3},
    }
    assert match_pattern(PATTERN, event) == (True, [])
    assert match_pattern({**PATTERN, "detail": {"jobStatus": ["InProgress"]}}, event) == (False, [])
    assert match_pattern({"resources": ["arn:b"]}, event) == (True, [])  # any element of an array
    assert match_pattern({"detail": {"count": [3]}}, event) == (True, [])
    assert match_pattern({"detail": {"count": ["3"]}}, event) == (False, [])  # types matter
    assert match_pattern({"detail": {"missing": ["x"]}}, event) == (False, [])
    assert match_pattern({"source": [{"prefix": "aws."}]}, event) == (True, [])
    assert match_pattern({"detail": {"missing": [{"exists": False}]}}, event) == (True, [])
    matched, problems = match_pattern({"detail": {"count": [{"numeric": [">", 1]}]}}, event)
    assert not matched and "does not evaluate the operator" in problems[0]
    matched, problems = match_pattern({"source": "aws.bedrock"}, event)
    assert not matched and "must be an array" in problems[0]


def test_permissions_are_judged_as_lambda_does_arn_wildcards_and_source_account():
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bedrock-cr-wait-abc"
    scheduler = PollScheduler(events=None, lambda_client=None, lambdas=None, clock=None)  # type: ignore[arg-type]

    def allows(condition=None, **extra):
        statement = {"Sid": "s", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}
        statement.update({"Action": "lambda:InvokeFunction", **extra})
        if condition is not None:
            statement["Condition"] = condition
        return scheduler._allows(statement, rule)

    assert allows()  # no condition: any rule
    assert allows({"ArnLike": {"AWS:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bedrock-cr-wait-*"}})
    assert allows({"ArnEquals": {"AWS:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/bedrock-cr-wait-ab?"}})
    assert not allows({"ArnLike": {"AWS:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bedrock-cr-poll-*"}})
    assert allows({"StringEquals": {"AWS:SourceAccount": ACCOUNT}})
    assert not allows({"StringEquals": {"AWS:SourceAccount": "999999999999"}})
    assert not allows(Principal={"Service": "s3.amazonaws.com"})
    assert not allows(Effect="Deny")
    assert not allows({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}) and scheduler.problems
    assert arn_like("arn:aws:events:*:*:rule/*", rule) and not arn_like("arn:aws:events:*:*", rule)
