"""Plain CloudFormation users (docs/cloudformation.md): the provider stack the CDK CLI deploys from
``bedrock_customization.provider_app`` exports its service token; ``cloudformation/ml-jobs.yaml``, a hand-written YAML
template, imports it, trains a job in the long wait and registers a custom model, all through the driver: the
provider runs from its synthesized asset, the stacks answer CloudFormation's API, and the export cannot go while
the served stack imports it. A stack of another name that imports the same token gets no answer at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from bedrock_customization_provider import contract

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cloudformation" / "ml-jobs.yaml"
SERVED = "ml-jobs"
EXPORT = f"{SERVED}-BedrockCustomizationServiceToken"


@pytest.fixture(scope="module")
def provider_assembly(tmp_path_factory: pytest.TempPathFactory):
    """The provider stack for ``ml-jobs``, synthesized with the pinned CLI from the module users deploy."""
    from bedrock_customization_local.driver.synth import synthesize

    app = f"{ROOT / '.venv' / 'bin' / 'python'} -m bedrock_customization.provider_app"
    return synthesize(tmp_path_factory.mktemp("provider") / "cdk.out", {"servedStackName": SERVED}, app=app)


@pytest.fixture
def provider(cloud, provider_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    runner = StackRunner(cloud, provider_assembly.stack())
    outcome = runner.deploy()
    assert outcome.ok, outcome.failures
    yield runner
    if runner.template is not None:
        runner.destroy()


def _served(cloud, name: str = SERVED, template: Path = TEMPLATE):
    from bedrock_customization_local.driver.assembly import StackArtifact
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, StackArtifact.from_template_file(template, name))


def test_the_yaml_template_trains_a_job_and_registers_a_model_through_the_exported_provider(cloud, provider):
    from bedrock_customization_local.driver.leftovers import find_leftovers

    # GIVEN the provider stack exports its token under the served stack's name
    assert provider.stack.stack_name == f"{SERVED}-bedrock-provider"
    assert set(provider.exports()) == {EXPORT}
    # WHEN the YAML template is deployed as the served stack
    served = _served(cloud)
    created = served.deploy()
    # THEN its job trained to the end inside the stack (the long wait) and the model exists
    assert created.ok, created.failures
    job_arn, model_arn = created.outputs["JobArn"], created.outputs["CustomModelArn"]
    bedrock = cloud.client("bedrock")
    job = bedrock.get_model_customization_job(jobIdentifier=job_arn)
    assert job["status"] == "Completed" and job["outputModelArn"] == model_arn
    assert job["jobName"].startswith(f"{SERVED}-FineTune")  # generated from the served stack's name
    imported = bedrock.get_custom_model(modelIdentifier=created.outputs["ImportedModelArn"])
    assert imported["modelStatus"] == "Active"
    # the provider read and signalled the served stack by its name, through CloudFormation's API
    calls = cloud.cloudformation.calls
    assert ("SignalResource", SERVED, "") in calls
    # AND the provider stack cannot be deleted while the served stack imports its token
    refused = provider.destroy()
    assert refused.status == "DELETE_FAILED"
    assert refused.failures == [
        (provider.stack.stack_name, f"Export {EXPORT} cannot be deleted as it is in use by {SERVED}")
    ]
    # WHEN the served stack is deleted, then the provider's
    assert served.destroy().ok
    assert provider.destroy().ok
    # THEN nothing is left: no job running, no rule, no permission, no model but what was retained
    assert find_leftovers(cloud, served.owned_model_arns() | served.retained_models) == []


def test_a_stack_of_another_name_importing_the_token_is_never_answered(cloud, provider, tmp_path):
    # GIVEN a template that imports ml-jobs's token by its export name, deployed under another stack name
    text = TEMPLATE.read_text().replace('"${AWS::StackName}-BedrockCustomizationServiceToken"', f'"{EXPORT}"')
    intruder_template = tmp_path / "intruder.yaml"
    intruder_template.write_text(text)
    intruder = _served(cloud, "intruder", intruder_template)
    # WHEN it is created
    created = intruder.deploy()
    # THEN the provider dropped every request (another stack's): each fails after its ServiceTimeout, the
    # rollback's Deletes too (as in CloudFormation, such a stack is deleted retaining its custom resources), and
    # nothing was started in Bedrock
    assert created.status == "ROLLBACK_FAILED"
    reasons = [reason for _, reason in created.failures]
    assert reasons and all("did not receive a response" in r or r == "Resource creation cancelled" for r in reasons)
    assert "did not receive a response" in reasons[0]
    logs = "".join(log.read_text(errors="replace") for log in (cloud.workdir / "logs").glob("*.log"))
    assert "stack/intruder/" in logs and "is not the stack this function serves" in logs
    bedrock = cloud.client("bedrock")
    assert bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
    assert bedrock.list_custom_models()["modelSummaries"] == []


def test_the_served_stack_of_a_name_without_a_provider_cannot_import_a_token(cloud, provider):
    from bedrock_customization_local.driver.cloudformation_api import CloudFormationError

    # a stack deployed under another name imports "<its name>-BedrockCustomizationServiceToken", which nobody exports:
    # CreateStack itself is refused (CloudFormation validates imports first), nothing is created
    other = _served(cloud, "other-jobs")
    with pytest.raises(CloudFormationError, match="No export named other-jobs-BedrockCustomizationServiceToken found"):
        other.deploy()
    assert other.describe_stack() is None


def test_wait_rule_and_poll_rules_are_named_after_the_provider_stack(provider):
    rules = {r["Name"] for r in provider.session.polls.rules()}
    assert contract.wait_rule_name(provider.env.stack_id) in rules


def test_run_template_plays_a_users_yaml_with_its_provider_stack_from_the_users_folder(
    cloud, tmp_path, monkeypatch, capsys
):
    from bedrock_customization_local.driver.__main__ import main

    # `cloud`: moto's resources are the process's, shared with the command's own session: start from none

    # a user's folder: their template only (no cdk.json); the pinned CLI is on PATH as `cdk`
    (tmp_path / "ml-jobs.yaml").write_text(TEMPLATE.read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{ROOT / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:/usr/bin:/bin")
    status = main(["--plain", "run-template", "ml-jobs.yaml", "--stack-name", SERVED, "--job-minutes", "30"])
    printed = capsys.readouterr().out
    assert status == 0, printed
    for line in ("== create ml-jobs-bedrock-provider", "== create ml-jobs", "== delete ml-jobs", "end check passed"):
        assert line in printed
    assert "CustomModelArn" in printed and "left behind" not in printed
    assert f"watch {SERVED} --region us-east-1 --endpoint-url http://127.0.0.1:" in printed  # the live line
