"""The driver's own verdicts: leftovers are found, EventBridge needs a permission to deliver, the demo's revisions
and its progress lines, and the `run` command over a synthesized assembly."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys

import pytest
from bedrock_customization_local.driver.demo import revision_template
from bedrock_customization_local.driver.display import ProgressDisplay
from bedrock_customization_local.driver.errors import DriverError
from bedrock_customization_local.driver.intrinsics import StackEnv
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackEvent
from bedrock_customization_local.driver.template import StackTemplate
from bedrock_customization_local.emulator import JobScenario
from rich.console import Console

JOB = "Custom::BedrockModelCustomizationJob"


def _function(cloud, example_assembly):
    """Register the example's provider function (moto + runtime) as a stack operation would; return its name."""
    stack = example_assembly.stack()
    template = StackTemplate(stack.template(), StackEnv.for_stack(stack.stack_name))
    cloud.register_function(template.function_spec(template.provider_function_id(template.custom_ids()[0]), stack))
    return cloud.lambdas.function_names()[0]


@pytest.mark.integration
def test_leftovers_name_rules_permissions_running_jobs_and_unowned_models(cloud, example_assembly):
    # GIVEN a rule, a permission, a running job and a model nobody owns
    function = _function(cloud, example_assembly)
    events, lam, bedrock = cloud.client("events"), cloud.client("lambda"), cloud.client("bedrock")
    rule_arn = events.put_rule(Name="bedrock-cr-poll-stale", ScheduleExpression="rate(1 minute)")["RuleArn"]
    lam.add_permission(
        FunctionName=function,
        StatementId="stale",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    cloud.emulator.controls.add_job_scenario(JobScenario(outcome="run_forever"), prefix="left-running")
    request = {
        "roleArn": "arn:aws:iam::123456789012:role/Bedrock",
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "trainingDataConfig": {"s3Uri": "s3://bucket/train.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://bucket/out/"},
        "hyperParameters": {"epochCount": "1"},
    }
    bedrock.create_model_customization_job(jobName="left-running", customModelName="left-running-model", **request)
    bedrock.create_model_customization_job(jobName="done", customModelName="unowned-model", **request)
    cloud.emulator.controls.advance(7 * 3600)
    # WHEN the leftovers are checked
    problems = find_leftovers(cloud)
    # THEN each is named
    text = "\n".join(problems)
    assert "EventBridge rule bedrock-cr-poll-stale" in text
    assert f"Lambda permission stale on {function}" in text
    assert "customization job left-running is still InProgress" in text
    assert "custom model unowned-model (Active) is owned by no resource" in text


@pytest.mark.integration
def test_eventbridge_delivers_only_what_a_permission_allows(cloud, example_assembly, monkeypatch):
    # GIVEN a rule targeting the provider without a resource-policy statement for it
    function = _function(cloud, example_assembly)
    events = cloud.client("events")
    events.put_rule(Name="bedrock-cr-poll-unpermitted", ScheduleExpression="rate(1 minute)")
    target_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
    events.put_targets(
        Rule="bedrock-cr-poll-unpermitted", Targets=[{"Id": "1", "Arn": target_arn, "Input": json.dumps({})}]
    )
    cloud.emulator.controls.set_speed(0)  # frozen: the schedule moves only when the test moves it
    monkeypatch.setattr(cloud.polls, "min_wall_gap", 0.0)
    assert cloud.polls.deliver_due() == 0  # first sight: due one period later
    cloud.emulator.controls.advance(61)
    # WHEN the schedule comes due THEN nothing is invoked and the reason is recorded
    assert cloud.polls.deliver_due() == 0
    assert "no permission lets events.amazonaws.com invoke it" in cloud.polls.problems[0]
    events.remove_targets(Rule="bedrock-cr-poll-unpermitted", Ids=["1"])
    events.delete_rule(Name="bedrock-cr-poll-unpermitted")


@pytest.mark.integration
def test_eventbridge_limits_moto_does_not_enforce_are_reported(cloud, example_assembly, monkeypatch):
    function = _function(cloud, example_assembly)
    events, lam = cloud.client("events"), cloud.client("lambda")
    rule_arn = events.put_rule(Name="bedrock-cr-poll-big-input", ScheduleExpression="rate(1 minute)")["RuleArn"]
    lam.add_permission(
        FunctionName=function,
        StatementId="big-input",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    target = {"Id": "1", "Arn": f"arn:aws:lambda:us-east-1:123456789012:function:{function}"}
    events.put_targets(Rule="bedrock-cr-poll-big-input", Targets=[{**target, "Input": json.dumps({"x": "y" * 9000})}])
    cloud.emulator.controls.set_speed(0)
    monkeypatch.setattr(cloud.polls, "min_wall_gap", 0.0)
    cloud.polls.deliver_due()
    cloud.emulator.controls.advance(61)
    assert cloud.polls.deliver_due() == 0
    assert "exceeds EventBridge's 8192" in cloud.polls.problems[0]
    events.remove_targets(Rule="bedrock-cr-poll-big-input", Ids=["1"])
    events.delete_rule(Name="bedrock-cr-poll-big-input")
    lam.remove_permission(FunctionName=function, StatementId="big-input")


def test_demo_revision_is_the_synthesized_template_and_an_ignored_revision_fails():
    base = {"Resources": {"Job": {"Type": JOB, "Properties": {"jobTags": [], "hyperParameters": {"epochCount": "2"}}}}}
    synthesized = {"Resources": {"Job": {"Type": JOB, "Properties": {"jobTags": [{"key": "a", "value": "b"}]}}}}
    assert revision_template(base, synthesized, 2) is synthesized
    with pytest.raises(DriverError, match="demoRevision=3 changed no custom resource"):
        revision_template(base, copy.deepcopy(base), 3)


def test_plain_progress_prints_stack_and_resource_lines_with_the_job_phases():
    state = {
        "jobs": [
            {
                "jobArn": "arn:job",
                "jobName": "Demo-FineTune-abc",
                "status": "InProgress",
                "creationTime": "2026-01-01T00:00:00.000Z",
                "statusDetails": {
                    "validationDetails": {"status": "Completed"},
                    "dataProcessingDetails": {"status": "InProgress"},
                    "trainingDetails": {"status": "NotStarted"},
                },
            }
        ],
        "models": [],
    }
    out = io.StringIO()
    display = ProgressDisplay(state=lambda: state, console=Console(file=out, width=200), plain=None)
    display.begin("create")
    display.stack_status("CREATE_IN_PROGRESS")
    display.resource_status(StackEvent("FineTune", JOB, "CREATE_IN_PROGRESS"))
    display.end()
    lines = out.getvalue().splitlines()
    assert lines[0] == "== create"
    assert "   stack CREATE_IN_PROGRESS" in lines
    assert any("FineTune" in line and "CREATE_IN_PROGRESS" in line for line in lines)
    assert any("job InProgress: ✓ validation … data · training" in line for line in lines)


@pytest.mark.integration
def test_the_run_command_creates_and_deletes_a_synthesized_stack(example_assembly):
    # A process of its own: moto's backends are process-wide, and the tier's session owns this process's.
    command = [
        sys.executable,
        "-m",
        "bedrock_customization_local.driver",
        "--plain",
        "--speed",
        "1200",
        "run",
        str(example_assembly.directory),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    printed = completed.stdout
    assert completed.returncode == 0, printed + completed.stderr
    assert "stack CREATE_COMPLETE" in printed and "stack DELETE_COMPLETE" in printed
    assert "left behind" not in printed


@pytest.mark.integration
def test_the_main_job_passes_end_to_end():
    """`make demo`: synthesize with the CDK CLI, create, update in place, replace, delete, check leftovers."""
    command = [sys.executable, "-m", "bedrock_customization_local.driver", "--plain", "demo"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    printed = completed.stdout
    assert completed.returncode == 0, printed[-4000:] + completed.stderr[-2000:]
    for step in ("== 2. create", "== 3. update: tag change", "== 4. update: replacement", "== 5. delete"):
        assert step in printed
    assert "demo passed" in printed and "nothing left behind" in printed


@pytest.mark.integration
def test_a_target_input_carrying_a_presigned_url_is_reported(cloud, example_assembly, monkeypatch):
    # GIVEN a poll rule whose target input holds a response URL in the clear (what crhelper alone would put there)
    function = _function(cloud, example_assembly)
    events, lam = cloud.client("events"), cloud.client("lambda")
    rule_arn = events.put_rule(Name="bedrock-cr-poll-clear-url", ScheduleExpression="rate(1 minute)")["RuleArn"]
    lam.add_permission(
        FunctionName=function,
        StatementId="clear-url",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    target = {"Id": "1", "Arn": f"arn:aws:lambda:us-east-1:123456789012:function:{function}"}
    url = "https://example.invalid/response?X-Amz-Signature=0123abcd"
    clear = {**target, "Input": json.dumps({"ResponseURL": url})}
    events.put_targets(Rule="bedrock-cr-poll-clear-url", Targets=[clear])
    cloud.emulator.controls.set_speed(0)
    monkeypatch.setattr(cloud.polls, "min_wall_gap", 0.0)
    cloud.polls.deliver_due()
    cloud.emulator.controls.advance(61)
    # WHEN it fires THEN it is reported (and the end check fails on it); the provider drops the event it got
    cloud.polls.deliver_due()
    assert "input carries a presigned response URL" in cloud.polls.problems[0]
    assert any("events:ListTargetsByRule" in p for p in find_leftovers(cloud))
    events.remove_targets(Rule="bedrock-cr-poll-clear-url", Ids=["1"])
    events.delete_rule(Name="bedrock-cr-poll-clear-url")
    lam.remove_permission(FunctionName=function, StatementId="clear-url")
