"""What the command reads and how it words what it cannot read: CloudFormation, Bedrock and S3 answers given at the
HTTP boundary (botocore's Stubber), the error texts a user sees, the missing extra."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import boto3
import pytest
from bedrock_customization.watch import _extras, command, stack_resources
from bedrock_customization.watch.errors import MetricsAccessError, NoWatchableResourcesError
from bedrock_customization.watch.job_state import read_job
from bedrock_customization.watch.live_view import plain_lines, render, sparkline
from bedrock_customization.watch.metric_files import metric_location, read_job_metrics
from bedrock_customization.watch.snapshot import Clients, take_snapshot
from bedrock_customization_provider import contract
from botocore.stub import Stubber

STACK_ID = "arn:aws:cloudformation:us-east-1:111122223333:stack/Tuning/5f1f6a30-0000-4000-8000-000000000000"
JOB_ARN = "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/amazon.nova-micro-v1:0:128k/abc123def456"
MODEL_ARN = "arn:aws:bedrock:us-east-1:111122223333:custom-model/imported/xyz789"
WHEN = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def client(service: str):
    return boto3.client(service, region_name="us-east-1")


def summary(logical_id: str, resource_type: str, physical_id: str = "", status: str = "CREATE_COMPLETE") -> dict:
    entry = {
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceStatus": status,
        "LastUpdatedTimestamp": WHEN,
    }
    if physical_id:
        entry["PhysicalResourceId"] = physical_id
    return entry


def stack_answer(status: str = "CREATE_IN_PROGRESS") -> dict:
    return {
        "Stacks": [
            {
                "StackName": "Tuning",
                "StackId": STACK_ID,
                "CreationTime": WHEN,
                "StackStatus": status,
                "Outputs": [{"OutputKey": "JobArn", "OutputValue": JOB_ARN}],
            }
        ]
    }


def test_the_resource_types_are_the_contracts():
    assert stack_resources.JOB_RESOURCE_TYPE == contract.JOB_RESOURCE_TYPE
    assert stack_resources.MODEL_RESOURCE_TYPE == contract.MODEL_RESOURCE_TYPE
    assert stack_resources.WAIT_MEMBERS_METADATA == contract.WAIT_MEMBERS_METADATA
    assert stack_resources.SENTINEL_PREFIX in contract.FAILED_CREATE_PHYSICAL_ID


# the constructs' name for a group's condition, and one written by hand in a plain CloudFormation template
@pytest.mark.parametrize("condition", ["BedrockCustomizationWait0x0Dabcdef12", "FineTuneWait"])
def test_a_long_wait_members_mode_and_condition_status_come_from_the_conditions_metadata(condition):
    cfn = client("cloudformation")
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", stack_answer(), {"StackName": "Tuning"})
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    summary("FineTune", contract.JOB_RESOURCE_TYPE, JOB_ARN),
                    summary("Model", contract.MODEL_RESOURCE_TYPE, "BedrockCustomization::CREATE_FAILED"),
                    summary(condition, "AWS::CloudFormation::WaitCondition", "handle", "CREATE_IN_PROGRESS"),
                    summary("Role", "AWS::IAM::Role", "role"),
                ]
            },
            {"StackName": STACK_ID},
        )
        stub.add_response(
            "describe_stack_resource",
            {
                "StackResourceDetail": {
                    "LogicalResourceId": condition,
                    "ResourceType": "AWS::CloudFormation::WaitCondition",
                    "LastUpdatedTimestamp": WHEN,
                    "ResourceStatus": "CREATE_IN_PROGRESS",
                    "Metadata": '{"BedrockCustomizationWaitsFor":["FineTune"]}',
                }
            },
            {"StackName": STACK_ID, "LogicalResourceId": condition},
        )
        view = stack_resources.read_stack(cfn, "Tuning")
    (job,) = view.jobs
    assert (job.wait_mode, job.wait_condition, job.wait_status) == ("Long", condition, "CREATE_IN_PROGRESS")
    assert job.arn == JOB_ARN
    (model,) = view.models
    assert model.wait_mode == "Short or None" and model.arn == ""  # a sentinel physical id is nothing to read
    assert view.outputs == {"JobArn": JOB_ARN}


def test_a_stack_without_jobs_or_models_says_there_is_nothing_to_watch():
    cfn = client("cloudformation")
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", stack_answer("CREATE_COMPLETE"), {"StackName": "Tuning"})
        stub.add_response(
            "list_stack_resources", {"StackResourceSummaries": [summary("Role", "AWS::IAM::Role", "r")]}, None
        )
        with pytest.raises(NoWatchableResourcesError) as caught:
            stack_resources.read_stack(cfn, "Tuning")
    assert str(caught.value) == (
        "stack Tuning (CREATE_COMPLETE) has no Custom::BedrockModelCustomizationJob or Custom::BedrockCustomModel "
        "resource: nothing to watch"
    )


def test_a_folder_that_cannot_be_listed_names_the_bucket_prefix_and_s3_listbucket():
    s3 = client("s3")
    location = metric_location("s3://out-bucket/runs", JOB_ARN)
    assert location.prefix == "runs/model-customization-job-abc123def456/"
    with Stubber(s3) as stub:
        stub.add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
        with pytest.raises(MetricsAccessError) as caught:
            read_job_metrics(s3, location)
    assert str(caught.value) == (
        "cannot list s3://out-bucket/runs/model-customization-job-abc123def456/: AccessDenied (needs s3:ListBucket "
        "on arn:aws:s3:::out-bucket with s3:prefix runs/model-customization-job-abc123def456/*)"
    )


@pytest.mark.parametrize(
    ("code", "message", "kms"),
    [
        ("AccessDenied", "Access Denied", False),
        ("AccessDenied", "User is not authorized to perform: kms:Decrypt", True),
    ],
)
def test_a_file_that_cannot_be_read_names_the_object_and_s3_getobject_and_kms_decrypt_when_kms_refused(
    code, message, kms
):
    s3 = client("s3")
    location = metric_location("s3://out-bucket/", JOB_ARN)
    with Stubber(s3) as stub:
        stub.add_response("list_objects_v2", {"Contents": [{"Key": location.training_key}], "KeyCount": 1})
        stub.add_client_error("get_object", code, message, 403)
        with pytest.raises(MetricsAccessError) as caught:
            read_job_metrics(s3, location)
    text = str(caught.value)
    assert text.startswith(f"cannot read s3://out-bucket/{location.training_key}: AccessDenied (needs s3:GetObject on ")
    assert f"arn:aws:s3:::out-bucket/{location.training_key}" in text
    assert ("kms:Decrypt" in text) is kms


def test_a_job_that_cannot_be_read_names_the_missing_bedrock_permission():
    bedrock = client("bedrock")
    with Stubber(bedrock) as stub:
        stub.add_client_error("get_model_customization_job", "AccessDeniedException", "not authorized", 403)
        job = read_job(bedrock, JOB_ARN)
    assert job.error == "AccessDeniedException: needs bedrock:GetModelCustomizationJob (not authorized)"


def test_once_exits_1_and_names_what_could_not_be_read(tmp_path, monkeypatch):
    # GIVEN a job whose metrics folder cannot be listed, and a custom model that reads fine
    cfn, bedrock, s3 = client("cloudformation"), client("bedrock"), client("s3")
    stubs = [Stubber(cfn), Stubber(bedrock), Stubber(s3)]
    stubs[0].add_response("describe_stacks", stack_answer(), None)
    stubs[0].add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                summary("FineTune", contract.JOB_RESOURCE_TYPE, JOB_ARN),
                summary("Imported", contract.MODEL_RESOURCE_TYPE, MODEL_ARN),
            ]
        },
        None,
    )
    job = {
        "jobArn": JOB_ARN,
        "jobName": "fine-tune-1",
        "outputModelName": "fine-tune-model-1",
        "roleArn": "arn:aws:iam::111122223333:role/r",
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k",
        "status": "InProgress",
        "creationTime": WHEN,
        "hyperParameters": {},
        "trainingDataConfig": {"s3Uri": "s3://data/train.jsonl"},
        "validationDataConfig": {"validators": []},
        "outputDataConfig": {"s3Uri": "s3://out-bucket/runs/"},
        "statusDetails": {
            "validationDetails": {"status": "Completed", "creationTime": WHEN, "lastModifiedTime": WHEN},
            "dataProcessingDetails": {"status": "Completed", "creationTime": WHEN, "lastModifiedTime": WHEN},
            "trainingDetails": {"status": "InProgress", "creationTime": WHEN, "lastModifiedTime": WHEN},
        },
    }
    stubs[1].add_response("get_model_customization_job", job, {"jobIdentifier": JOB_ARN})
    stubs[2].add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
    stubs[1].add_response(
        "get_custom_model",
        {
            "modelArn": MODEL_ARN,
            "modelName": "imported",
            "creationTime": WHEN,
            "modelStatus": "Active",
            "customizationType": "IMPORTED",
        },
        {"modelIdentifier": MODEL_ARN},
    )
    for stub in stubs:
        stub.activate()
    monkeypatch.setattr(command, "make_clients", lambda args: Clients(cfn, bedrock, s3, "us-east-1"))
    out, err = io.StringIO(), io.StringIO()
    # WHEN watched once
    status = command.main(["Tuning", "--once", "--out", str(tmp_path)], stdout=out, stderr=err)
    # THEN the model and job show, the report is written, and the unreadable folder is named with its permission
    assert status == 1
    printed = out.getvalue()
    assert "  output JobArn  " + JOB_ARN in printed
    assert "    model            Active  imported" in printed
    assert "    training         InProgress  started 2026-11-25 10:00:00Z" in printed
    assert err.getvalue().startswith(
        "bedrock-customization watch: cannot read FineTune: cannot list s3://out-bucket/runs/model-customization-job-"
    )
    assert "s3:ListBucket" in err.getvalue()
    assert "## Could not read" in (tmp_path / "report.md").read_text()
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_without_the_watch_extra_the_command_says_what_to_install_and_exits_2(monkeypatch):
    monkeypatch.setattr(_extras, "WATCH_EXTRA_MODULES", {"matplotlib_not_installed_here": "matplotlib"})
    out, err = io.StringIO(), io.StringIO()
    assert command.main(["Tuning", "--once"], stdout=out, stderr=err) == 2
    assert err.getvalue() == (
        "bedrock-customization watch needs the watch extra: pip install 'cdk-bedrock-customization[watch]'\n"
    )
    assert out.getvalue() == ""


def test_python_m_bedrock_customization_dispatches_watch(capsys):
    from bedrock_customization.__main__ import main

    assert main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["watch", "--help"])
    assert caught.value.code == 0
    assert "usage: bedrock-customization watch" in capsys.readouterr().out


def test_the_sparkline_scales_low_to_high_and_buckets_long_series():
    assert sparkline([]) == ""
    assert sparkline([3.0, 2.0, 1.0, 1.0]) == "█▅▁▁"
    assert sparkline([1.0, 1.0]) == "▄▄"
    long = sparkline([100.0 - i for i in range(100)], width=10)
    assert len(long) == 10 and long[0] == "█" and long[-1] == "▁"


def test_the_live_table_renders_every_resource_with_its_phases(tmp_path):
    from rich.console import Console

    cfn, bedrock, s3 = client("cloudformation"), client("bedrock"), client("s3")
    with Stubber(cfn) as c, Stubber(bedrock) as b:
        c.add_response("describe_stacks", stack_answer(), None)
        c.add_response(
            "list_stack_resources",
            {"StackResourceSummaries": [summary("FineTune", contract.JOB_RESOURCE_TYPE, "", "CREATE_IN_PROGRESS")]},
            None,
        )
        snapshot = take_snapshot(Clients(cfn, bedrock, s3, "us-east-1"), "Tuning", now=WHEN)
        b.assert_no_pending_responses()
    console = Console(file=io.StringIO(), width=160, force_terminal=False)
    console.print(render(snapshot, interval=30))
    shown = console.file.getvalue()
    assert "Tuning  CREATE_IN_PROGRESS" in shown and "every 30 s; Ctrl-C stops" in shown
    assert "FineTune" in shown and "nothing to read yet: CloudFormation has no physical id" in shown
    assert "    note             nothing to read yet" in "\n".join(plain_lines(snapshot))
    assert not snapshot.all_terminal
