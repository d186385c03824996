"""Model Customization Job State Change events: derived from the virtual clock, drained once, lost on demand."""

from __future__ import annotations

import boto3
from bedrock_customization_local.emulator import ControlClient, JobScenario
from botocore.config import Config

HOURS = 3600
# default scenario: validation 600 s + data processing 1200 s + training 19800 s = 6 h
JOB_SECONDS = 6 * HOURS


def _statuses(events: list[dict]) -> list[tuple[str, str]]:
    return [(event["detail"]["jobName"], event["detail"]["jobStatus"]) for event in events]


def test_completed_job_yields_in_progress_then_completed_with_output_model(emu, bedrock, new_job):
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(JOB_SECONDS)

    events = emu.controls.drain_job_events()

    assert _statuses(events) == [("job-1", "InProgress"), ("job-1", "Completed")]
    started, completed = events
    for event in events:
        assert event["version"] == "0"
        assert event["detail-type"] == "Model Customization Job State Change"
        assert event["source"] == "aws.bedrock"
        assert event["account"] == "123456789012"
        assert event["region"] == "us-east-1"
        assert event["resources"] == [arn]
        assert event["detail"]["jobArn"] == arn
        assert event["detail"]["customizationType"] == "FINE_TUNING"
        assert "status" not in event["detail"]
    job = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert completed["detail"]["outputModelArn"] == job["outputModelArn"]
    assert completed["detail"]["outputModelName"] == "model-1"
    assert completed["detail"]["endTime"] == completed["time"]
    assert completed["time"] == job["endTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert started["time"] == job["creationTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "outputModelArn" not in started["detail"]
    assert "endTime" not in started["detail"]
    assert started["id"] != completed["id"]


def test_failed_job_yields_failed_with_failure_message(emu, bedrock, new_job):
    emu.controls.add_job_scenario(
        JobScenario(outcome="fail", fail_phase="validation", failure_message="Training data is malformed."),
        once=True,
    )
    bedrock.create_model_customization_job(**new_job())
    emu.controls.advance(601)

    events = emu.controls.drain_job_events()

    assert _statuses(events) == [("job-1", "InProgress"), ("job-1", "Failed")]
    failed = events[1]["detail"]
    assert failed["failureMessage"] == "Training data is malformed."
    assert "outputModelArn" not in failed
    assert "endTime" in failed
    assert "failureMessage" not in events[0]["detail"]


def test_stopped_job_yields_stopping_then_stopped(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario(stop_seconds=120))
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    emu.controls.advance(40 * 60)
    bedrock.stop_model_customization_job(jobIdentifier=arn)

    assert _statuses(emu.controls.drain_job_events()) == [("job-1", "InProgress"), ("job-1", "Stopping")]

    emu.controls.advance(120)
    events = emu.controls.drain_job_events()
    assert _statuses(events) == [("job-1", "Stopped")]
    assert "outputModelArn" not in events[0]["detail"]
    assert events[0]["detail"]["endTime"] == events[0]["time"]

    emu.controls.advance(10 * HOURS)  # the natural end never comes for a stopped job
    assert emu.controls.drain_job_events() == []


def test_events_wait_for_their_virtual_time_and_are_drained_once(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario.lasting(60))
    bedrock.create_model_customization_job(**new_job())

    assert _statuses(emu.controls.drain_job_events()) == [("job-1", "InProgress")]
    assert emu.controls.drain_job_events() == []

    emu.controls.advance(59)
    assert emu.controls.drain_job_events() == []

    emu.controls.advance(1)
    assert _statuses(emu.controls.drain_job_events()) == [("job-1", "Completed")]
    assert emu.controls.drain_job_events() == []


def test_events_of_several_jobs_come_in_time_order(emu, bedrock, new_job):
    emu.controls.add_job_scenario(JobScenario.lasting(300), prefix="slow-")
    emu.controls.add_job_scenario(JobScenario.lasting(100), prefix="fast-")
    bedrock.create_model_customization_job(**new_job("slow-job", "slow-model"))
    emu.controls.advance(10)
    bedrock.create_model_customization_job(**new_job("fast-job", "fast-model"))
    emu.controls.advance(1000)

    events = emu.controls.drain_job_events()

    assert _statuses(events) == [
        ("slow-job", "InProgress"),
        ("fast-job", "InProgress"),
        ("fast-job", "Completed"),
        ("slow-job", "Completed"),
    ]
    assert [event["time"] for event in events] == sorted(event["time"] for event in events)


def test_region_filter_leaves_other_regions_pending(emu, bedrock, new_job):
    no_retry = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    west = boto3.client("bedrock", endpoint_url=emu.endpoint_url, region_name="us-west-2", config=no_retry)
    bedrock.create_model_customization_job(**new_job())
    west.create_model_customization_job(**new_job("west-job", "west-model"))

    west_events = emu.controls.drain_job_events(region="us-west-2")
    assert _statuses(west_events) == [("west-job", "InProgress")]
    assert west_events[0]["region"] == "us-west-2"
    assert west_events[0]["resources"][0].startswith("arn:aws:bedrock:us-west-2:")
    assert _statuses(emu.controls.drain_job_events()) == [("job-1", "InProgress")]


def test_event_ids_repeat_under_the_same_seed(emu, bedrock, new_job):
    bedrock.create_model_customization_job(**new_job())
    first = [event["id"] for event in emu.controls.drain_job_events()]

    emu.controls.reset(seed=7, moto=False)
    bedrock.create_model_customization_job(**new_job())
    again = [event["id"] for event in emu.controls.drain_job_events()]

    assert first == again
    assert len(first[0]) == 36


def test_drop_fault_withholds_events_and_counts_them(emu, bedrock, new_job):
    emu.controls.add_fault("drop_events", operations=["Completed"])
    bedrock.create_model_customization_job(**new_job())
    emu.controls.advance(JOB_SECONDS)

    assert _statuses(emu.controls.drain_job_events()) == [("job-1", "InProgress")]
    assert emu.controls.drain_job_events() == []  # a lost event never comes back

    events = emu.controls.state()["events"]
    assert events["dropped"] == 1
    assert events["delivered"] == 1
    assert events["droppedEvents"][0]["jobStatus"] == "Completed"
    assert emu.controls.faults()["rules"][0]["fired"] == 1
    # the API still reports the completion the event would have announced
    assert bedrock.get_model_customization_job(jobIdentifier="job-1")["status"] == "Completed"


def test_drop_fault_times_and_rate(emu, bedrock, new_job):
    emu.controls.add_fault("drop_events", times=1)
    bedrock.create_model_customization_job(**new_job())
    bedrock.create_model_customization_job(**new_job("job-2", "model-2"))

    assert _statuses(emu.controls.drain_job_events()) == [("job-2", "InProgress")]

    emu.controls.clear_faults()
    emu.controls.add_fault("drop_events", rate=1.0)
    emu.controls.advance(JOB_SECONDS)
    assert emu.controls.drain_job_events() == []
    assert emu.controls.state()["events"]["dropped"] == 3


def test_drop_fault_does_not_touch_api_calls(emu, bedrock, new_job):
    emu.controls.add_fault("drop_events")
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]

    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "InProgress"
    assert [c["fault"] for c in emu.controls.state()["calls"]] == [None, None]


