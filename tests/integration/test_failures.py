"""What goes wrong in real deployments, through the driver and the emulator: failed jobs, cancellation, duplicate
delivery, crashes (after a Create, in a poll), throttling and 5xx storms, latency and IAM propagation. Each asserts
one job per request and nothing orphaned.

These run the example app in the short wait mode, where every one of them meets the custom-resource protocol itself
(the job's resource waits for the job); the long wait's own failure paths (timeout, failed job, cancelled wait, lost
events) are in test_long_wait.py."""

from __future__ import annotations

import copy

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.emulator import JobScenario

pytestmark = pytest.mark.integration

FAILURE = "Validation failed: the training data is not valid JSON Lines (line 3)."


@pytest.fixture
def runner(short_runner):
    return short_runner


def _state(session):
    return session.emulator.state()


def _calls(session, operation, *, ok=None):
    calls = [c for c in _state(session)["calls"] if c["operation"] == operation]
    if ok is not None:
        calls = [c for c in calls if (c["status"] < 300) == ok]
    return calls


def _clean(session, runner):
    return find_leftovers(session, runner.owned_model_arns() | runner.retained_models)


def _job_ids(runner):
    template = runner.stack.template()
    return [lid for lid, r in template["Resources"].items() if r["Type"] == "Custom::BedrockModelCustomizationJob"]


def _name_prefix(runner, logical_id):
    """Generated job names start with <stack>-<logical id>: a scenario can target one resource's jobs."""
    return f"{runner.stack.stack_name}-{logical_id}"


def test_a_failed_job_fails_the_create_and_the_rollback_leaves_nothing(runner, cloud):
    # GIVEN Bedrock fails the first job in validation
    first, _second = _job_ids(runner)
    cloud.emulator.controls.add_job_scenario(
        JobScenario.lasting(600, outcome="fail", fail_phase="validation", failure_message=FAILURE),
        prefix=_name_prefix(runner, first),
    )
    # WHEN the stack is created
    outcome = runner.deploy()
    # THEN the stack rolls back; the reason begins with Bedrock's own message
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    assert outcome.failures[0][0] == first and outcome.failures[0][1].startswith(FAILURE)
    # the dependent job was never requested, the failed one got its Delete, and one job was ever started
    sent = [(e["RequestType"], e["LogicalResourceId"]) for e in runner.requests]
    assert sent == [("Create", first), ("Delete", first)]
    assert len(_state(cloud)["jobs"]) == 1 and _state(cloud)["models"] == []
    assert _clean(cloud, runner) == []


def test_a_running_job_is_stopped_when_a_sibling_fails_and_the_create_is_cancelled(runner, cloud):
    # GIVEN two independent jobs: the first trains for a long time, the second fails quickly
    first, second = _job_ids(runner)
    template = copy.deepcopy(runner.stack.template())
    template["Resources"][second]["Properties"]["baseModelIdentifier"] = "amazon.nova-micro-v1:0:128k"
    cloud.emulator.controls.add_job_scenario(JobScenario(outcome="run_forever"), prefix=_name_prefix(runner, first))
    cloud.emulator.controls.add_job_scenario(
        JobScenario.lasting(300, outcome="fail", fail_phase="validation", failure_message=FAILURE),
        prefix=_name_prefix(runner, second),
    )
    # WHEN the stack is created
    outcome = runner.deploy(template)
    # THEN CloudFormation cancels the running one and rolls back: its job is stopped, nothing is left
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    reasons = dict(outcome.failures)
    assert reasons[second].startswith(FAILURE) and reasons[first] == "Resource creation cancelled"
    assert ("Delete", first) in [(e["RequestType"], e["LogicalResourceId"]) for e in runner.requests]
    jobs = {j["jobName"].rsplit("-", 1)[0]: j for j in _state(cloud)["jobs"]}
    assert len(jobs) == 2
    assert jobs[_name_prefix(runner, first)]["status"] in ("Stopping", "Stopped")
    assert _calls(cloud, "StopModelCustomizationJob", ok=True)
    assert _state(cloud)["models"] == []
    assert _clean(cloud, runner) == []


