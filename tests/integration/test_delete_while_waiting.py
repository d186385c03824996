"""Issue 7, "delete while waiting": a user deletes the stack while a long-waited job is still training.

CloudFormation accepts DeleteStack on a stack in CREATE_IN_PROGRESS: what is in progress is cancelled (the job's
wait condition fails "Resource creation cancelled"), then every resource that was created is deleted, dependents
first, the stack going DELETE_IN_PROGRESS then DELETE_COMPLETE (no ROLLBACK_* status: the stack is deleted, not
rolled back). The job's Delete must stop the training job, and nothing the provider made may outlive the stack.

The delete is requested at an exact state of the stack (the job InProgress, its condition waiting), never after a
wall-clock delay: from a tick hook on the stack loop's thread, or from another thread while the clock is frozen at
that state. Nothing here depends on the machine's speed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from bedrock_customization_local.driver.cloudformation_api import CloudFormationError
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackRunner
from bedrock_customization_local.emulator import JobScenario
from bedrock_customization_provider import contract
from botocore.exceptions import ClientError

from .conftest import TIER_SPEED

pytestmark = pytest.mark.integration

CONDITION = "AWS::CloudFormation::WaitCondition"
HOUR = 3600
CANCELLED = "Resource creation cancelled"
#: Wall seconds the test thread may poll for the waiting condition before it gives up: only a hang guard (the state
#: it waits for is held by a frozen clock, so it never passes by).
HANG_GUARD_SECONDS = 120.0


@dataclass
class StackLog:
    """A stack observer: the stack's statuses and its resources' events, in order."""

    statuses: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)

    def stack_status(self, status: str) -> None:
        self.statuses.append(status)

    def resource_status(self, event: Any) -> None:
        self.events.append(event)

    def idle(self) -> None:
        return None

    def index(self, logical_id: str, status: str) -> int:
        return next(i for i, e in enumerate(self.events) if e.logical_id == logical_id and e.status == status)


@pytest.fixture
def logged(cloud, example_assembly):
    """The example app in the default long wait mode, its jobs training for eight virtual hours."""
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(8 * HOUR))
    log = StackLog()
    return StackRunner(cloud, example_assembly.stack(), observer=log), log


def _jobs(cloud) -> list[dict[str, Any]]:
    return cloud.emulator.state()["jobs"]


def _training(cloud, runner: StackRunner) -> bool:
    """The state to delete in: a job InProgress (and none ended) while its wait condition waits for its signal."""
    jobs = _jobs(cloud)
    return bool(runner.waiting_conditions()) and bool(jobs) and all(j["status"] == "InProgress" for j in jobs)


def _assert_deleted_while_training(cloud, runner: StackRunner, log: StackLog, outcome: Any, waited: str) -> None:
    # THEN the create was cancelled by the delete, and the stack was deleted (not rolled back)
    assert outcome.status == "DELETE_COMPLETE", outcome.failures
    assert outcome.cancelled_by == "DeleteStack" and not outcome.ok
    assert log.statuses == ["CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    assert runner.describe_stack()["StackStatus"] == "DELETE_COMPLETE"
    assert runner.records == {} and runner.template is None
    # the waiting condition was cancelled, then deleted before the job it waits for (dependents first)
    assert (waited, CANCELLED) in outcome.failures
    cancelled = log.index(waited, "CREATE_FAILED")
    assert log.events[cancelled].reason == CANCELLED
    (job_arn,) = [j["jobArn"] for j in _jobs(cloud)]
    (job_id,) = [e.logical_id for e in log.events if e.physical_id == job_arn and e.status == "CREATE_COMPLETE"]
    assert cancelled < log.index(waited, "DELETE_COMPLETE") < log.index(job_id, "DELETE_IN_PROGRESS")
    # the job's Delete carried its ARN and stopped the training job; nothing after the condition was created
    deletes = [r for r in runner.requests if r["RequestType"] == "Delete" and r["LogicalResourceId"] == job_id]
    assert [d["PhysicalResourceId"] for d in deletes] == [job_arn]
    (job,) = _jobs(cloud)
    assert job["status"] == "Stopped"
    assert not [e for e in log.events if e.resource_type == contract.RESULT_RESOURCE_TYPE]
    # no rule, permission, running job or owned model is left, and no presigned URL was logged or sent
    assert find_leftovers(cloud, runner.owned_model_arns() | runner.retained_models) == []


def test_deleting_while_a_job_trains_cancels_its_wait_stops_it_and_deletes_the_stack(logged, cloud):
    runner, log = logged
    seen: list[str] = []

    def delete_once_training(stack: StackRunner) -> None:
        """Runs on the stack loop's thread at every tick: the delete lands at an exact state of the stack."""
        if not stack.delete_requested and _training(cloud, stack):
            seen.extend(stack.waiting_conditions())
            stack.request_delete()

    runner.tick_hooks.append(delete_once_training)

    # WHEN the create starts and the user deletes the stack once the job trains and its condition waits
    outcome = runner.deploy()

    (waited,) = seen
    _assert_deleted_while_training(cloud, runner, log, outcome, waited)


