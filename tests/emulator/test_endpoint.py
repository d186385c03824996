"""The shared endpoint: moto answers every non-Bedrock service, the control API works over HTTP, boto3 is unmodified."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.request
import zipfile

import boto3
import pytest
from bedrock_customization_local.emulator import ControlClient, ControlError, JobScenario


def test_events_rules_go_to_moto(emu):
    events = boto3.client("events", endpoint_url=emu.endpoint_url, region_name="us-east-1")

    events.put_rule(Name="bedrock-cr-poll-abc", ScheduleExpression="rate(1 minute)", State="ENABLED")
    events.put_targets(
        Rule="bedrock-cr-poll-abc",
        Targets=[{"Id": "1", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "Input": "{}"}],
    )

    names = [rule["Name"] for rule in events.list_rules(NamePrefix="bedrock-cr-poll-")["Rules"]]
    assert names == ["bedrock-cr-poll-abc"]
    assert emu.controls.state()["calls"] == []  # nothing reached the Bedrock side
    events.remove_targets(Rule="bedrock-cr-poll-abc", Ids=["1"])
    events.delete_rule(Name="bedrock-cr-poll-abc")


def test_sts_iam_s3_and_logs_go_to_moto(emu):
    kwargs = {"endpoint_url": emu.endpoint_url, "region_name": "us-east-1"}

    assert boto3.client("sts", **kwargs).get_caller_identity()["Account"] == "123456789012"
    iam = boto3.client("iam", **kwargs)
    role = iam.create_role(RoleName="emulator-test-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    assert role["Role"]["Arn"] == "arn:aws:iam::123456789012:role/emulator-test-role"
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket="emulator-test-bucket")
    s3.put_object(Bucket="emulator-test-bucket", Key="train.jsonl", Body=b"{}\n")
    assert s3.get_object(Bucket="emulator-test-bucket", Key="train.jsonl")["Body"].read() == b"{}\n"
    logs = boto3.client("logs", **kwargs)
    logs.create_log_group(logGroupName="/aws/lambda/provider")
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"][0]["logGroupName"] == (
        "/aws/lambda/provider"
    )


def test_lambda_permissions_go_to_moto(emu):
    kwargs = {"endpoint_url": emu.endpoint_url, "region_name": "us-east-1"}
    iam = boto3.client("iam", **kwargs)
    role_arn = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))["Role"][
        "Arn"
    ]
    lam = boto3.client("lambda", **kwargs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    lam.create_function(
        FunctionName="provider",
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    lam.add_permission(
        FunctionName="provider",
        StatementId="poll-rule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn="arn:aws:events:us-east-1:123456789012:rule/bedrock-cr-poll-abc",
    )
    policy = json.loads(lam.get_policy(FunctionName="provider")["Policy"])
    assert [statement["Sid"] for statement in policy["Statement"]] == ["poll-rule"]
    # Like Lambda (and unlike plain moto), a second statement with the same id is refused, not appended.
    with pytest.raises(lam.exceptions.ResourceConflictException, match="already exists"):
        lam.add_permission(
            FunctionName="provider",
            StatementId="poll-rule",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn="arn:aws:events:us-east-1:123456789012:rule/bedrock-cr-poll-abc",
        )
    policy = json.loads(lam.get_policy(FunctionName="provider")["Policy"])
    assert len(policy["Statement"]) == 1
    lam.remove_permission(FunctionName="provider", StatementId="poll-rule")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="provider")


def test_aws_endpoint_url_reaches_the_emulator_without_code_changes(emu, monkeypatch, new_job):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emu.endpoint_url)
    bedrock = boto3.client("bedrock", region_name="us-east-1")

    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]

    assert bedrock.get_model_customization_job(jobIdentifier=arn)["jobName"] == "job-1"


def test_region_comes_from_the_signature(emu, new_job):
    bedrock = boto3.client("bedrock", endpoint_url=emu.endpoint_url, region_name="eu-west-1")

    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]

    assert arn.startswith("arn:aws:bedrock:eu-west-1:123456789012:model-customization-job/")
    us = boto3.client("bedrock", endpoint_url=emu.endpoint_url, region_name="us-east-1")
    assert us.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []


def test_operations_outside_the_emulator_say_so(bedrock):
    with pytest.raises(Exception, match="does not implement ListFoundationModels"):
        bedrock.list_foundation_models()


def test_control_api_over_http_steers_the_emulator(emu, bedrock, new_job):
    control = ControlClient(emu.endpoint_url)
    assert control.health() == {"ok": True}
    control.add_job_scenario({"outcome": "fail", "failure_message": "boom"}, prefix="http-")
    control.add_job_scenario(JobScenario.lasting(100), prefix="fast-")
    control.add_fault("throttling", operations=["GetCustomModel"], calls=[1])
    failing = bedrock.create_model_customization_job(**new_job("http-job", "http-model"))["jobArn"]
    fast = bedrock.create_model_customization_job(**new_job("fast-job", "fast-model"))["jobArn"]

    control.advance(100)
    assert bedrock.get_model_customization_job(jobIdentifier=fast)["status"] == "Completed"
    control.advance(7 * 3600)

    state = control.state()
    jobs = {job["jobArn"]: job for job in state["jobs"]}
    assert jobs[failing]["status"] == "Failed" and jobs[failing]["failureMessage"] == "boom"
    assert jobs[fast]["statusDetails"]["trainingDetails"]["status"] == "Completed"
    assert state["callCounts"] == {"CreateModelCustomizationJob": 2, "GetModelCustomizationJob": 1}
    assert [model["modelName"] for model in state["models"]] == ["fast-model"]
    assert control.faults()["rules"][0]["kind"] == "throttling"
    control.set_model_in_use("fast-model")
    with pytest.raises(bedrock.exceptions.ConflictException):
        bedrock.delete_custom_model(modelIdentifier="fast-model")
    assert control.set_speed(0)["speed"] == 0


def test_control_api_rejects_bad_requests(emu):
    control = ControlClient(emu.endpoint_url)
    with pytest.raises(ControlError, match="unknown JobScenario fields"):
        control.add_job_scenario({"outcome": "complete", "duration": 5})
    with pytest.raises(ControlError, match="unknown fault kind"):
        control.add_fault("meteor")
    with pytest.raises(ControlError, match="Could not find a custom model"):
        control.set_model_in_use("nope")
    request = urllib.request.Request(f"{emu.endpoint_url}/_emulator/state")
    with urllib.request.urlopen(request) as response:
        assert "jobs" in json.loads(response.read())


def test_command_line_prints_the_endpoint_and_serves_until_terminated():
    process = subprocess.Popen(
        [sys.executable, "-m", "bedrock_customization_local.emulator", "--speed", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert ControlClient(url).health() == {"ok": True}
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_subprocess_with_client_environment_reaches_the_emulator(emu, new_job):
    script = (
        "import boto3; b = boto3.client('bedrock'); "
        "print(len(b.list_model_customization_jobs()['modelCustomizationJobSummaries']))"
    )
    env = {**os.environ, **emu.client_environment()}
    env.pop("AWS_PROFILE", None)
    boto3.client("bedrock", endpoint_url=emu.endpoint_url, region_name="us-east-1").create_model_customization_job(
        **new_job()
    )

    output = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)

    assert output.stdout.strip() == "1"
