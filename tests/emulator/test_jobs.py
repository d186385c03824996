"""Customization jobs against the running emulator through unmodified boto3: lifecycle, names, tokens, errors."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from bedrock_customization_local.emulator import JobScenario
from bedrock_customization_local.emulator.service_model import service_model
from botocore.exceptions import ClientError

HOURS = 3600


def _pattern(shape: str) -> re.Pattern[str]:
    return re.compile(service_model().shape_for(shape).metadata["pattern"])


def _phases(job: dict) -> dict[str, str]:
    details = job["statusDetails"]
    return {key: details[key]["status"] for key in ("validationDetails", "dataProcessingDetails", "trainingDetails")}


def test_job_moves_through_phases_and_completes_with_a_custom_model(emu, bedrock, new_job):
    # GIVEN a job with the default six-hour scenario (10 min validation, 20 min data processing, 5.5 h training)
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]

    # THEN it starts validating, with no output model yet
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["status"] == "InProgress"
    assert _phases(job) == {
        "validationDetails": "InProgress",
        "dataProcessingDetails": "NotStarted",
        "trainingDetails": "NotStarted",
    }
    assert job["outputModelName"] == "model-1"
    assert "outputModelArn" not in job and "trainingMetrics" not in job and "endTime" not in job

    emu.controls.advance(11 * 60)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert _phases(job) == {
        "validationDetails": "Completed",
        "dataProcessingDetails": "InProgress",
        "trainingDetails": "NotStarted",
    }
    assert job["statusDetails"]["validationDetails"]["lastModifiedTime"] == job["creationTime"] + timedelta(minutes=10)

    emu.controls.advance(20 * 60)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["status"] == "InProgress"
    assert _phases(job)["trainingDetails"] == "InProgress"

    # WHEN the six hours are over
    emu.controls.advance(6 * HOURS)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)

    # THEN the job is Completed, with its model, metrics and end time
    assert job["status"] == "Completed"
    assert set(_phases(job).values()) == {"Completed"}
    assert job["endTime"] == job["creationTime"] + timedelta(hours=6)
    assert job["trainingMetrics"] == {"trainingLoss": pytest.approx(0.2015)}
    assert job["validationMetrics"] == [{"validationLoss": pytest.approx(0.2437)}]
    model = bedrock.get_custom_model(modelIdentifier=job["outputModelArn"])
    assert model["modelStatus"] == "Active"
    assert model["modelName"] == "model-1"
    assert model["jobArn"] == arn
    assert model["customizationType"] == "FINE_TUNING"
    assert model["creationTime"] == job["endTime"]


def test_arns_follow_bedrocks_formats(emu, bedrock, new_job):
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(7 * HOURS)
    model_arn = bedrock.get_model_customization_job(jobIdentifier=arn)["outputModelArn"]

    assert re.fullmatch(
        r"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon\.titan-text-express-v1:0:8k/[a-z0-9]{12}",
        arn,
    )
    assert _pattern("ModelCustomizationJobArn").fullmatch(arn)
    assert re.fullmatch(
        r"arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon\.titan-text-express-v1:0:8k/[a-z0-9]{12}",
        model_arn,
    )
    assert _pattern("CustomModelArn").fullmatch(model_arn)
    assert _pattern("TaggableResourcesArn").fullmatch(model_arn)


def test_job_is_found_by_name_and_by_arn(bedrock, new_job):
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]

    by_name = bedrock.get_model_customization_job(jobIdentifier="job-1")
    by_arn = bedrock.get_model_customization_job(jobIdentifier=arn)

    assert by_name["jobArn"] == by_arn["jobArn"] == arn
    assert by_arn["baseModelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
    assert by_arn["hyperParameters"] == {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"}


def test_stop_goes_through_stopping_to_stopped_and_creates_no_model(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario(stop_seconds=120))
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(40 * 60)  # training

    bedrock.stop_model_customization_job(jobIdentifier=arn)
    job = bedrock.get_model_customization_job(jobIdentifier="job-1")
    assert job["status"] == "Stopping"
    assert _phases(job) == {
        "validationDetails": "Completed",
        "dataProcessingDetails": "Completed",
        "trainingDetails": "Stopping",
    }

    emu.controls.advance(121)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["status"] == "Stopped"
    assert _phases(job)["trainingDetails"] == "Stopped"
    assert "endTime" in job and "outputModelArn" not in job

    emu.controls.advance(10 * HOURS)
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "Stopped"
    assert bedrock.list_custom_models()["modelSummaries"] == []


def test_stopping_a_job_that_is_not_in_progress_is_a_validation_error(emu, bedrock, new_job):
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(7 * HOURS)

    with pytest.raises(bedrock.exceptions.ValidationException, match="Completed"):
        bedrock.stop_model_customization_job(jobIdentifier=arn)


def test_failing_scenario_fails_in_its_phase_with_the_message_and_no_model(emu, bedrock, new_job):
    emu.controls.add_job_scenario(
        JobScenario(outcome="fail", fail_phase="data_processing", failure_message="Training data is malformed."),
        prefix="broken-",
    )
    arn = bedrock.create_model_customization_job(**new_job("broken-job"))["jobArn"]
    other = bedrock.create_model_customization_job(**new_job("fine-job", "model-2"))["jobArn"]

    emu.controls.advance(31 * 60)

    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["status"] == "Failed"
    assert job["failureMessage"] == "Training data is malformed."
    assert _phases(job) == {
        "validationDetails": "Completed",
        "dataProcessingDetails": "Failed",
        "trainingDetails": "NotStarted",
    }
    assert "outputModelArn" not in job
    assert bedrock.get_model_customization_job(jobIdentifier=other)["status"] == "InProgress"


def test_run_forever_scenario_stays_in_progress(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario(outcome="run_forever"), once=True)
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    second = bedrock.create_model_customization_job(**new_job("job-2", "model-2"))["jobArn"]

    emu.controls.advance(1000 * HOURS)

    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "InProgress"
    assert bedrock.get_model_customization_job(jobIdentifier=second)["status"] == "Completed"  # "once" was used up


def test_lasting_scenario_sets_the_total_duration(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario.lasting(60, training_loss=0.5))
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]

    emu.controls.advance(59)
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "InProgress"
    emu.controls.advance(1)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert job["status"] == "Completed"
    assert job["trainingMetrics"]["trainingLoss"] == 0.5


def test_same_client_request_token_returns_the_same_job_and_creates_one(emu, bedrock, new_job):
    first = bedrock.create_model_customization_job(**new_job(clientRequestToken="req-123"))["jobArn"]
    again = bedrock.create_model_customization_job(**new_job(clientRequestToken="req-123"))["jobArn"]
    # Bedrock "ignores the request" for a known token, even when other parameters differ
    different = bedrock.create_model_customization_job(**new_job("job-x", clientRequestToken="req-123"))["jobArn"]

    assert first == again == different
    state = emu.controls.state()
    assert [job["jobArn"] for job in state["jobs"]] == [first]
    assert state["jobs"][0]["clientRequestToken"] == "req-123"
    creates = [call for call in state["calls"] if call["operation"] == "CreateModelCustomizationJob"]
    assert [call["replayed"] for call in creates] == [False, True, True]
    assert {call["clientRequestToken"] for call in creates} == {"req-123"}


def test_concurrent_duplicate_deliveries_create_exactly_one_job(emu, bedrock, new_job):
    arns: list[str] = []

    def deliver() -> None:
        arns.append(bedrock.create_model_customization_job(**new_job(clientRequestToken="dup"))["jobArn"])

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(arns)) == 1 and len(arns) == 8
    assert len(emu.controls.state()["jobs"]) == 1


def test_job_name_in_use_is_a_validation_error_even_after_the_job_ended(emu, bedrock, new_job):
    bedrock.create_model_customization_job(**new_job())
    emu.controls.advance(7 * HOURS)

    with pytest.raises(bedrock.exceptions.ValidationException) as raised:
        bedrock.create_model_customization_job(**new_job("job-1", "model-2"))

    assert raised.value.response["Error"]["Message"] == "The provided job name is currently in use."
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_custom_model_name_of_a_running_job_or_existing_model_is_in_use(emu, bedrock, new_job):
    bedrock.create_model_customization_job(**new_job("job-1", "model-1"))

    with pytest.raises(bedrock.exceptions.ValidationException, match="custom model name is currently in use"):
        bedrock.create_model_customization_job(**new_job("job-2", "model-1"))

    emu.controls.advance(7 * HOURS)  # model-1 now exists
    with pytest.raises(bedrock.exceptions.ValidationException, match="custom model name is currently in use"):
        bedrock.create_model_customization_job(**new_job("job-3", "model-1"))
    assert len(emu.controls.state()["jobs"]) == 1


def test_model_name_of_a_failed_job_is_free_again(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario(outcome="fail", fail_phase="validation"), once=True)
    bedrock.create_model_customization_job(**new_job("job-1", "model-1"))
    emu.controls.advance(HOURS)

    arn = bedrock.create_model_customization_job(**new_job("job-2", "model-1"))["jobArn"]

    assert arn.startswith("arn:aws:bedrock:")


def test_list_jobs_filters_sorts_and_paginates(emu, bedrock, new_job):
    for index in range(5):
        bedrock.create_model_customization_job(**new_job(f"list-job-{index}", f"list-model-{index}"))
        emu.controls.advance(1)
    bedrock.create_model_customization_job(**new_job("other", "other-model"))

    names = []
    token = None
    while True:
        kwargs = {"nameContains": "list-job", "maxResults": 2, "sortOrder": "Ascending"}
        page = bedrock.list_model_customization_jobs(**kwargs, **({"nextToken": token} if token else {}))
        names += [summary["jobName"] for summary in page["modelCustomizationJobSummaries"]]
        token = page.get("nextToken")
        if not token:
            break
    assert names == [f"list-job-{index}" for index in range(5)]
    assert bedrock.list_model_customization_jobs(statusEquals="Completed")["modelCustomizationJobSummaries"] == []
    newest = bedrock.list_model_customization_jobs(maxResults=1)["modelCustomizationJobSummaries"][0]
    assert newest["jobName"] == "other"
    assert newest["status"] == "InProgress" and newest["customModelName"] == "other-model"


def test_unknown_job_is_resource_not_found_404(bedrock):
    arn = (
        "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.titan-text-express-v1:0:8k/abcdefghijkl"
    )
    for identifier in ("missing-job", arn):
        with pytest.raises(bedrock.exceptions.ResourceNotFoundException) as raised:
            bedrock.get_model_customization_job(jobIdentifier=identifier)
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.stop_model_customization_job(jobIdentifier="missing-job")


def test_continued_customization_of_a_custom_model_keeps_the_base_model_id(emu, bedrock, new_job):
    first = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(7 * HOURS)
    model_arn = bedrock.get_model_customization_job(jobIdentifier=first)["outputModelArn"]

    second = bedrock.create_model_customization_job(
        **new_job("job-2", "model-2", baseModelIdentifier=model_arn, customizationType="CONTINUED_PRE_TRAINING")
    )["jobArn"]

    assert "/amazon.titan-text-express-v1:0:8k/" in second
    job = bedrock.get_model_customization_job(jobIdentifier=second)
    assert job["baseModelArn"] == model_arn
    assert job["customizationType"] == "CONTINUED_PRE_TRAINING"


def test_unknown_base_custom_model_is_rejected(bedrock, new_job):
    with pytest.raises(ClientError) as raised:
        bedrock.create_model_customization_job(**new_job(baseModelIdentifier="no-such-model"))
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def _times(job: dict, phase: str) -> tuple[timedelta | None, timedelta | None]:
    """(creationTime, lastModifiedTime) of a statusDetails phase as offsets from the job's creationTime."""
    details = job["statusDetails"][phase]
    return tuple(
        details[key] - job["creationTime"] if key in details else None for key in ("creationTime", "lastModifiedTime")
    )


