"""The long wait (the default) through the driver and the emulator, the provider running from its synthesized asset.

The example app's jobs train for hours of virtual time: each job's resource answers once it has started, its wait
condition holds the stack until the provider signals it (from Bedrock's events, or its poll when an event is lost), and
the reader after it supplies the finished job's attributes or fails with Bedrock's message. Times are virtual (the
emulator's clock, which the driver's CloudFormation also runs on); nothing here depends on the machine's speed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackRunner
from bedrock_customization_local.emulator import JobScenario, ModelScenario
from bedrock_customization_provider import contract

from .templates import condition_of, with_hyperparameters

pytestmark = pytest.mark.integration

CONDITION = "AWS::CloudFormation::WaitCondition"
HOUR = 3600
TIMEOUT_REASON = "Failed to receive 1 resource signal(s) within the specified duration"


@dataclass
class VirtualLog:
    """A stack observer that notes each resource event with the virtual time it happened at."""

    clock: Any
    events: list[tuple[float, str, str, str]] = field(default_factory=list)

    def stack_status(self, status: str) -> None:
        return None

    def resource_status(self, event: Any) -> None:
        self.events.append((self.clock.now(), event.logical_id, event.resource_type, event.status))

    def idle(self) -> None:
        return None

    def completed(self, resource_type: str) -> dict[str, float]:
        """Logical id -> virtual time of its CREATE_COMPLETE, for resources of ``resource_type``."""
        return {
            lid: at for at, lid, kind, status in self.events if kind == resource_type and status.endswith("COMPLETE")
        }


@pytest.fixture
def watched(cloud, example_assembly):
    log = VirtualLog(cloud.clock)
    return StackRunner(cloud, example_assembly.stack(), observer=log), log


def _jobs(cloud) -> list[dict[str, Any]]:
    return cloud.emulator.state()["jobs"]


def _ended_at(job: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(job["endTime"].replace("Z", "+00:00")).timestamp()


def _clean(cloud, runner) -> list[str]:
    return find_leftovers(cloud, runner.owned_model_arns() | runner.retained_models)


def _job_events(cloud, status: str) -> list[Any]:
    """The deliveries of Bedrock's job events with ``status`` to the provider."""
    return [d for d in cloud.polls.deliveries if d.detail_type == contract.JOB_EVENT_DETAIL_TYPE and d.status == status]


def test_six_hour_jobs_complete_inside_the_stack_seen_from_their_events(watched, cloud):
    runner, log = watched
    # GIVEN jobs that train for six virtual hours each (CloudFormation's custom-resource limit is one)
    cloud.emulator.controls.set_speed(3 * 1200.0)  # six virtual hours in six wall seconds
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(6 * HOUR))

    outcome = runner.deploy()

    # THEN the stack completes with the finished job's attributes, both jobs Completed
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    jobs = {job["jobArn"]: job for job in _jobs(cloud)}
    assert [job["status"] for job in jobs.values()] == ["Completed", "Completed"]
    first = jobs[outcome.outputs["JobArn"]]
    assert outcome.outputs["Status"] == "Completed"
    assert outcome.outputs["CustomModelArn"] == first["outputModelArn"]
    assert outcome.outputs["TrainingLoss"] == "0.2015"
    # each condition completed after its own job ended (never before: nothing else can signal it)
    conditions = log.completed(CONDITION)
    assert len(conditions) == 2
    for lid, record in runner.records.items():
        if record.resource_type == contract.JOB_RESOURCE_TYPE:
            assert conditions[condition_of(runner.template.resources, lid)] >= _ended_at(jobs[record.physical_id]) - 1
    # the end was seen from Bedrock's events (the rule matched and invoked the provider, which handled them)
    completions = _job_events(cloud, "Completed")
    assert len(completions) == 2 and {d.outcome for d in completions} == {"ok"}
    assert runner.destroy().status == "DELETE_COMPLETE"
    assert _clean(cloud, runner) == []


def test_a_lost_event_is_caught_by_the_poll(watched, cloud):
    runner, log = watched
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(2 * HOUR))
    # GIVEN every job event is lost (EventBridge delivers Bedrock's events best effort)
    cloud.emulator.controls.add_fault("drop_events")

    outcome = runner.deploy()

    # THEN the one-minute poll sees each job end: the stack completes all the same
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    assert cloud.emulator.state()["events"]["dropped"] >= 2
    assert _job_events(cloud, "Completed") == []
    polls = [d for d in cloud.polls.deliveries if d.detail_type == "Scheduled Event"]
    assert polls and {d.outcome for d in polls} == {"ok"}
    assert len(log.completed(CONDITION)) == 2
    assert runner.destroy().ok
    assert _clean(cloud, runner) == []


