"""``bedrock-customization watch STACK`` against the local emulator: the driver deploys the example app (its job
through the real provider from the synthesized asset), CloudFormation's API answers for the stack, the emulator
writes Bedrock's metric CSVs into moto's S3 as the job trains, and the virtual clock is moved by hand.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bedrock_customization_local.emulator import JobScenario
from PIL import Image

from .conftest import advance_to, watch

pytestmark = pytest.mark.integration

STACK = "BedrockCustomizationExample"
# Validation lasts long enough that the deploy (at DEPLOY_SPEED) ends inside it, whatever the machine's load.
SCENARIO = JobScenario(
    validation_seconds=200 * 3600, data_processing_seconds=1200, training_seconds=6 * 3600, training_loss=0.2015
)


@pytest.fixture
def deployed(cloud, no_wait_assembly):
    """The example app (None wait mode) created, its job in validation, the clock frozen."""
    from bedrock_customization_local.driver.stack import StackRunner

    cloud.emulator.controls.add_job_scenario(SCENARIO)
    runner = StackRunner(cloud, no_wait_assembly.stack())
    outcome = runner.deploy()
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    cloud.emulator.controls.set_speed(0)
    bedrock = cloud.client("bedrock")
    (summary,) = bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    job = bedrock.get_model_customization_job(jobIdentifier=summary["jobArn"])
    yield cloud, job
    cloud.emulator.controls.set_speed(1200)
    assert runner.destroy().status == "DELETE_COMPLETE"


def options(cloud, out) -> list[str]:
    return ["--endpoint-url", cloud.emulator.endpoint_url, "--region", cloud.region, "--out", str(out)]


def test_an_unknown_stack_is_named_with_the_region_and_exit_status_1(cloud, tmp_path):
    run = watch("NoSuchStack", "--once", *options(cloud, tmp_path))
    assert run.status == 1
    assert run.err.strip() == (
        "bedrock-customization watch: stack NoSuchStack not found in us-east-1: check the name, the region (--region) "
        "and the account (--profile)"
    )
    assert not (tmp_path / "report.md").exists()


def test_once_follows_a_job_from_validation_to_completed_with_its_loss_curve(deployed, tmp_path):
    cloud, job = deployed
    arn, created = job["jobArn"], job["creationTime"]
    bucket = job["outputDataConfig"]["s3Uri"][len("s3://") :].split("/", 1)[0]
    job_id = arn.rsplit("/", 1)[-1]
    out = tmp_path / "watch"

    # GIVEN the job validating and its output bucket missing (the driver made it with the stack: deleted here)
    # WHEN watched once THEN the job and its phases show, and the unreadable bucket is named: exit status 1
    cloud.client("s3").delete_bucket(Bucket=bucket)
    run = watch(STACK, "--once", *options(cloud, out))
    assert run.status == 1, run.err
    assert f"stack {STACK}  CREATE_COMPLETE" in run.out
    assert "Custom::BedrockModelCustomizationJob  CREATE_COMPLETE" in run.out
    assert "wait mode        Short or None" in run.out
    assert f"job              InProgress  {job['jobName']}" in run.out
    assert f"job arn          {arn}" in run.out
    assert "validation       InProgress  started" in run.out
    assert "training         NotStarted" in run.out
    assert f"bucket {bucket} does not exist (NoSuchBucket)" in run.err
    assert (out / "report.md").exists()

    # GIVEN the bucket exists and the job processes its data WHEN watched THEN: no metrics yet, training not started
    cloud.client("s3").create_bucket(Bucket=bucket)
    advance_to(cloud, created + timedelta(seconds=SCENARIO.validation_seconds + 60))
    run = watch(STACK, "--once", *options(cloud, out))
    assert run.status == 0, run.err
    assert "validation       Completed   started" in run.out and "ended" in run.out
    assert "note             no metrics yet: training has not started (job InProgress, data processing InProgress)" in (
        run.out
    )
    assert not list(out.glob("*.png"))

    # GIVEN 40.5% of the training done (Bedrock reports times to the millisecond: not on a step boundary)
    # WHEN watched THEN the emulator's CSV gives 40 steps: a sparkline and pictures
    training_start = created + timedelta(seconds=SCENARIO.validation_seconds + SCENARIO.data_processing_seconds)
    advance_to(cloud, training_start + timedelta(seconds=0.405 * SCENARIO.training_seconds))
    run = watch(STACK, "--once", *options(cloud, out))
    assert run.status == 0, run.err
    assert "training         InProgress  started" in run.out
    (loss_line,) = [line for line in run.out.splitlines() if line.strip().startswith("loss ")]
    assert "at step 39 (epoch 0)" in loss_line and any(c in loss_line for c in "▁▂▃▄▅▆▇█")
    assert f"metrics          s3://{bucket}/" in run.out and f"model-customization-job-{job_id}/" in run.out
    (png,) = out.glob("FineTune*-loss.png")
    assert (out / png.name.replace(".png", ".svg")).exists()
    assert f"picture          {png}" in run.out
    with Image.open(png) as image:
        assert image.size == (1000, 550)

    # WHEN the job has completed THEN its attributes show, validation loss is drawn, and the report links the images
    advance_to(cloud, training_start + timedelta(seconds=SCENARIO.training_seconds + 60))
    run = watch(STACK, "--once", *options(cloud, out))
    assert run.status == 0, run.err
    finished = cloud.client("bedrock").get_model_customization_job(jobIdentifier=arn)
    assert finished["status"] == "Completed"
    assert f"job              Completed  {job['jobName']}" in run.out
    assert f"output model arn {finished['outputModelArn']}" in run.out
    assert f"output model     {finished['outputModelName']}" in run.out
    assert "end time         " in run.out
    assert "at step 99 (epoch 1); validation 0.2437" in run.out
    report = (out / "report.md").read_text()
    assert f"# {STACK}: customization jobs" in report
    assert f"![{png.name.removesuffix('-loss.png')} loss]({png.name})" in report
    assert f"[SVG]({png.name.replace('.png', '.svg')})" in report
    assert f"`{finished['outputModelArn']}`" in report
    assert "| 0 | 50 |" in report and "| 1 | 50 |" in report
    assert "## Could not read" not in report


def test_live_mode_refreshes_on_the_virtual_clock_until_the_job_ends(deployed, tmp_path):
    cloud, job = deployed
    training_start = job["creationTime"] + timedelta(
        seconds=SCENARIO.validation_seconds + SCENARIO.data_processing_seconds
    )
    advance_to(cloud, training_start + timedelta(seconds=0.505 * SCENARIO.training_seconds))
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # each wait moves the virtual clock instead of the wall clock
        waits.append(seconds)
        cloud.emulator.controls.advance(seconds)

    # WHEN watched live (plain lines: the output is not a terminal) with an hour between reads
    run = watch(STACK, "--interval", "3600", *options(cloud, tmp_path), sleep=sleep)

    # THEN it reads until the job has completed (3 hours of training left: 3 waits), then stops with status 0
    assert run.status == 0, run.err
    assert waits == [3600.0, 3600.0, 3600.0]
    assert run.out.count(f"stack {STACK}") == 4
    assert "at step 49 (epoch 0)" in run.out and "at step 99 (epoch 1)" in run.out
    assert run.out.rstrip().endswith(f"report  {tmp_path / 'report.md'}")
    assert "Completed" in (tmp_path / "report.md").read_text()
