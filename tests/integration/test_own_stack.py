"""Test your own stack offline: a user's app in a folder of its own (``app.py``, ``cdk.json``), synthesized with the
CDK CLI, then ``bedrock-customization-local run cdk.out`` from that folder, as the driver's README tells a user.

Why a separate app and not the example: the command must not depend on anything of this repository's own app (its
cdk.json, its context, its folder); only on the installed packages and the assembly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bedrock_customization_local.driver.synth import synthesize

REPO = Path(__file__).resolve().parents[2]

USER_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from bedrock_customization import CustomizationJob, S3Location

app = cdk.App()
stack = cdk.Stack(app, "MyTuning")
bucket = s3.Bucket.from_bucket_name(stack, "Data", "my-training-data")
job = CustomizationJob(
    stack, "FineTune", base_model="amazon.nova-micro-v1:0:128k",
    training_data=S3Location(bucket, "train/data.jsonl"), output_data=S3Location(bucket, "output/"),
    hyper_parameters={"epochCount": 2},
)
cdk.CfnOutput(stack, "JobArn", value=job.job_arn)
app.synth()
"""


def _command() -> list[str]:
    """The console script a user runs, installed next to this interpreter (else the module, same entry point)."""
    script = Path(sys.executable).parent / "bedrock-customization-local"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bedrock_customization_local.driver"]


@pytest.mark.integration
def test_run_plays_a_users_own_app_from_its_folder(tmp_path, monkeypatch):
    # GIVEN a user's app folder of its own, its cdk on PATH (this repository's pinned CLI stands in for theirs)
    app = tmp_path / "my-app"
    app.mkdir()
    (app / "app.py").write_text(USER_APP)
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    monkeypatch.setenv("PATH", f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(app)
    # WHEN it is synthesized (`cdk synth`, the app found by its cdk.json from the working directory) and run
    assembly = synthesize(app / "cdk.out")
    assert assembly.stack().stack_name == "MyTuning"
    completed = subprocess.run(
        [*_command(), "--plain", "--speed", "1200", "run", "cdk.out"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    printed = completed.stdout
    # THEN the stack is created and deleted, with the same live view and end check as the demo
    assert completed.returncode == 0, printed + completed.stderr
    assert "MyTuning: 3 custom resources" in printed and "resolve to local values" in printed
    assert "stack CREATE_COMPLETE" in printed and "stack DELETE_COMPLETE" in printed
    assert "job Completed: ✓ validation ✓ data ✓ training" in printed
    job_arn = next(line.split()[-1] for line in printed.splitlines() if line.strip().startswith("JobArn"))
    assert job_arn.startswith("arn:aws:bedrock:us-east-1:123456789012:model-customization-job/")
    assert "end check passed" in printed and "left behind" not in printed
    assert "\x1b[" not in printed
