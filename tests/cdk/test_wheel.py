"""The library as a user installs it: the built wheel in a fresh virtual environment without extras.

Why a real install and not the repository's editable one: what a user gets is what the wheel holds and what its
declared dependencies pull in. A module that needs a dev tool, a data file left out of the wheel, or a generic
top-level name would all pass in the repository's venv and fail in a user's app.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OFFLINE = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"}

USER_APP = """
import json, sys
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from bedrock_customization import CustomizationJob, S3Location

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "UserStack")
bucket = s3.Bucket.from_bucket_name(stack, "Data", "my-training-data")
CustomizationJob(
    stack, "FineTune", base_model="amazon.nova-micro-v1:0:128k",
    training_data=S3Location(bucket, "train/data.jsonl"), output_data=S3Location(bucket, "output/"),
    hyper_parameters={"epochCount": 2},
)
app.synth()
"""

IMPORT_EVERYTHING = """
import importlib, json, pkgutil
import bedrock_customization, bedrock_customization_provider, bedrock_customization_local
names = []
for package in (bedrock_customization, bedrock_customization_provider):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
        names.append(module.name)
try:
    import bedrock_customization_local.driver
    local = "imported"
except ImportError as exc:
    local = f"{type(exc).__name__}: {exc}"
print(json.dumps({"version": bedrock_customization.__version__, "modules": names, "local": local}))
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE, **kwargs.pop("env", {})}
    env.pop("PYTHONPATH", None)
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)])
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = out.glob("cdk_bedrock_customization-*.whl")
    return path


@pytest.fixture(scope="module")
def user_python(wheel, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel and its declared dependencies (at the repository's pinned versions)."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    installed = run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        env={"PIP_CONSTRAINT": str(REPO / "constraints.txt")},
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return python


def test_the_wheel_holds_the_library_the_provider_and_the_namespaced_local_tools_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"bedrock_customization", "bedrock_customization_provider", "bedrock_customization_local"}
    for typed in ("bedrock_customization/py.typed", "bedrock_customization_provider/py.typed"):
        assert typed in names
    assert "bedrock_customization_provider/hyperparameters.json" in names  # the provider's data ships
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    # runtime dependencies are ranges (a user's app picks its aws-cdk-lib 2.x); the dev tools are an extra only
    assert "Requires-Dist: aws-cdk-lib<3,>=2.275.0" in text
    assert not any(line.startswith("Requires-Dist: pytest") and "extra" not in line for line in text.splitlines())


def test_a_clean_install_imports_every_module_and_reports_its_version(user_python):
    # GIVEN the wheel installed without extras WHEN every module of the library and the provider is imported
    answer = run([str(user_python), "-c", IMPORT_EVERYTHING], cwd=user_python.parent)
    assert answer.returncode == 0, answer.stderr[-3000:]
    report = json.loads(answer.stdout.strip().splitlines()[-1])
    # THEN all import, the version is the project's, and the local tools say which extra to install
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    version_file = (REPO / "constructs/bedrock_customization/_version.py").read_text()
    declared = re.search(r'__version__ = "([^"]+)"', version_file)
    assert declared and report["version"] == declared.group(1)
    assert "bedrock_customization.customization_job" in report["modules"]
    assert "bedrock_customization_provider.handler" in report["modules"]
    assert report["local"].startswith("LocalExtraMissingError")
    assert "pip install 'cdk-bedrock-customization[local]'" in report["local"]


def test_a_user_app_synthesizes_from_the_clean_install(user_python, tmp_path):
    # GIVEN a user's own app in its own folder WHEN it is synthesized with the installed library (offline)
    (tmp_path / "app.py").write_text(USER_APP)
    answer = run([str(user_python), "app.py", str(tmp_path / "cdk.out")], cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr[-3000:]
    # THEN the template has the job, and the provider's asset was staged from the installed packages
    template = json.loads((tmp_path / "cdk.out" / "UserStack.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("Custom::BedrockModelCustomizationJob") == 1
    (asset,) = [p for p in (tmp_path / "cdk.out").glob("asset.*") if (p / "bedrock_customization_provider").is_dir()]
    assert (asset / "bedrock_customization_provider" / "hyperparameters.json").is_file()
    assert (asset / "crhelper").is_dir()
