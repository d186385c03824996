"""Training metric files in the job's S3 output, read through the emulator's endpoint with boto3 on the virtual clock.

Every job here: 100 s validation, 200 s data processing, 1000 s training; 50 steps per epoch, so with two epochs
one step every 10 virtual seconds of training.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from bedrock_customization_local.emulator import Emulator, JobScenario
from bedrock_customization_local.emulator.training_metrics import (
    STEPS_PER_EPOCH,
    TRAINING_FILE,
    VALIDATION_FILE,
    metrics_prefix,
)

from .conftest import NO_RETRY, SEED

TRAINING_STARTS = 300  # seconds after creation
TRAINING_SECONDS = 1000
TRAINING_HEADER = "step_number,epoch_number,training_loss,perplexity"
VALIDATION_HEADER = "step_number,epoch_number,validation_loss,perplexity"
ROW = re.compile(r"^\d+,\d+,\d+\.\d{6},\d+\.\d{4}$")


@pytest.fixture
def s3(emu: Emulator) -> Any:
    return boto3.client("s3", endpoint_url=emu.endpoint_url, region_name="us-east-1", config=NO_RETRY)


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh output bucket for this test (moto outlives the per-test reset), emptied and deleted afterwards."""
    name = "metrics-" + re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    s3.create_bucket(Bucket=name)
    yield name
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def start_job(emu: Emulator, bedrock: Any, new_job: Any, bucket: str) -> Any:
    """Creates a job writing to ``s3://<bucket>/out/`` with the short scenario; returns its ARN. Request members
    given as None are left out."""

    def start(name: str = "job-1", *, outcome: str = "complete", fail_phase: str = "training", **members: Any) -> str:
        scenario = JobScenario(
            validation_seconds=100,
            data_processing_seconds=200,
            training_seconds=TRAINING_SECONDS,
            outcome=outcome,  # type: ignore[arg-type]
            fail_phase=fail_phase,  # type: ignore[arg-type]
        )
        emu.controls.add_job_scenario(scenario, once=True)
        members.setdefault("outputDataConfig", {"s3Uri": f"s3://{bucket}/out/"})
        request = {k: v for k, v in new_job(name, f"model-{name}", **members).items() if v is not None}
        return bedrock.create_model_customization_job(**request)["jobArn"]

    return start