def test_each_phase_reports_when_it_started_and_when_it_last_changed(emu, bedrock, new_job):
    # GIVEN a job with the default scenario: validation 0-10 min, data processing 10-30 min, training 30 min-6 h
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    minute = timedelta(minutes=1)

    # WHEN it has just started
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    # THEN validation started with the job; phases not started yet carry only their status (no start, no change)
    assert _times(job, "validationDetails") == (0 * minute, 0 * minute)
    assert job["statusDetails"]["dataProcessingDetails"] == {"status": "NotStarted"}
    assert job["statusDetails"]["trainingDetails"] == {"status": "NotStarted"}

    # WHEN it is 40 minutes in (training)
    emu.controls.advance(40 * 60)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    # THEN each phase's creationTime is its own start and lastModifiedTime its last change
    assert _times(job, "validationDetails") == (0 * minute, 10 * minute)
    assert _times(job, "dataProcessingDetails") == (10 * minute, 30 * minute)
    assert _times(job, "trainingDetails") == (30 * minute, 30 * minute)
    summary = bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"][0]
    assert summary["statusDetails"] == job["statusDetails"]

    # WHEN the job has completed
    emu.controls.advance(6 * HOURS)
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    # THEN training started at 30 min and last changed when the job ended
    assert _times(job, "trainingDetails") == (30 * minute, 6 * 60 * minute)
    assert job["statusDetails"]["trainingDetails"]["lastModifiedTime"] == job["endTime"]


