"""A model import job as a stack resource, through the driver and the emulator: an app of its own with a
``ModelImport`` (a created least-privilege role, the model files in S3) waits until the import has Completed and
outputs the imported model; a failed import rolls back with Bedrock's message first; the stack's delete deletes the
imported model, and nothing is left behind (the end check covers import jobs and imported models)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.emulator import ImportScenario

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FAILURE = "Model import failed: config.json is missing from the model files."

IMPORT_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from bedrock_customization import ModelImport, S3Location

app = cdk.App()
stack = cdk.Stack(app, "ImportStack")
weights = s3.Bucket.from_bucket_name(stack, "Weights", "my-model-weights")
llama = ModelImport(stack, "Llama", model_data=S3Location(weights, "llama-3-8b/"), imported_model_tags={"team": "ml"})
cdk.CfnOutput(stack, "ImportedModelArn", value=llama.imported_model_arn)
cdk.CfnOutput(stack, "ImportStatus", value=llama.status)
app.synth()
"""


@pytest.fixture(scope="module")
def import_assembly(tmp_path_factory: pytest.TempPathFactory):
    from bedrock_customization_local.driver.synth import synthesize

    app = tmp_path_factory.mktemp("import-app")
    (app / "app.py").write_text(IMPORT_APP)
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    (app / "node_modules").symlink_to(REPO / "node_modules")  # the repository's pinned CDK CLI stands in for theirs
    return synthesize(app / "cdk.out", app_dir=app)


@pytest.fixture
def import_runner(cloud, import_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, import_assembly.stack())


def test_an_import_completes_inside_the_stack_and_its_model_goes_with_the_stack(import_runner, cloud):
    # GIVEN imports that run 20 virtual minutes
    cloud.emulator.controls.add_import_scenario(ImportScenario(running_seconds=1200))
    # WHEN the stack is created
    created = import_runner.deploy()
    # THEN it waited for the import, and outputs the imported model Bedrock made, tagged as asked
    assert created.status == "CREATE_COMPLETE", created.failures
    state = cloud.emulator.state()
    [job] = state["importJobs"]
    [model] = state["importedModels"]
    assert job["status"] == "Completed" and created.outputs["ImportStatus"] == "Completed"
    assert created.outputs["ImportedModelArn"] == model["modelArn"] == job["importedModelArn"]
    assert model["tags"]["team"] == "ml"
    creates = [c for c in state["calls"] if c["operation"] == "CreateModelImportJob" and c["status"] < 300]
    assert len(creates) == 1
    assert find_leftovers(cloud) == []  # the live stack holds the model
    # WHEN the stack is deleted THEN the imported model is deleted with it, and nothing is left
    assert import_runner.destroy().ok
    assert cloud.emulator.state()["importedModels"] == []
    assert find_leftovers(cloud) == []


def test_a_failed_import_rolls_back_with_bedrocks_message_first(import_runner, cloud):
    # GIVEN an import Bedrock fails after a few minutes
    cloud.emulator.controls.add_import_scenario(ImportScenario(running_seconds=300, outcome="fail"))
    # WHEN the stack is created
    outcome = import_runner.deploy()
    # THEN the stack rolled back, the reason starting with Bedrock's own message, and no model was made
    assert outcome.status == "ROLLBACK_COMPLETE", outcome
    [(logical_id, reason)] = outcome.failures
    assert logical_id.startswith("Llama") and reason.startswith(FAILURE), reason
    assert cloud.emulator.state()["importedModels"] == []
    assert find_leftovers(cloud) == []