def _keys(s3: Any, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def _read(s3: Any, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _key(bucket: str, arn: str, name: str) -> str:
    return metrics_prefix(f"s3://{bucket}/out/", arn)[1] + name


def test_metrics_prefix_joins_the_output_uri_and_the_job_id_without_a_double_slash():
    # GIVEN a job ARN as the emulator builds it (base model id, then the job id)
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.titan-text-express-v1:0:8k/abc123"

    # THEN the folder is named after the ARN's last segment, however the output URI ends
    assert metrics_prefix("s3://b/out/", arn) == ("b", "out/model-customization-job-abc123/")
    assert metrics_prefix("s3://b/out", arn) == ("b", "out/model-customization-job-abc123/")
    assert metrics_prefix("s3://b/a/b/", arn) == ("b", "a/b/model-customization-job-abc123/")
    assert metrics_prefix("s3://b", arn) == ("b", "model-customization-job-abc123/")
    assert metrics_prefix("s3://b/", arn) == ("b", "model-customization-job-abc123/")
    with pytest.raises(ValueError, match="not an S3 URI"):
        metrics_prefix("https://b/out/", arn)


def test_no_metric_file_before_training_has_done_a_step(emu, s3, bucket, start_job):
    # GIVEN a job validating and processing its data
    arn = start_job()
    emu.controls.advance(TRAINING_STARTS - 1)
    assert _keys(s3, bucket) == []

    # WHEN training has just started, and no step is done yet
    emu.controls.advance(1)
    assert _keys(s3, bucket) == []

    # THEN the first step's row appears when it is done, in the job's folder named after the ARN's id
    emu.controls.advance(10)
    key = f"out/model-customization-job-{arn.rsplit('/', 1)[1]}/{TRAINING_FILE}"
    assert _keys(s3, bucket) == [key]
    assert _read(s3, bucket, key).splitlines()[0] == TRAINING_HEADER
    assert len(_rows(_read(s3, bucket, key))) == 1


def test_rows_grow_as_the_virtual_clock_moves_through_training(emu, s3, bucket, start_job, bedrock):
    # GIVEN a training job, a quarter through its training
    arn = start_job()
    key = _key(bucket, arn, TRAINING_FILE)
    emu.controls.advance(TRAINING_STARTS + 250)
    quarter = _rows(_read(s3, bucket, key))

    # WHEN the clock moves to half way
    emu.controls.advance(250)
    half = _rows(_read(s3, bucket, key))

    # THEN the file has the steps reached by each time, earlier rows unchanged
    assert len(quarter) == 25 and len(half) == 50
    assert half[:25] == quarter
    assert [int(row["step_number"]) for row in half] == list(range(50))
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "InProgress"


def test_completed_job_has_every_step_of_every_epoch_ending_on_the_reported_loss(emu, s3, bucket, start_job, bedrock):
    # GIVEN a three-epoch job
    arn = start_job(hyperParameters={"epochCount": "3", "batchSize": "1", "learningRate": "0.00001"})

    # WHEN it completes
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["status"] == "Completed"
    rows = _rows(_read(s3, bucket, _key(bucket, arn, TRAINING_FILE)))

    # THEN every step of the three epochs is there, and the last loss is the one GetModelCustomizationJob reports
    assert len(rows) == 3 * STEPS_PER_EPOCH
    assert [int(row["step_number"]) for row in rows] == list(range(3 * STEPS_PER_EPOCH))
    assert sorted({int(row["epoch_number"]) for row in rows}) == [0, 1, 2]
    assert all(int(row["epoch_number"]) == int(row["step_number"]) // STEPS_PER_EPOCH for row in rows)
    assert float(rows[-1]["training_loss"]) == pytest.approx(job["trainingMetrics"]["trainingLoss"], abs=1e-6)
    # a decaying curve: the first epoch's mean loss is well above the last epoch's
    first, last = rows[:STEPS_PER_EPOCH], rows[-STEPS_PER_EPOCH:]
    assert sum(float(r["training_loss"]) for r in first) > 2 * sum(float(r["training_loss"]) for r in last)


def test_validation_file_appears_at_completion_only_for_a_job_with_validation_data(emu, s3, bucket, start_job, bedrock):
    # GIVEN a job with validation data and one without
    validated = start_job("validated")
    unvalidated = start_job("unvalidated", validationDataConfig=None)

    # WHEN training is all but done
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS - 1)

    # THEN neither has a validation file yet
    assert all(not key.endswith(VALIDATION_FILE) for key in _keys(s3, bucket))

    # WHEN both complete
    emu.controls.advance(1)

    # THEN only the validated job has one: a row per epoch, at each epoch's last step, ending on the reported loss
    keys = _keys(s3, bucket)
    assert _key(bucket, validated, VALIDATION_FILE) in keys
    assert _key(bucket, unvalidated, VALIDATION_FILE) not in keys
    assert _key(bucket, unvalidated, TRAINING_FILE) in keys
    text = _read(s3, bucket, _key(bucket, validated, VALIDATION_FILE))
    assert text.splitlines()[0] == VALIDATION_HEADER
    rows = _rows(text)
    assert [(int(r["step_number"]), int(r["epoch_number"])) for r in rows] == [
        (STEPS_PER_EPOCH - 1, 0),
        (2 * STEPS_PER_EPOCH - 1, 1),
    ]
    job = bedrock.get_model_customization_job(jobIdentifier=validated)
    reported = job["validationMetrics"][0]["validationLoss"]
    assert float(rows[-1]["validation_loss"]) == pytest.approx(reported, abs=1e-6)
    training = _rows(_read(s3, bucket, _key(bucket, validated, TRAINING_FILE)))
    assert float(rows[-1]["validation_loss"]) > float(training[-1]["training_loss"])


def test_files_have_the_exact_header_and_plain_decimal_rows(emu, s3, bucket, start_job):
    # GIVEN a completed job with validation data
    arn = start_job()
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)

    for name, header in ((TRAINING_FILE, TRAINING_HEADER), (VALIDATION_FILE, VALIDATION_HEADER)):
        text = _read(s3, bucket, _key(bucket, arn, name))
        lines = text.split("\n")

        # THEN a header line, rows of integers and plain decimals, one trailing newline, perplexity = exp(loss)
        assert lines[0] == header and lines[-1] == ""
        assert all(ROW.match(line) for line in lines[1:-1]), lines[1:4]
        for line in lines[1:-1]:
            loss, perplexity = (float(value) for value in line.split(",")[2:])
            assert loss > 0
            assert perplexity == pytest.approx(math.exp(loss), abs=1e-4)


def test_curves_repeat_for_the_same_seed_and_differ_for_another(emu, s3, bucket, start_job):
    # GIVEN a completed job's training file
    arn = start_job()
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)
    first = _read(s3, bucket, _key(bucket, arn, TRAINING_FILE))
    s3.delete_object(Bucket=bucket, Key=_key(bucket, arn, TRAINING_FILE))
    s3.delete_object(Bucket=bucket, Key=_key(bucket, arn, VALIDATION_FILE))

    # WHEN the emulator starts over with the same seed and the same job runs again
    emu.controls.reset(seed=SEED, moto=False)
    again = start_job()
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)

    # THEN it has the same id and the very same curve
    assert again == arn
    assert _read(s3, bucket, _key(bucket, arn, TRAINING_FILE)) == first

    # WHEN it starts over with another seed
    for key in _keys(s3, bucket):
        s3.delete_object(Bucket=bucket, Key=key)
    emu.controls.reset(seed=SEED + 1, moto=False)
    other = start_job()
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)

    # THEN the curve differs, though it ends on the same reported loss
    text = _read(s3, bucket, _key(bucket, other, TRAINING_FILE))
    assert text != first
    assert text.splitlines()[-1].split(",")[2] == first.splitlines()[-1].split(",")[2]