def test_duplicate_delivery_of_a_create_starts_one_job(runner, cloud):
    # GIVEN Lambda delivers the first Create twice (at-least-once delivery)
    first, _second = _job_ids(runner)
    cloud.lambdas.faults.duplicates.append((first, "Create"))
    # WHEN the stack is created
    outcome = runner.deploy()
    # THEN both deliveries named the same job: one job per request, and both answers agree
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    create = next(e for e in runner.requests if e["LogicalResourceId"] == first)
    answers = cloud.responses.all(create["RequestId"])
    assert answers and {(a.status, a.physical_id) for a in answers} == {("SUCCESS", answers[0].physical_id)}
    assert [a.outcome for _name, a in cloud.lambdas.attempts[:2]] == ["ok", "ok"]
    assert len(_state(cloud)["jobs"]) == 2
    creates = _calls(cloud, "CreateModelCustomizationJob", ok=True)
    assert len(creates) == 3 and len({c["clientRequestToken"] for c in creates}) == 2
    assert _clean(cloud, runner) == []
    assert runner.destroy().ok and _clean(cloud, runner) == []


def test_a_crash_right_after_the_create_call_is_retried_without_a_second_job(runner, cloud):
    # GIVEN the container dies right after Bedrock accepted the first CreateModelCustomizationJob
    first, _second = _job_ids(runner)
    cloud.lambdas.faults.crash_after.append((first, "Create", "CreateModelCustomizationJob"))
    # WHEN the stack is created (Lambda retries the same event in a new container)
    outcome = runner.deploy()
    # THEN the retry found the same job through its client request token
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    assert "crash" in [attempt.outcome for _name, attempt in cloud.lambdas.attempts]
    creates = _calls(cloud, "CreateModelCustomizationJob", ok=True)
    assert len(creates) == 3 and len({c["clientRequestToken"] for c in creates}) == 2
    assert len(_state(cloud)["jobs"]) == 2
    assert _clean(cloud, runner) == []
    assert runner.destroy().ok and _clean(cloud, runner) == []


def test_a_throttling_storm_slows_the_stack_down_but_does_not_break_it(runner, cloud):
    # GIVEN Bedrock throttles bursts of calls: the first four Creates, every other status read, the first deletes
    # (chosen calls rather than a rate: the storm is the same on every run, and no backoff grows past a second)
    controls = cloud.emulator.controls
    controls.add_fault("throttling", operations=["CreateModelCustomizationJob"], calls=[1, 2, 3, 4])
    controls.add_fault("throttling", operations=["GetModelCustomizationJob"], calls=list(range(1, 40, 2)))
    controls.add_fault("throttling", operations=["DeleteCustomModel"], calls=[1, 2, 3])
    # WHEN the stack is created and deleted
    created = runner.deploy()
    assert created.status == "CREATE_COMPLETE", created.failures
    deleted = runner.destroy()
    # THEN every call eventually went through, once per request
    assert deleted.status == "DELETE_COMPLETE", deleted.failures
    throttled = [c for c in _state(cloud)["calls"] if c["fault"] == "throttling"]
    assert len(throttled) >= 15
    assert len(_state(cloud)["jobs"]) == 2
    assert len(_calls(cloud, "CreateModelCustomizationJob", ok=True)) == 2
    assert _clean(cloud, runner) == []


def test_iam_propagation_errors_are_retried_until_the_role_is_assumable(runner, cloud):
    # GIVEN a fresh role Bedrock cannot assume on the first three tries
    cloud.emulator.controls.add_fault("iam_propagation", calls=[1, 2, 3])
    # WHEN the stack is created
    outcome = runner.deploy()
    # THEN the provider retried instead of failing, and started each job once
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    refused = [c for c in _state(cloud)["calls"] if c["fault"] == "iam_propagation"]
    assert len(refused) == 3
    assert len(_calls(cloud, "CreateModelCustomizationJob", ok=True)) == 2
    assert len(_state(cloud)["jobs"]) == 2
    assert runner.destroy().ok and _clean(cloud, runner) == []


def test_a_job_still_running_at_the_service_timeout_is_stopped_and_the_stack_rolls_back(
    runner, cloud, slow_until_failure
):
    # GIVEN a job that would train forever, under a short ServiceTimeout (the provider gives up 90 s before it)
    first, _second = _job_ids(runner)
    template = copy.deepcopy(runner.stack.template())
    template["Resources"][first]["Properties"]["ServiceTimeout"] = "95"
    cloud.emulator.controls.add_job_scenario(
        JobScenario(outcome="run_forever", stop_seconds=1), prefix=_name_prefix(runner, first)
    )
    runner.observer = slow_until_failure()
    # WHEN the stack is created
    outcome = runner.deploy(template)
    # THEN the provider stopped the job and failed clearly; the rollback's Delete waited for Stopped
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    assert outcome.failures[0][0] == first and "ServiceTimeout 95 s" in outcome.failures[0][1]
    [job] = _state(cloud)["jobs"]
    assert job["status"] == "Stopped" and _state(cloud)["models"] == []
    assert [(e["RequestType"]) for e in runner.requests] == ["Create", "Delete"]
    assert _clean(cloud, runner) == []