def test_reset_forgets_drained_and_pending_events(emu, bedrock, new_job):
    emu.controls.add_fault("drop_events", times=1)
    bedrock.create_model_customization_job(**new_job())
    emu.controls.drain_job_events()
    bedrock.create_model_customization_job(**new_job("job-2", "model-2"))

    emu.controls.reset(moto=False)

    assert emu.controls.drain_job_events() == []
    assert emu.controls.state()["events"] == {"delivered": 0, "dropped": 0, "droppedEvents": []}


def test_http_control_api_returns_the_same_events(emu, bedrock, new_job):
    control = ControlClient(emu.endpoint_url)
    control.add_job_scenario(JobScenario.lasting(60))
    arn = bedrock.create_model_customization_job(**new_job())["jobArn"]
    control.advance(60)

    events = control.drain_job_events()

    assert _statuses(events) == [("job-1", "InProgress"), ("job-1", "Completed")]
    assert events[1]["resources"] == [arn]
    assert events[1]["detail"]["outputModelArn"].startswith("arn:aws:bedrock:us-east-1:123456789012:custom-model/")
    assert control.drain_job_events() == []
    assert emu.controls.drain_job_events() == []  # one queue, whichever side drains it

    control.add_fault("drop_events", calls=[1])
    bedrock.create_model_customization_job(**new_job("job-2", "model-2"))
    assert control.drain_job_events(region="us-east-1") == []
    assert control.state()["events"]["dropped"] == 1
