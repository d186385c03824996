"""The stack's ``AWS::S3::Bucket`` resources exist in moto under their ``Ref`` while the stack does (driver/buckets.py):
made before the custom resources run, deleted with their objects when the stack is deleted or its create rolls back,
kept when their ``DeletionPolicy`` says so. A tiny provider that answers at once; no Bedrock."""

from __future__ import annotations

import pytest
from bedrock_customization_local.driver.assembly import CloudAssembly
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackRunner
from botocore.exceptions import ClientError

from .conftest import function_resource, write_assembly, write_probe_asset

pytestmark = pytest.mark.integration

NAMED = "driver-buckets-test-data"


def _template(*, fail: str = "") -> dict:
    token = {"Fn::GetAtt": ["Provider", "Arn"]}
    probe = {"ServiceToken": token, "Id": "probe-1", "Bucket": {"Ref": "Generated"}}
    if fail:
        probe["Fail"] = fail
    return {
        "Resources": {
            "ProviderRole": {"Type": "AWS::IAM::Role"},
            "Provider": function_resource(handler="bedrock_customization_provider.handler.main"),
            "Generated": {"Type": "AWS::S3::Bucket"},
            "Named": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": {"Fn::Sub": f"{NAMED}-${{AWS::Region}}"}},
            },
            "Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
            "KeptUnlessCreateFails": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate"},
            "Probe": {"Type": "Custom::Probe", "Properties": probe},
        },
        "Outputs": {lid: {"Value": {"Ref": lid}} for lid in ("Generated", "Named", "Kept", "KeptUnlessCreateFails")},
    }


def _runner(cloud, tmp_path, template: dict) -> StackRunner:
    directory = write_assembly(tmp_path / "cdk.out", template, stack="BucketStack")
    write_probe_asset(directory / "asset.abc123")
    return StackRunner(cloud, CloudAssembly.load(directory).stack())


def _exists(s3, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] in ("404", "NoSuchBucket"), exc.response
        return False
    return True


def _names(runner: StackRunner) -> dict[str, str]:
    """Each bucket's Ref, as the stack resolves it (the outputs)."""
    return {lid: str(value) for lid, value in runner.outputs().items()}


def test_buckets_exist_while_the_stack_does_and_retained_ones_outlive_it(cloud, tmp_path):
    runner = _runner(cloud, tmp_path, _template())
    s3 = cloud.client("s3")
    seen_while_running: list[set[str]] = []
    runner.tick_hooks.append(lambda r: seen_while_running.append({b["Name"] for b in s3.list_buckets()["Buckets"]}))

    # WHEN the stack is created
    outcome = runner.deploy()

    # THEN every bucket exists under its Ref, already while the custom resource ran, and that resource got the name
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    names = _names(runner)
    assert names["Named"] == f"{NAMED}-us-east-1"
    assert names["Generated"].startswith("bucketstack-generated-")
    assert all(_exists(s3, name) for name in names.values())
    assert seen_while_running and set(names.values()) <= seen_while_running[0]
    assert runner.requests[0]["ResourceProperties"]["Bucket"] == names["Generated"]

    # GIVEN objects in them (the emulator writes a job's metric files like this)
    for name in names.values():
        s3.put_object(Bucket=name, Key="output/model-customization-job-x/training_artifacts/metrics.csv", Body=b"1")

    # WHEN the stack is deleted
    assert runner.destroy().status == "DELETE_COMPLETE"

    # THEN the buckets went with their objects, except those whose DeletionPolicy keeps them on a delete
    assert not _exists(s3, names["Generated"]) and not _exists(s3, names["Named"])
    assert _exists(s3, names["Kept"]) and _exists(s3, names["KeptUnlessCreateFails"])
    assert s3.list_objects_v2(Bucket=names["Kept"])["KeyCount"] == 1
    # AND the end check does not count buckets
    assert find_leftovers(cloud, runner.owned_model_arns()) == []


def test_a_create_that_rolls_back_deletes_its_buckets_except_retained_ones(cloud, tmp_path):
    runner = _runner(cloud, tmp_path, _template(fail="the probe refuses"))
    s3 = cloud.client("s3")

    # WHEN the create fails and rolls back
    outcome = runner.deploy()

    # THEN the stack's buckets are gone, the Retain one kept, and RetainExceptOnCreate deleted (its create failed)
    assert outcome.status == "ROLLBACK_COMPLETE", outcome.failures
    names = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in runner.resource_summaries()}
    assert not _exists(s3, names["Generated"]) and not _exists(s3, names["Named"])
    assert not _exists(s3, names["KeptUnlessCreateFails"])
    assert _exists(s3, names["Kept"])
