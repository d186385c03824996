"""Fixtures of the driver's tests and of the integration tier.

Builders for tiny templates and assemblies (driver unit tests), and for the integration tier: the example app
synthesized ONCE per session with the real CDK CLI, one local session (emulator + response endpoint + Lambda
workers) reset between tests, and a runner per test.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import crhelper
import pytest

JOB = "Custom::BedrockModelCustomizationJob"


def function_resource(asset: str = "asset.abc123", handler: str = "probe_provider.handler.main") -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {
                "S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
                "S3Key": "abc123.zip",
            },
            "Handler": handler,
            "Runtime": "python3.13",
            "Timeout": 30,
            "MemorySize": 256,
            "Role": {"Fn::GetAtt": ["ProviderRole", "Arn"]},
            "Environment": {"Variables": {"AWS_DATA_PATH": "/var/task/botocore-data", "POLL_INTERVAL_MINUTES": 1}},
        },
        "Metadata": {"aws:asset:path": asset, "aws:asset:property": "Code"},
    }


def write_assembly(directory: Path, template: dict[str, Any], stack: str = "Demo", *, metadata: bool = True) -> Path:
    """A minimal cdk.out: manifest, template, asset manifest, and an (empty) asset folder."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "asset.abc123").mkdir(exist_ok=True)
    if not metadata:
        for resource in template["Resources"].values():
            resource.pop("Metadata", None)
    (directory / f"{stack}.template.json").write_text(json.dumps(template))
    (directory / f"{stack}.assets.json").write_text(
        json.dumps(
            {
                "version": "48.0.0",
                "files": {
                    "abc123": {
                        "source": {"path": "asset.abc123", "packaging": "zip"},
                        "destinations": {"current": {"bucketName": "b", "objectKey": "abc123.zip"}},
                    }
                },
            }
        )
    )
    manifest = {
        "version": "48.0.0",
        "artifacts": {
            f"{stack}.assets": {"type": "cdk:asset-manifest", "properties": {"file": f"{stack}.assets.json"}},
            stack: {
                "type": "aws:cloudformation:stack",
                "environment": "aws://unknown-account/unknown-region",
                "properties": {"templateFile": f"{stack}.template.json"},
                "dependencies": [f"{stack}.assets"],
            },
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


PROBE_HANDLER = """
import json
import os

from crhelper import CfnResource

helper = CfnResource(log_level="INFO", sleep_on_delete=0, ssl_verify=os.environ.get("CFN_RESPONSE_CA_BUNDLE"))
CALLS = []


@helper.create
@helper.update
def create(event, context):
    CALLS.append(event["RequestType"])
    props = event["ResourceProperties"]
    if props.get("Fail"):
        raise RuntimeError(props["Fail"])
    helper.Data["Echo"] = json.dumps(props, sort_keys=True)
    helper.Data["Calls"] = str(len(CALLS))
    helper.Data["Remaining"] = str(context.get_remaining_time_in_millis())
    helper.Data["DataPath"] = os.environ.get("AWS_DATA_PATH", "")
    return props.get("Id", "phys-" + event["LogicalResourceId"])


@helper.delete
def delete(event, context):
    CALLS.append("Delete")


def main(event, context):
    marker = event["ResourceProperties"].get("ExitOnceMarker")
    if marker and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    if event["ResourceProperties"].get("Raise") == event["RequestType"]:
        raise RuntimeError("handler error before crhelper")
    helper(event, context)
"""


def write_probe_asset(asset_dir: Path) -> Path:
    """An asset like the real one: a provider package named like ours, crhelper copied in, a handler module."""
    package = asset_dir / "bedrock_customization_provider"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(PROBE_HANDLER)
    shutil.copytree(Path(crhelper.__file__).parent, asset_dir / "crhelper", dirs_exist_ok=True)
    (asset_dir / "botocore-data").mkdir(exist_ok=True)
    return asset_dir


@pytest.fixture
def make_assembly(tmp_path: Path):
    def make(template: dict[str, Any], **kwargs: Any) -> Path:
        return write_assembly(tmp_path / "cdk.out", template, **kwargs)

    return make


@pytest.fixture
def probe_asset(tmp_path: Path) -> Path:
    return write_probe_asset(tmp_path / "asset")


# --- the integration tier: the example app, synthesized once, against one local session -------------------------
#: Virtual seconds per wall second for the tier: a 20-minute job takes one wall second.
TIER_SPEED = 1200.0
TIER_JOB_SECONDS = 20 * 60


@pytest.fixture(scope="session")
def example_assembly(tmp_path_factory: pytest.TempPathFactory):
    """The example app synthesized once per test session with the pinned CDK CLI (what `make demo` runs).

    ``CFN_DRIVER_ASSEMBLY=<cdk.out>`` reuses an assembly synthesized earlier instead.
    """
    from bedrock_customization_local.driver.assembly import CloudAssembly
    from bedrock_customization_local.driver.synth import synthesize

    if os.environ.get("CFN_DRIVER_ASSEMBLY"):
        return CloudAssembly.load(os.environ["CFN_DRIVER_ASSEMBLY"])
    return synthesize(tmp_path_factory.mktemp("example") / "cdk.out")


@pytest.fixture(scope="session")
def local_session(tmp_path_factory: pytest.TempPathFactory):
    from bedrock_customization_local.driver.responses import presigned_url_kind
    from bedrock_customization_local.driver.session import LocalSession, SessionOptions

    options = SessionOptions(speed=TIER_SPEED, workdir=tmp_path_factory.mktemp("session"))
    with LocalSession(options) as session:
        yield session
        # The secrets audit of the whole tier: every provider log of every test run in this session (each test's end
        # check saw its own; a test that plants a leak on purpose removes its log) holds no presigned URL.
        leaks = [
            f"{log.name}: {kind}"
            for log in sorted((options.workdir / "logs").glob("*.log"))
            if (kind := presigned_url_kind(log.read_text(errors="replace")))
        ]
        assert not leaks, f"presigned URLs in the session's function logs: {leaks}"


@pytest.fixture
def cloud(local_session):
    """The shared session with a clean emulator (moto included), no stacks, no faults and short default jobs."""
    from bedrock_customization_local.driver.runtime import FaultPlan
    from bedrock_customization_local.emulator import JobScenario

    local_session.emulator.controls.reset()
    local_session.stacks.clear()  # a stack an earlier test left (failed, importing an export) is not this test's
    local_session.emulator.controls.set_speed(TIER_SPEED)
    local_session.emulator.controls.add_job_scenario(JobScenario.lasting(TIER_JOB_SECONDS))
    local_session.lambdas.faults = FaultPlan()
    local_session.polls.problems.clear()
    local_session.polls.deliveries.clear()
    return local_session


@pytest.fixture
def runner(cloud, example_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, example_assembly.stack())


#: Context that makes app.py also declare a custom model (CreateCustomModel from a SageMaker AI model package).
MODEL_PACKAGE_CONTEXT = {"modelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/nova-demo/1"}


@pytest.fixture(scope="session")
def example_with_model_assembly(tmp_path_factory: pytest.TempPathFactory):
    """The example app with its custom model, synthesized once per session (CFN_DRIVER_MODEL_ASSEMBLY reuses one)."""
    from bedrock_customization_local.driver.assembly import CloudAssembly
    from bedrock_customization_local.driver.synth import synthesize

    if os.environ.get("CFN_DRIVER_MODEL_ASSEMBLY"):
        return CloudAssembly.load(os.environ["CFN_DRIVER_MODEL_ASSEMBLY"])
    return synthesize(tmp_path_factory.mktemp("example-model") / "cdk.out", MODEL_PACKAGE_CONTEXT)


@pytest.fixture
def model_runner(cloud, example_with_model_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, example_with_model_assembly.stack())


class _SpeedUpOnFailure:
    """A stack observer that puts the shared clock back to the tier's speed once a resource fails."""

    def __init__(self, controls: Any) -> None:
        self.controls = controls

    def stack_status(self, status: str) -> None:
        return None

    def resource_status(self, event: Any) -> None:
        if event.status.endswith("FAILED"):
            self.controls.set_speed(TIER_SPEED)

    def idle(self) -> None:
        return None


@pytest.fixture
def slow_until_failure(cloud) -> Any:
    """``slow_until_failure()`` puts the shared clock at 8x and returns a runner ``observer`` that puts it back to the
    tier's speed once a resource fails. Call it just before the deploy that should fail.

    The provider measures its ServiceTimeout budget in wall seconds, CloudFormation in virtual ones. Under a
    ServiceTimeout of 95 s the provider's budget is used up 95 - 90 = 5 wall seconds after it starts; at 8x its
    first poll (one virtual minute = 7.5 s) comes after that and well before CloudFormation's virtual 95 s (11.9 s),
    so the provider gives up first, as it does in AWS.
    """

    def slow() -> _SpeedUpOnFailure:
        cloud.emulator.controls.set_speed(8)
        return _SpeedUpOnFailure(cloud.emulator.controls)

    return slow


# --- the long wait's CloudFormation parts: a probe provider that also reconciles, as docs/long-wait.md designs -----
RECONCILER_HANDLER = (
    PROBE_HANDLER
    + '''

import boto3

_probe_main = main


def reconcile(event):
    """A non-CloudFormation event: read the stack, signal each waiting condition <X>Wait... with <X>'s physical id."""
    print("RECONCILE " + json.dumps(event, sort_keys=True), flush=True)
    mode = os.environ.get("SIGNAL_STATUS", "SUCCESS")
    cfn = boto3.client("cloudformation")
    stack = os.environ["STACK_ID"]
    resources = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        resources += page["StackResourceSummaries"]
    status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources}
    for resource in resources:
        waiting = resource["ResourceStatus"] == "CREATE_IN_PROGRESS"
        if resource["ResourceType"] != "AWS::CloudFormation::WaitCondition" or not waiting or mode == "NONE":
            continue
        owner = resource["LogicalResourceId"].rsplit("Wait", 1)[0]
        try:
            cfn.signal_resource(
                StackName=stack, LogicalResourceId=resource["LogicalResourceId"], UniqueId=physical[owner], Status=mode
            )
            print(f"SIGNALLED {resource['LogicalResourceId']} {physical[owner]} {mode} while {status}", flush=True)
        except cfn.exceptions.ClientError as exc:
            print(f"REFUSED {resource['LogicalResourceId']}: {exc}", flush=True)


def main(event, context):
    if "RequestType" in event and "ResponseURL" in event:
        return _probe_main(event, context)
    return reconcile(event)
'''
)


def write_reconciler_asset(asset_dir: Path) -> Path:
    """The probe asset whose handler also answers EventBridge events by signalling the stack's wait conditions
    (``SIGNAL_STATUS`` in the function's environment: SUCCESS, FAILURE or NONE)."""
    write_probe_asset(asset_dir)
    (asset_dir / "bedrock_customization_provider" / "handler.py").write_text(RECONCILER_HANDLER)
    return asset_dir


def stack_guid_name(prefix: str) -> dict[str, Any]:
    """``<prefix><stack GUID>`` as the constructs write it: Fn::Join of Fn::Select 2 of Fn::Split / AWS::StackId."""
    guid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    return {"Fn::Join": ["", [prefix, guid]]}


# --- the short wait mode: the example app with -c waitMode=Short ---------------------------------------------------
@pytest.fixture(scope="session")
def short_assembly(tmp_path_factory: pytest.TempPathFactory):
    """The example app in the short wait mode (each job waited for inside its custom resource's hour), synthesized
    once per session: the custom-resource protocol's own failure paths (ServiceTimeout, no answer, crashes)."""
    from bedrock_customization_local.driver.synth import synthesize

    return synthesize(tmp_path_factory.mktemp("example-short") / "cdk.out", {"waitMode": "Short"})


@pytest.fixture
def short_runner(cloud, short_assembly):
    from bedrock_customization_local.driver.stack import StackRunner

    return StackRunner(cloud, short_assembly.stack())
