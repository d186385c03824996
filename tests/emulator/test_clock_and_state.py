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


class SteppingClock:
    """A virtual clock read by hand: ``at`` now, and after the next read ``then`` (a clock that ran on meanwhile)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.then: datetime | None = None

    def __call__(self) -> datetime:
        value = self.at
        if self.then is not None:
            self.at, self.then = self.then, None
        return value


def test_a_request_happens_at_one_instant_so_a_completed_job_always_names_its_model(new_job):
    # A loaded machine lets the running clock move between the emulator's settling (which creates a completed job's
    # model) and its reading of the job: read twice, a job that ended in between was Completed without its model.
    from bedrock_customization_local.emulator.bedrock import BedrockService, CallNote
    from bedrock_customization_local.emulator.faults import FaultInjector
    from bedrock_customization_local.emulator.scenarios import ScenarioBook
    from bedrock_customization_local.emulator.state import Store

    clock = SteppingClock(START)
    store = Store(7)
    service = BedrockService(store, clock, ScenarioBook(), FaultInjector(7))
    _, created = service.handle("CreateModelCustomizationJob", new_job(), "us-east-1", CallNote())
    (job,) = store.jobs.values()
    end = job.view(START + timedelta(days=30)).end_time
    assert end is not None
    clock.at, clock.then = end - timedelta(seconds=1), end + timedelta(seconds=1)  # the job ends between two reads
    bodies = [
        service.handle("GetModelCustomizationJob", {"jobIdentifier": created["jobArn"]}, "us-east-1", CallNote())[1]
        for _ in range(2)
    ]
    assert [body["status"] for body in bodies] == ["InProgress", "Completed"]
    assert "outputModelArn" not in bodies[0] and bodies[1]["outputModelArn"] in store.models
