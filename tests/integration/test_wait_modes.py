"""Wait modes through the driver and the emulator, the provider running from its synthesized asset.

The example app synthesized with ``-c waitMode=None``: the stack completes while its job trains, and a stack delete
still stops the job and leaves nothing behind.
"""

from __future__ import annotations

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.emulator import JobScenario

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def no_wait_assembly(tmp_path_factory: pytest.TempPathFactory):
    from bedrock_customization_local.driver.synth import synthesize

    return synthesize(tmp_path_factory.mktemp("example-no-wait") / "cdk.out", {"waitMode": "None"})


@pytest.fixture
def no_wait_runner(cloud, no_wait_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, no_wait_assembly.stack())


def test_no_wait_stack_completes_while_a_six_hour_job_trains_and_delete_stops_it(no_wait_runner, cloud):
    # GIVEN a job that trains for six virtual hours
    cloud.emulator.controls.add_job_scenario(JobScenario.lasting(6 * 3600))

    # WHEN the stack is created
    outcome = no_wait_runner.deploy()

    # THEN it completes at once, with the job's ARN and name, while the job still trains; no poll was needed
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    (job,) = cloud.emulator.state()["jobs"]
    assert job["status"] == "InProgress"
    assert outcome.outputs == {"JobArn": job["jobArn"], "JobName": job["jobName"]}
    assert not cloud.polls.deliveries

    # WHEN the stack is deleted THEN the running job is stopped and nothing is left
    deleted = no_wait_runner.destroy()
    assert deleted.status == "DELETE_COMPLETE", deleted.failures
    (job,) = cloud.emulator.state()["jobs"]
    assert job["status"] == "Stopped"
    assert find_leftovers(cloud, no_wait_runner.retained_models) == []