def test_a_stopped_or_failed_phase_keeps_its_start_and_records_when_it_ended(emu, bedrock, new_job):
    # GIVEN a job stopped 15 minutes in (data processing) and a job that fails in data processing
    emu.controls.add_job_scenario(JobScenario(stop_seconds=120), prefix="stopped-")
    emu.controls.add_job_scenario(JobScenario(outcome="fail", fail_phase="data_processing"), prefix="failed-")
    stopped = bedrock.create_model_customization_job(**new_job("stopped-job", "model-1"))["jobArn"]
    failed = bedrock.create_model_customization_job(**new_job("failed-job", "model-2"))["jobArn"]
    minute = timedelta(minutes=1)
    emu.controls.advance(15 * 60)
    bedrock.stop_model_customization_job(jobIdentifier=stopped)

    # WHEN both have ended
    emu.controls.advance(60 * 60)
    stopped_job = bedrock.get_model_customization_job(jobIdentifier=stopped)
    failed_job = bedrock.get_model_customization_job(jobIdentifier=failed)

    # THEN the stopped phase started at 10 min and last changed when the stop completed (15 min + 2 min)
    assert stopped_job["status"] == "Stopped"
    assert _times(stopped_job, "validationDetails") == (0 * minute, 10 * minute)
    assert _times(stopped_job, "dataProcessingDetails") == (10 * minute, 17 * minute)
    assert stopped_job["statusDetails"]["dataProcessingDetails"]["lastModifiedTime"] == stopped_job["endTime"]
    assert stopped_job["statusDetails"]["trainingDetails"] == {"status": "NotStarted"}
    # AND the failed phase started at 10 min and last changed when it failed (30 min)
    assert failed_job["status"] == "Failed"
    assert _times(failed_job, "dataProcessingDetails") == (10 * minute, 30 * minute)
    assert failed_job["statusDetails"]["trainingDetails"] == {"status": "NotStarted"}
