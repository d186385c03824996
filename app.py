#!/usr/bin/env python3
"""Example CDK app: fine-tune a Bedrock model on data in S3, then keep customizing the result.

Synthesizes offline: no credentials, no account, no network (the stack is environment-agnostic and the provider's
asset is staged from installed packages). ``cdk synth`` runs it through cdk.json.

Optional context:
    -c dataBucket=NAME   an existing bucket holding your data, in the stack's region: the jobs train on
                         ``train/data.jsonl`` (validated on ``validation/data.jsonl``), the follow-up job on
                         ``train/more-data.jsonl``, and write under ``output/``. Default: the stack creates an empty
                         bucket, which is enough for ``cdk synth`` and the offline demo; deploy with your own bucket
                         (``cdk deploy -c dataBucket=my-training-data``), as Bedrock needs the data to exist when a
                         job starts.
    -c modelPackageArn=arn:aws:sagemaker:...:model-package/...   also register a custom model from a SageMaker AI
                                                                 model package (e.g. a Nova model trained there)
    -c waitMode=MODE     how the stack waits for the jobs (``WaitMode``): Long (default) until each job has ended, up
                         to 12 hours; Short within the custom resource's hour; None completes the stack once the
                         first job has started (for pipelines with their own time limit): then only its ARN and name
                         are output, and the follow-up job, which needs the first job's model, is left out
    -c demoRevision=N    the offline demo's later revisions of this app: 2 adds a tag (updated in place),
                         3 also changes a hyperparameter (the job is replaced by a new one)
    -c serve=true        also make the models invocable: deploy the first job's model for on-demand inference
                         (``CustomModelDeployment``) and, with ``modelPackageArn``, buy one model unit of provisioned
                         throughput (no commitment) for the registered custom model (``ProvisionedThroughput``), which
                         needs it to be invoked; both are billed while they exist. Not in the None wait mode (the stack
                         never knows the model then)
    -c sweep=N           also N jobs sweeping the learning rate over the same data (0 to 400): they share one
                         service role and wait together on shared conditions, one resource each, since nothing
                         reads their results in the stack (their models are found by the ``sweep`` job tag)
    -c providerStack=true  serve the stack's resources by a provider stack deployed on its own
                         (``BedrockCustomizationProvider.from_provider_stack``): deploy it first with ``cdk deploy
                         --app "python -m bedrock_customization.provider_app" -c
                         servedStackName=BedrockCustomizationExample``; this stack then has no provider function,
                         role or rule of its own (docs/provider-stack.md)
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from bedrock_customization import (
    BedrockCustomizationProvider,
    CustomizationJob,
    CustomModel,
    CustomModelDeployment,
    ProvisionedThroughput,
    S3Location,
    WaitMode,
)
from constructs import Construct

BASE_MODEL = "amazon.nova-micro-v1:0:128k"


class CustomizationExampleStack(cdk.Stack):
    """A data bucket (yours, or a new empty one), a fine-tuning job on it, a second job continuing from the first
    job's model, and outputs."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_bucket_name: str | None = None,
        model_package_arn: str | None = None,
        revision: int = 1,
        wait_mode: WaitMode = WaitMode.LONG,
        sweep: int = 0,
        serve: bool = False,
        provider_stack: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        if provider_stack:  # before any resource: they all name the imported service token
            BedrockCustomizationProvider.from_provider_stack(self)
        data: s3.IBucket
        if data_bucket_name:
            data = s3.Bucket.from_bucket_name(self, "Data", data_bucket_name)
        else:
            data = s3.Bucket(
                self,
                "Data",
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
            )
            # The stand-in bucket is empty and exists for `cdk synth` and the offline demo; a real deployment brings its
            # own bucket (-c dataBucket=...), whose access logging is its owner's; a log bucket here would log nothing.
            cdk.Validations.of(data).acknowledge(
                cdk.Acknowledgment(
                    id="AwsSolutions-S1",
                    reason="The example's empty stand-in bucket; deploy with your own bucket (-c dataBucket=...).",
                )
            )
        job = CustomizationJob(
            self,
            "FineTune",
            base_model=BASE_MODEL,
            training_data=S3Location(data, "train/data.jsonl"),
            validation_data=[S3Location(data, "validation/data.jsonl")],
            output_data=S3Location(data, "output/fine-tune/"),
            hyper_parameters={"epochCount": 3 if revision >= 3 else 2, "learningRate": 0.00001},
            job_tags={
                "project": "cdk-bedrock-customization",
                "stage": "example",
                **({"revision": str(revision)} if revision >= 2 else {}),
            },
            custom_model_tags={"project": "cdk-bedrock-customization"},
            wait_mode=wait_mode,
        )
        outputs = {"JobArn": job.job_arn, "JobName": job.job_name}
        if wait_mode is not WaitMode.NONE:  # in NONE the stack never knows the model: no follow-up, no model outputs
            # Iterative customization: the first job's model is the base of the next one.
            follow_up = CustomizationJob(
                self,
                "FineTuneAgain",
                base_model=job.model,
                training_data=S3Location(data, "train/more-data.jsonl"),
                output_data=S3Location(data, "output/fine-tune-again/"),
                hyper_parameters={"epochCount": 1},
                wait_mode=wait_mode,
            )
            outputs |= {
                "CustomModelArn": job.custom_model_arn,
                "CustomModelName": job.custom_model_name,
                "Status": job.status,
                "TrainingLoss": job.training_loss,
                "ValidationLoss": job.validation_loss,
                "OutputS3Uri": job.output_s3_uri,
                "FollowUpModelArn": follow_up.custom_model_arn,
            }
            if serve:  # on-demand inference of the first job's model; a new model (revision 3) is swapped in place
                deployment = CustomModelDeployment(
                    self,
                    "Serve",
                    model=job.model,
                    description="The example's fine-tuned model, for on-demand inference",
                    tags={"project": "cdk-bedrock-customization"},
                )
                outputs |= {"DeploymentArn": deployment.deployment_arn, "DeploymentStatus": deployment.status}
        for name, value in outputs.items():
            cdk.CfnOutput(self, name, value=value)

        for index in range(sweep):  # a hyperparameter sweep: same data and output prefix, so one shared role
            CustomizationJob(
                self,
                f"Sweep{index}",
                base_model=BASE_MODEL,
                training_data=S3Location(data, "train/data.jsonl"),
                output_data=S3Location(data, "output/sweep/"),
                hyper_parameters={"epochCount": 1, "learningRate": sweep_rate(index, sweep)},
                job_tags={"project": "cdk-bedrock-customization", "sweep": str(index)},
                wait_mode=wait_mode,
            )

        if model_package_arn:
            model = CustomModel(
                self,
                "ImportedModel",
                model_package_arn=model_package_arn,
                model_tags={"project": "cdk-bedrock-customization"},
            )
            cdk.CfnOutput(self, "ImportedModelArn", value=model.model_arn)
            cdk.CfnOutput(self, "ImportedModelStatus", value=model.status)
            if serve and wait_mode is not WaitMode.NONE:  # a model from CreateCustomModel is invoked through this
                throughput = ProvisionedThroughput(
                    self, "Capacity", model=model, model_units=1, tags={"project": "cdk-bedrock-customization"}
                )
                cdk.CfnOutput(self, "ProvisionedModelArn", value=throughput.provisioned_model_arn)


def sweep_rate(index: int, jobs: int) -> float:
    """The sweep's learning rates, spread evenly over Nova's documented range (1e-6 to 1e-4, checked at synth)."""
    low, high = 0.000001, 0.0001
    return round(low + (high - low) * index / max(jobs - 1, 1), 9)


def build(app: cdk.App) -> CustomizationExampleStack:
    """The example stack, configured by the app's context (see the module docstring)."""
    return CustomizationExampleStack(
        app,
        "BedrockCustomizationExample",
        data_bucket_name=app.node.try_get_context("dataBucket"),
        model_package_arn=app.node.try_get_context("modelPackageArn"),
        revision=int(app.node.try_get_context("demoRevision") or 1),
        wait_mode=WaitMode(app.node.try_get_context("waitMode") or WaitMode.LONG),
        sweep=int(app.node.try_get_context("sweep") or 0),
        serve=str(app.node.try_get_context("serve") or "").lower() == "true",
        provider_stack=str(app.node.try_get_context("providerStack") or "").lower() == "true",
    )


def main() -> cdk.App:
    app = cdk.App()
    build(app)
    app.synth()
    return app


if __name__ == "__main__":
    main()