def test_a_thirteen_hour_job_times_out_at_twelve_hours_rolls_back_and_is_stopped(watched, cloud):
    runner, log = watched
    cloud.emulator.controls.set_speed(6 * 1200.0)  # twelve virtual hours in six wall seconds
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(13 * HOUR))

    outcome = runner.deploy()

    assert outcome.status == "ROLLBACK_COMPLETE"
    (failure,) = [(lid, reason) for lid, reason in outcome.failures if reason != "Resource creation cancelled"]
    assert failure[0].startswith(contract.WAIT_CONDITION_PREFIX) and failure[1].startswith(TIMEOUT_REASON)
    # the condition failed 12 h after it began (CloudFormation's clock), and the rollback stopped the job
    (began,) = [at for at, lid, kind, status in log.events if lid == failure[0] and status == "CREATE_IN_PROGRESS"]
    (failed,) = [at for at, lid, kind, status in log.events if lid == failure[0] and status == "CREATE_FAILED"]
    assert failed - began >= 12 * HOUR  # (how much later depends on the driver's ticks, so no upper bound)
    (job,) = _jobs(cloud)
    assert job["status"] == "Stopped"
    assert _clean(cloud, runner) == []


def test_a_job_failing_after_two_hours_rolls_back_with_bedrocks_message_first(watched, cloud):
    runner, _ = watched
    message = "Training failed: the loss diverged (NaN) at step 1200."
    scenario = JobScenario.lasting(2 * HOUR, outcome="fail", fail_phase="training", failure_message=message)
    cloud.emulator.controls.add_job_scenario(scenario)

    outcome = runner.deploy()

    assert outcome.status == "ROLLBACK_COMPLETE"
    (reader, reason) = outcome.failures[0]
    assert reader.startswith("FineTuneWaitResult")
    assert reason.startswith(message)
    (job,) = _jobs(cloud)
    assert job["status"] == "Failed"
    assert _clean(cloud, runner) == []


def test_a_replacing_update_waits_again_for_the_new_job_only_and_a_tag_update_does_not(watched, cloud):
    runner, log = watched
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(HOUR))
    template = runner.stack.template()
    assert runner.deploy(template).ok
    created_jobs = len(_jobs(cloud))

    # WHEN only tags change THEN no job starts and nothing waits again
    retagged = copy.deepcopy(template)
    job_id = next(lid for lid, r in retagged["Resources"].items() if r["Type"] == contract.JOB_RESOURCE_TYPE)
    retagged["Resources"][job_id]["Properties"]["jobTags"].append({"key": "revision", "value": "2"})
    mark = len(log.events)
    assert runner.deploy(retagged).status == "UPDATE_COMPLETE"
    assert len(_jobs(cloud)) == created_jobs
    assert not [e for e in log.events[mark:] if e[2] == CONDITION]

    # WHEN a hyperparameter changes (a new job, and so a new condition) and the new jobs train three hours
    cloud.emulator.controls.set_speed(3 * 1200.0)
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(3 * HOUR))
    mark = len(log.events)
    updated = runner.deploy(with_hyperparameters(retagged, job_id, epochCount="3"))

    # THEN the update waits on a fresh condition until the new job has ended; the old job's model goes in cleanup
    assert updated.status == "UPDATE_COMPLETE", updated.failures
    new_arn = runner.records[job_id].physical_id
    new_job = next(job for job in _jobs(cloud) if job["jobArn"] == new_arn)
    assert new_job["status"] == "Completed"
    condition_id = condition_of(runner.template.resources, job_id)
    assert condition_id not in retagged["Resources"]
    (completed_at,) = [at for at, lid, _, status in log.events[mark:] if lid == condition_id and "COMPLETE" in status]
    assert completed_at >= _ended_at(new_job) - 1
    assert updated.outputs["CustomModelArn"] == new_job["outputModelArn"]
    assert runner.destroy().ok
    assert _clean(cloud, runner) == []


def test_a_forged_or_stale_completion_event_completes_nothing(watched, cloud):
    runner, log = watched
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(HOUR))
    assert runner.deploy().ok
    function = next(iter(runner._registered.values())).name
    job_arn = runner.outputs()["JobArn"]
    before = len(log.events)
    forged = {
        "version": "0",
        "id": "forged",
        "detail-type": contract.JOB_EVENT_DETAIL_TYPE,
        "source": contract.JOB_EVENT_SOURCE,
        "account": cloud.account,
        "time": "2026-12-02T12:00:00Z",
        "region": cloud.region,
        "resources": [job_arn],
        "detail": {"jobArn": job_arn, "jobStatus": "Completed"},
    }

    # WHEN anyone with lambda:InvokeFunction sends a stale (or forged) event, twice
    attempts = [cloud.lambdas.invoke_async(function, forged)[-1] for _ in range(2)]

    # THEN the provider handles it without error and the stack does not change
    assert [a.outcome for a in attempts] == ["ok", "ok"]
    assert log.events[before:] == []
    assert runner.destroy().ok


def test_a_sibling_failure_cancels_a_waiting_job_and_the_rollback_stops_it(cloud, example_with_model_assembly):
    # GIVEN a stack whose custom model import fails after 30 minutes while the first job trains for six hours
    runner = StackRunner(cloud, example_with_model_assembly.stack())
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(6 * HOUR))  # the import fails long before
    cloud.emulator.controls.add_model_scenario(ModelScenario(creating_seconds=1800, outcome="fail"))

    outcome = runner.deploy()

    # THEN the waiting condition is cancelled, and the rollback's Delete of the job stops it: nothing keeps training
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert any(reason == "Resource creation cancelled" for _, reason in outcome.failures)
    (job,) = _jobs(cloud)
    assert job["status"] == "Stopped"
    assert _clean(cloud, runner) == []
