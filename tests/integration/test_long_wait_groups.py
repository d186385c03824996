"""Jobs waiting together through the driver and the emulator: the example app with a three-job sweep (``-c sweep=3``).

The sweep's jobs and the first fine-tuning job share one wait condition (depth 0, the same timeout), signalled once
per member; nothing reads the sweep's results, so they have no readers and the group's check is what fails the stack
when one of them fails. The follow-up job waits on its own condition at depth 1. Times are virtual.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackRunner
from bedrock_customization_local.emulator import JobScenario
from bedrock_customization_provider import contract

from .templates import condition_of, with_hyperparameters

pytestmark = pytest.mark.integration

HOUR = 3600
SWEEP = 3


@pytest.fixture(scope="session")
def sweep_assembly(tmp_path_factory: pytest.TempPathFactory):
    from bedrock_customization_local.driver.synth import synthesize

    return synthesize(tmp_path_factory.mktemp("example-sweep") / "cdk.out", {"sweep": str(SWEEP)})


class VirtualTimes:
    """A stack observer noting the virtual time of each resource event (the driver's events carry wall time)."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.events: list[tuple[float, str, str]] = []  # (virtual time, logical id, status)

    def stack_status(self, status: str) -> None:
        return None

    def resource_status(self, event: Any) -> None:
        self.events.append((self.clock.now(), event.logical_id, event.status))

    def idle(self) -> None:
        return None

    def completed_at(self, logical_id: str, since: int = 0) -> float:
        (at,) = [t for t, lid, status in self.events[since:] if lid == logical_id and status == "CREATE_COMPLETE"]
        return at


@pytest.fixture
def sweep_runner(cloud, sweep_assembly):
    times = VirtualTimes(cloud.clock)
    runner = StackRunner(cloud, sweep_assembly.stack(), observer=times)
    runner.times = times  # type: ignore[attr-defined]
    return runner


def _jobs(cloud) -> list[dict[str, Any]]:
    return cloud.emulator.state()["jobs"]


def _ended_at(job: dict[str, Any]) -> float:
    return datetime.fromisoformat(job["endTime"].replace("Z", "+00:00")).timestamp()


def _job_ids(resources: dict[str, Any], prefix: str) -> list[str]:
    return [lid for lid, r in resources.items() if r["Type"] == contract.JOB_RESOURCE_TYPE and lid.startswith(prefix)]


def _condition_events(runner: StackRunner, condition: str) -> list[tuple[str, str]]:
    return [(e.status, e.reason) for e in runner.events if e.logical_id == condition]


def test_a_sweep_waits_on_one_shared_condition_one_signal_per_job(cloud, sweep_runner):
    runner = sweep_runner
    cloud.emulator.controls.set_speed(2 * 1200.0)
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(2 * HOUR))
    resources = runner.stack.template()["Resources"]
    sweep_ids = _job_ids(resources, "Sweep")
    (first_id,) = [lid for lid in _job_ids(resources, "FineTune") if not lid.startswith("FineTuneAgain")]
    condition = condition_of(resources, first_id)
    assert condition_of(resources, sweep_ids[0]) == condition
    assert resources[condition]["CreationPolicy"]["ResourceSignal"]["Count"] == 1 + SWEEP
    # the sweep reads and writes the same data: one shared role
    assert len({str(resources[lid]["Properties"]["roleArn"]) for lid in sweep_ids}) == 1

    outcome = runner.deploy()

    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    jobs = {job["jobArn"]: job for job in _jobs(cloud)}
    assert len(jobs) == 2 + SWEEP and {job["status"] for job in jobs.values()} == {"Completed"}
    # one SUCCESS signal per member, with its own job id; the condition completed after the last member ended
    received = [r for status, r in _condition_events(runner, condition) if r.startswith("Received")]
    members = [first_id, *sweep_ids]
    job_ids = [runner.records[m].physical_id.rsplit("/", 1)[-1] for m in members]
    expected = {f"Received SUCCESS signal with UniqueId {job_id}" for job_id in job_ids}
    assert set(received) == expected and len(received) == len(expected)
    completed = runner.times.completed_at(condition)
    assert completed >= max(_ended_at(jobs[runner.records[m].physical_id]) for m in members) - 1
    assert runner.destroy().status == "DELETE_COMPLETE"
    assert find_leftovers(cloud, runner.owned_model_arns() | runner.retained_models) == []


def test_a_failed_sweep_job_fails_the_groups_check_with_bedrocks_message_and_rolls_back(cloud, sweep_runner):
    runner = sweep_runner
    cloud.emulator.controls.set_speed(2 * 1200.0)
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(2 * HOUR))
    message = "Training failed: the learning rate is too high (loss NaN at step 40)."
    failing = JobScenario.lasting(HOUR, outcome="fail", fail_phase="training", failure_message=message)
    cloud.emulator.controls.add_job_scenario(failing, prefix="BedrockCustomizationExample-Sweep1")

    outcome = runner.deploy()

    assert outcome.status == "ROLLBACK_COMPLETE"
    check, reason = outcome.failures[0]
    assert "LongWaitsDepth0Group0Check" in check  # nothing reads the sweep's results: the check names the cause
    assert reason.startswith(message)
    statuses = sorted(job["status"] for job in _jobs(cloud))
    assert "Failed" in statuses and "InProgress" not in statuses
    assert find_leftovers(cloud, runner.owned_model_arns() | runner.retained_models) == []


def test_replacing_one_sweep_job_waits_again_for_it_only(cloud, sweep_runner):
    runner = sweep_runner
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(HOUR))
    template = runner.stack.template()
    assert runner.deploy(template).ok
    before = {job["jobArn"] for job in _jobs(cloud)}
    sweep1 = next(lid for lid in _job_ids(template["Resources"], "Sweep1"))
    old_condition = condition_of(template["Resources"], sweep1)

    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(3 * HOUR))
    changed = with_hyperparameters(template, sweep1, learningRate="0.00009")
    mark = len(runner.times.events)
    outcome = runner.deploy(changed)

    assert outcome.status == "UPDATE_COMPLETE", outcome.failures
    new_jobs = [job for job in _jobs(cloud) if job["jobArn"] not in before]
    assert [job["jobArn"] for job in new_jobs] == [runner.records[sweep1].physical_id]  # one new job, no other
    condition = condition_of(changed["Resources"], sweep1)
    assert condition != old_condition
    # it waited for the new job's three hours
    assert runner.times.completed_at(condition, since=mark) >= _ended_at(new_jobs[0]) - 1
    assert runner.destroy().ok
    assert find_leftovers(cloud, runner.owned_model_arns() | runner.retained_models) == []