def test_a_create_that_never_answers_times_out_and_the_rollback_stops_its_job(runner, cloud):
    # GIVEN a job longer than CloudFormation will wait (its ServiceTimeout runs on the accelerated clock, the
    # provider's own budget on the wall clock, so here CloudFormation's limit comes first)
    first, _second = _job_ids(runner)
    cloud.emulator.controls.add_job_scenario(
        JobScenario(outcome="run_forever", stop_seconds=1), prefix=_name_prefix(runner, first)
    )
    # WHEN the stack is created
    outcome = runner.deploy()
    # THEN CloudFormation gives up, and its Delete (with a made-up physical id) still stops the job
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    assert "did not receive a response" in outcome.failures[0][1]
    delete = runner.requests[-1]
    assert delete["RequestType"] == "Delete" and delete["PhysicalResourceId"].startswith(_name_prefix(runner, first))
    [job] = _state(cloud)["jobs"]
    assert job["status"] in ("Stopping", "Stopped")
    assert _state(cloud)["models"] == []
    assert _clean(cloud, runner) == []


def test_a_5xx_storm_is_retried_and_starts_each_job_once(runner, cloud):
    # GIVEN Bedrock answers 500 and 503 on chosen calls: two Creates (it may have acted on them), every other status
    # read, the first model delete (chosen calls, not a rate: the same storm on every run)
    controls = cloud.emulator.controls
    controls.add_fault("internal", operations=["CreateModelCustomizationJob"], calls=[1, 2])
    controls.add_fault("unavailable", operations=["GetModelCustomizationJob"], calls=list(range(1, 30, 2)))
    controls.add_fault("internal", operations=["DeleteCustomModel"], calls=[1])
    # WHEN the stack is created and deleted
    created = runner.deploy()
    assert created.status == "CREATE_COMPLETE", created.failures
    deleted = runner.destroy()
    # THEN every request went through, a retried Create found its job by its token, and nothing is left
    assert deleted.status == "DELETE_COMPLETE", deleted.failures
    failed = [c for c in _state(cloud)["calls"] if c["fault"] in ("internal", "unavailable")]
    assert len(failed) >= 10
    assert len(_state(cloud)["jobs"]) == 2
    assert len({c["clientRequestToken"] for c in _calls(cloud, "CreateModelCustomizationJob")}) == 2
    assert _clean(cloud, runner) == []


def test_latency_on_every_bedrock_call_changes_nothing_but_time(runner, cloud):
    # GIVEN every Bedrock call answered 0.2 wall seconds late (nothing is asserted about time)
    cloud.emulator.controls.add_fault("latency", delay_seconds=0.2)
    # WHEN the stack is created and deleted
    created = runner.deploy()
    assert created.status == "CREATE_COMPLETE", created.failures
    assert runner.destroy().ok
    # THEN one job per resource, each answered once, and nothing is left
    assert len(_state(cloud)["jobs"]) == 2
    assert len(_calls(cloud, "CreateModelCustomizationJob", ok=True)) == 2
    assert _clean(cloud, runner) == []


def test_a_container_that_dies_in_a_poll_is_polled_again_and_leaks_nothing(runner, cloud):
    # GIVEN the container dies in the first job's first scheduled poll, right after reading the job's status (as a
    # Lambda timeout mid-poll would: the invocation ends without an answer)
    first, _second = _job_ids(runner)
    cloud.lambdas.faults.crash_in_poll.append((first, "Create", "GetModelCustomizationJob"))
    # WHEN the stack is created and deleted
    created = runner.deploy()
    # THEN Lambda's retry of the poll (or the rule's next one) finished the wait: one job, no second start
    assert created.status == "CREATE_COMPLETE", created.failures
    assert "crash" in [attempt.outcome for _name, attempt in cloud.lambdas.attempts]
    assert cloud.lambdas.faults.crash_in_poll == []
    assert len(_calls(cloud, "CreateModelCustomizationJob", ok=True)) == 2
    assert len(_state(cloud)["jobs"]) == 2
    # AND the poll's rule and permission went with it: nothing is left after the delete
    assert runner.destroy().ok and _clean(cloud, runner) == []
