"""The virtual clock, the state dump tests assert on, and resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from bedrock_customization_local.emulator.clock import VirtualClock, iso

START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeWallClock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def test_speed_turns_wall_seconds_into_virtual_hours():
    wall = FakeWallClock()
    clock = VirtualClock(speed=1000, start=START, monotonic=wall)

    wall.seconds = 21.6

    assert clock.now() == START + timedelta(hours=6)


def test_speed_change_and_advance_keep_time_continuous():
    wall = FakeWallClock()
    clock = VirtualClock(speed=10, start=START, monotonic=wall)
    wall.seconds = 1
    clock.set_speed(0)
    wall.seconds = 100
    clock.advance(5)

    assert clock.now() == START + timedelta(seconds=15)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set_speed(-2)


def test_timestamps_are_iso_8601_milliseconds_utc():
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


def test_state_lists_active_jobs_so_tests_can_check_nothing_is_left_running(emu, bedrock, new_job):
    running = bedrock.create_model_customization_job(**new_job())["jobArn"]
    stopped = bedrock.create_model_customization_job(**new_job("job-2", "model-2"))["jobArn"]
    bedrock.stop_model_customization_job(jobIdentifier=stopped)

    state = emu.controls.state()
    assert state["activeJobs"] == [running, stopped]  # Stopping is still active

    emu.controls.advance(120)
    state = emu.controls.state()
    assert state["activeJobs"] == [running]
    job = next(job for job in state["jobs"] if job["jobArn"] == stopped)
    assert job["status"] == "Stopped"
    assert job["statusDetails"]["validationDetails"]["status"] == "Stopped"
    assert job["statusDetails"]["trainingDetails"]["status"] == "NotStarted"


def test_job_without_validation_data_reports_no_validators_and_only_training_loss(emu, bedrock, new_job):
    # GIVEN a job created without validationDataConfig
    request = new_job()
    del request["validationDataConfig"]
    arn = bedrock.create_model_customization_job(**request)["jobArn"]
    emu.controls.advance(7 * 3600)

    # WHEN it has completed
    job = bedrock.get_model_customization_job(jobIdentifier=arn)

    # THEN validationDataConfig, required in GetModelCustomizationJob's output, lists no validators
    assert job["validationDataConfig"] == {"validators": []}
    # AND there is a training loss but no validation loss
    assert "trainingMetrics" in job
    assert "validationMetrics" not in job
    # AND the custom model (whose validationDataConfig is optional) echoes only what the job was given
    assert "validationDataConfig" not in bedrock.get_custom_model(modelIdentifier=job["outputModelArn"])


def test_reset_forgets_bedrock_and_moto_state(emu, bedrock, new_job):
    events = boto3.client("events", endpoint_url=emu.endpoint_url, region_name="us-east-1")
    events.put_rule(Name="left-behind", ScheduleExpression="rate(1 minute)")
    bedrock.create_model_customization_job(**new_job())

    emu.controls.reset()

    state = emu.controls.state()
    assert state["jobs"] == [] and state["calls"] == [] and state["models"] == []
    assert events.list_rules()["Rules"] == []
    # the name is free again in the new account
    bedrock.create_model_customization_job(**new_job())


def test_seeded_ids_repeat_after_reset(emu, bedrock, new_job):
    first = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.reset(seed=7, moto=False)
    second = bedrock.create_model_customization_job(**new_job())["jobArn"]

    assert first == second