def test_stopped_job_keeps_the_rows_reached_before_its_stop(emu, s3, bucket, start_job, bedrock):
    # GIVEN a job 30 steps into training
    arn = start_job()
    emu.controls.advance(TRAINING_STARTS + 305)

    # WHEN it is stopped, and the clock runs far past where it would have completed
    bedrock.stop_model_customization_job(jobIdentifier=arn)
    emu.controls.advance(TRAINING_SECONDS * 3)
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "Stopped"

    # THEN its training file keeps those 30 rows, and it has no validation file
    assert len(_rows(_read(s3, bucket, _key(bucket, arn, TRAINING_FILE)))) == 30
    assert _keys(s3, bucket) == [_key(bucket, arn, TRAINING_FILE)]


def test_job_failing_before_training_writes_nothing(emu, s3, bucket, start_job, bedrock):
    # GIVEN a job whose data validation fails
    arn = start_job("broken", outcome="fail", fail_phase="validation")

    # WHEN it has failed and any job would long have finished
    emu.controls.advance(6 * 3600)
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "Failed"

    # THEN its output folder is empty
    assert _keys(s3, bucket) == []


def test_missing_output_bucket_gets_no_bucket_and_no_files(emu, s3, bucket, start_job):
    # GIVEN a job whose output bucket does not exist
    start_job(outputDataConfig={"s3Uri": "s3://metrics-no-such-bucket/out/"})

    # WHEN it trains to completion and a reader looks
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]

    # THEN the emulator made no bucket (and wrote nothing elsewhere)
    assert "metrics-no-such-bucket" not in names
    assert _keys(s3, bucket) == []


def test_other_objects_in_the_output_bucket_are_left_alone(emu, s3, bucket, start_job):
    # GIVEN the output bucket holds the user's own objects, one under the output prefix
    s3.put_object(Bucket=bucket, Key="out/notes.txt", Body=b"mine")
    arn = start_job()

    # WHEN the job completes
    emu.controls.advance(TRAINING_STARTS + TRAINING_SECONDS)

    # THEN they are untouched beside the job's two files
    assert _read(s3, bucket, "out/notes.txt") == "mine"
    assert _keys(s3, bucket) == sorted(
        ["out/notes.txt", _key(bucket, arn, TRAINING_FILE), _key(bucket, arn, VALIDATION_FILE)]
    )


def test_a_deleted_file_comes_back_only_when_new_rows_arrive(emu, s3, bucket, start_job):
    # GIVEN a training job's file, deleted by its reader half way through
    arn = start_job()
    key = _key(bucket, arn, TRAINING_FILE)
    emu.controls.advance(TRAINING_STARTS + 500)
    s3.delete_object(Bucket=bucket, Key=key)

    # THEN it stays deleted while no step is done (so a bucket can be emptied and deleted)
    assert _keys(s3, bucket) == []

    # AND it is written again, in full, once the next step is
    emu.controls.advance(10)
    assert len(_rows(_read(s3, bucket, key))) == 51


def test_last_modified_is_the_virtual_time_of_the_last_row(emu, s3, bucket, start_job, bedrock):
    # GIVEN a job 42 steps into training
    arn = start_job()
    emu.controls.advance(TRAINING_STARTS + 425)
    created = bedrock.get_model_customization_job(jobIdentifier=arn)["creationTime"]

    # THEN the object was last modified when step 41 was done (S3 reports whole seconds)
    head = s3.head_object(Bucket=bucket, Key=_key(bucket, arn, TRAINING_FILE))
    written = created.timestamp() + TRAINING_STARTS + 420
    assert written - 1 < head["LastModified"].timestamp() <= written
