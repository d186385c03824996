"""The three CDK apps the synth benchmark compares, each declaring N jobs of one shape in one stack.

- ``floor``: N plain ``AWS::CloudFormation::CustomResource``s with a ServiceToken and the same request properties as
  ours (what any custom resource costs at least: no provider, no roles, no validation).
- ``peer``: the CDK provider framework (``custom_resources.Provider`` with an ``onEvent`` and an ``isComplete``
  handler, inline code) and N ``CustomResource``s with the same properties; what a team writes without this project.
  It waits an hour at most, has no service roles, and checks nothing at synth.
- ``ours``: N ``CustomizationJob``s in the default long wait, one bucket, one output prefix (a learning-rate sweep), as
  a user writes them.
- ``imported``: the same jobs in a stack served by a provider stack deployed on its own
  (``BedrockCustomizationProvider.from_provider_stack``): the stack imports the service token, as the floor names one.

Run one case: ``python bench/synth_apps.py <floor|peer|ours|imported> <jobs> <outdir>``; it prints one JSON line with
the time spent building and synthesizing (after the imports every case makes; what one case alone imports is
counted), the template's size and resource count. ``bench/synth.py``
runs the cases in fresh processes and compares them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

BASE_MODEL = "amazon.nova-micro-v1:0:128k"


def request(bucket: s3.IBucket, index: int) -> dict:
    """The CreateModelCustomizationJob request the floor and the peer carry (ours renders the same)."""
    return {
        "baseModelIdentifier": BASE_MODEL,
        "customizationType": "FINE_TUNING",
        "roleArn": "arn:aws:iam::111122223333:role/bedrock-customization",
        "trainingDataConfig": {"s3Uri": f"s3://{bucket.bucket_name}/train/data.jsonl"},
        "outputDataConfig": {"s3Uri": f"s3://{bucket.bucket_name}/output/sweep/"},
        "hyperParameters": {"epochCount": "1", "learningRate": str(0.00001 + 0.0000002 * index)},
        "jobTags": [{"key": "sweep", "value": str(index)}],
    }


def floor(stack: cdk.Stack, bucket: s3.IBucket, jobs: int) -> None:
    token = f"arn:aws:lambda:{stack.region}:{stack.account}:function:provider"
    for index in range(jobs):
        cdk.CfnResource(
            stack,
            f"Job{index}",
            type="AWS::CloudFormation::CustomResource",
            properties={"ServiceToken": token, **request(bucket, index)},
        )


PEER_CODE = "def handler(event, context):\n    return {'IsComplete': True}\n"


def peer(stack: cdk.Stack, bucket: s3.IBucket, jobs: int) -> None:
    # what only this app needs is imported in it, and timed, as our package's imports are in ours
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import custom_resources as cr

    def function(name: str) -> lambda_.Function:
        return lambda_.Function(
            stack,
            name,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline(PEER_CODE),
        )

    provider = cr.Provider(
        stack,
        "Provider",
        on_event_handler=function("OnEvent"),
        is_complete_handler=function("IsComplete"),
        query_interval=cdk.Duration.minutes(1),
        total_timeout=cdk.Duration.hours(1),
    )
    for index in range(jobs):
        cdk.CustomResource(
            stack,
            f"Job{index}",
            service_token=provider.service_token,
            resource_type="Custom::BedrockModelCustomizationJob",
            properties=request(bucket, index),
        )


def ours(stack: cdk.Stack, bucket: s3.IBucket, jobs: int) -> None:
    from bedrock_customization import CustomizationJob, S3Location

    for index in range(jobs):
        CustomizationJob(
            stack,
            f"Job{index}",
            base_model=BASE_MODEL,
            training_data=S3Location(bucket, "train/data.jsonl"),
            output_data=S3Location(bucket, "output/sweep/"),
            hyper_parameters={"epochCount": 1, "learningRate": 0.00001 + 0.0000002 * index},
            job_tags={"sweep": str(index)},
        )


def imported(stack: cdk.Stack, bucket: s3.IBucket, jobs: int) -> None:
    from bedrock_customization import BedrockCustomizationProvider

    BedrockCustomizationProvider.from_provider_stack(stack)
    ours(stack, bucket, jobs)


CASES = {"floor": floor, "peer": peer, "ours": ours, "imported": imported}


def run(case: str, jobs: int, outdir: Path) -> dict:
    started = time.perf_counter()
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Bench")
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "my-training-data")
    CASES[case](stack, bucket, jobs)
    assembly = app.synth()
    seconds = time.perf_counter() - started
    template = assembly.get_stack_by_name("Bench").template
    body = json.dumps(template, separators=(",", ":"))
    return {
        "case": case,
        "jobs": jobs,
        "synth_s": seconds,
        "bytes": len(body),
        "resources": len(template.get("Resources", {})),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))))