def test_a_delete_from_another_thread_seen_through_list_stack_resources(logged, cloud):
    runner, log = logged
    frozen, released, clock_lock = threading.Event(), threading.Event(), threading.Lock()

    def freeze_once_training(stack: StackRunner) -> None:
        """Hold the state the user sees (virtual time stops) until the test thread has asked for the delete."""
        with clock_lock:  # never freezes again once the test thread released the clock (even on a failure)
            if not frozen.is_set() and not released.is_set() and _training(cloud, stack):
                cloud.emulator.controls.set_speed(0)
                frozen.set()

    runner.tick_hooks.append(freeze_once_training)
    cfn = cloud.client("cloudformation")
    with ThreadPoolExecutor(max_workers=1) as pool:
        creating = pool.submit(runner.deploy)
        try:
            # WHEN the user sees the condition waiting in ListStackResources and calls DeleteStack from their thread
            guard = time.monotonic() + HANG_GUARD_SECONDS
            waiting: list[str] = []
            while not (waiting and frozen.is_set()) and time.monotonic() < guard and not creating.done():
                try:
                    summaries = cfn.list_stack_resources(StackName=runner.env.stack_name)["StackResourceSummaries"]
                except ClientError:  # "Stack with id X does not exist": the create has not started yet
                    summaries = []
                waiting = [
                    s["LogicalResourceId"]
                    for s in summaries
                    if s["ResourceType"] == CONDITION and s["ResourceStatus"] == "CREATE_IN_PROGRESS"
                ]
                time.sleep(0.01)
            assert waiting and frozen.is_set(), "the condition never waited (hang guard)"
            assert cfn.describe_stacks(StackName=runner.env.stack_name)["Stacks"][0]["StackStatus"] == (
                "CREATE_IN_PROGRESS"
            )
            runner.request_delete()
        finally:
            with clock_lock:
                released.set()
                cloud.emulator.controls.set_speed(TIER_SPEED)
        outcome = creating.result(timeout=HANG_GUARD_SECONDS)

    (waited,) = waiting
    _assert_deleted_while_training(cloud, runner, log, outcome, waited)
    # DescribeStacks by stack id still finds the deleted stack, as CloudFormation's does
    described = cfn.describe_stacks(StackName=runner.env.stack_id)["Stacks"][0]
    assert described["StackStatus"] == "DELETE_COMPLETE"


def test_a_delete_is_only_played_during_a_create(cloud, example_assembly):
    # GIVEN a stack that does not exist yet: the driver refuses (a stack at rest is deleted with destroy())
    runner = StackRunner(cloud, example_assembly.stack())
    with pytest.raises(CloudFormationError, match="CREATE_IN_PROGRESS"):
        runner.request_delete()
    assert not runner.delete_requested
