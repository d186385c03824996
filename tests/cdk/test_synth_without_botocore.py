"""Synth never imports botocore: the constructs read Bedrock's model with the provider's own reader
(:mod:`bedrock_customization_provider.service_model`), and botocore's loader would pull in urllib3 (~150 ms a synth).
Nor aws-cdk's ``aws_bedrock`` module (30-45 ms) while no model of ours is handed to aws-cdk (``jsii_interfaces.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: A fresh interpreter imports the library, builds and synthesizes one validated job, then reports what it loaded.
SYNTH_ONE_JOB = """
import json, sys
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
import bedrock_customization
from bedrock_customization import CustomizationJob, S3Location
from bedrock_customization_provider import shapes

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "NoBotocore")
bucket = s3.Bucket(stack, "Data")
CustomizationJob(
    stack, "Job",
    base_model="amazon.nova-micro-v1:0:128k",
    training_data=S3Location(bucket, "train/data.jsonl"),
    output_data=S3Location(bucket, "output/"),
    hyper_parameters={"epochCount": 2},
)
template = app.synth().get_stack_by_name("NoBotocore").template
print(json.dumps({
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("botocore", "boto3", "urllib3")),
    "model_loaded": shapes.service_model.cache_info().currsize,
    "aws_bedrock_loaded": "aws_cdk.aws_bedrock" in sys.modules,
    "types": sorted({r["Type"] for r in template["Resources"].values()}),
}))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_DATA_PATH")}
    env.update({"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"})
    out = subprocess.run(
        [sys.executable, "-c", SYNTH_ONE_JOB, str(tmp_path_factory.mktemp("synth") / "cdk.out")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_and_synthesizing_a_job_does_not_import_botocore(report):
    # the job was validated against Bedrock's model (so the reader ran) and synthesized
    assert report["model_loaded"] == 1
    assert any(t.startswith("Custom::") for t in report["types"]), report["types"]
    assert report["loaded"] == []


def test_a_job_whose_model_nothing_takes_does_not_import_aws_cdks_bedrock_module(report):
    assert any(t.startswith("Custom::") for t in report["types"]), report["types"]
    assert report["aws_bedrock_loaded"] is False
