"""The library never shadows PyPI's ``constructs`` (which aws-cdk-lib imports), and app.py synthesizes offline."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

REPO = Path(__file__).resolve().parents[2]
SHOW_CONSTRUCTS = "import constructs, sys; print(constructs.__file__)"


def offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_PROFILE")}
    env.update({"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"})
    env.update(extra)
    return env


def test_constructs_folder_is_not_a_package():
    assert (REPO / "constructs" / "bedrock_customization" / "__init__.py").is_file()
    assert not (REPO / "constructs" / "__init__.py").exists()


def test_import_constructs_from_the_repo_root_resolves_to_the_pypi_library():
    out = subprocess.run(
        [sys.executable, "-c", SHOW_CONSTRUCTS], cwd=REPO, env=offline_env(), capture_output=True, text=True, check=True
    )
    path = Path(out.stdout.strip().splitlines()[-1])
    assert "site-packages" in path.parts
    assert REPO / "constructs" not in path.parents


def test_app_py_synthesizes_offline_and_sees_the_pypi_constructs(tmp_path, q):
    # GIVEN app.py run the way `python app.py` runs it (its folder first on sys.path), with no AWS environment
    script = (
        "import runpy, sys; sys.path[0] = sys.argv[1]; runpy.run_path(sys.argv[1] + '/app.py', run_name='__main__'); "
        + SHOW_CONSTRUCTS
    )
    env = offline_env(CDK_OUTDIR=str(tmp_path))
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        env.pop(name, None)
    out = subprocess.run(
        [sys.executable, "-c", script, str(REPO)], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    # THEN constructs resolved to site-packages and a cfn-lint clean template was written
    assert "site-packages" in Path(out.stdout.strip().splitlines()[-1]).parts
    template = json.loads((tmp_path / "BedrockCustomizationExample.template.json").read_text())
    assert q.lint_errors(template) == []
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("Custom::BedrockModelCustomizationJob") == 2


@pytest.fixture(scope="module")
def app_module():
    return runpy.run_path(str(REPO / "app.py"), run_name="app")


def test_app_with_a_model_package_also_registers_a_custom_model(app_module, synthesize, q):
    stack = app_module["CustomizationExampleStack"](
        cdk.App(),
        "Example",
        model_package_arn="arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1",
    )
    template = synthesize(stack)
    assert len(q.resources(template, "Custom::BedrockCustomModel")) == 1
    assert len(q.resources(template, "Custom::BedrockModelCustomizationJob")) == 2


def test_app_revisions_change_tags_then_hyperparameters(app_module, synthesize, q):
    def job(revision: int) -> dict:
        stack = app_module["CustomizationExampleStack"](cdk.App(), "Example", revision=revision)
        jobs = q.resources(synthesize(stack), "Custom::BedrockModelCustomizationJob")
        (first_job,) = [r for lid, r in jobs.items() if lid.startswith("FineTune") and "Again" not in lid]
        return first_job["Properties"]

    first, second, third = job(1), job(2), job(3)
    assert {"key": "revision", "value": "2"} in second["jobTags"]
    assert {k: v for k, v in second.items() if k != "jobTags"} == {k: v for k, v in first.items() if k != "jobTags"}
    assert third["hyperParameters"]["epochCount"] == "3" != first["hyperParameters"]["epochCount"]


def test_app_trains_on_an_existing_bucket_given_as_context(app_module, synthesize, q):
    # GIVEN `cdk deploy -c dataBucket=my-training-data`
    stack = app_module["build"](cdk.App(context={"dataBucket": "my-training-data"}))
    template = synthesize(stack)
    # THEN no bucket is created and the jobs read and write the given one, under the same keys
    assert q.resources(template, "AWS::S3::Bucket") == {}
    jobs = q.resources(template, "Custom::BedrockModelCustomizationJob")
    (first,) = [r["Properties"] for lid, r in jobs.items() if lid.startswith("FineTune") and "Again" not in lid]
    (again,) = [r["Properties"] for lid, r in jobs.items() if lid.startswith("FineTuneAgain")]
    assert first["trainingDataConfig"] == {"s3Uri": "s3://my-training-data/train/data.jsonl"}
    assert first["validationDataConfig"] == {"validators": [{"s3Uri": "s3://my-training-data/validation/data.jsonl"}]}
    assert first["outputDataConfig"] == {"s3Uri": "s3://my-training-data/output/fine-tune/"}
    assert again["trainingDataConfig"] == {"s3Uri": "s3://my-training-data/train/more-data.jsonl"}
    assert again["outputDataConfig"] == {"s3Uri": "s3://my-training-data/output/fine-tune-again/"}
    # AND the created service role reads exactly those objects of that bucket
    statements = q.policy_statements(template, q.job_role(template, "FineTune") + "DefaultPolicy")
    (write,) = q.statements_with(statements, "s3:PutObject")
    assert write["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-training-data/output/fine-tune/*"]]
    }


def test_app_without_context_creates_its_data_bucket(app_module, synthesize, q):
    stack = app_module["build"](cdk.App())
    template = synthesize(stack)
    (bucket_id,) = q.resources(template, "AWS::S3::Bucket")
    first = next(
        r["Properties"]
        for lid, r in q.resources(template, "Custom::BedrockModelCustomizationJob").items()
        if lid.startswith("FineTune") and "Again" not in lid
    )
    assert first["trainingDataConfig"] == {
        "s3Uri": {"Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/train/data.jsonl"]]}
    }
