"""The Lambda-like worker runs a handler from its asset only, keeps warm state, and retries crashes like Lambda."""

from __future__ import annotations

import shutil
import uuid

import pytest
from bedrock_customization_local.driver.responses import ResponseEndpoint
from bedrock_customization_local.driver.runtime import LambdaService
from bedrock_customization_local.driver.template import FunctionSpec

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Demo/1234"
PROTECTED = ("bedrock_customization_local.driver", "bedrock_customization_local.emulator", "bedrock_customization")


@pytest.fixture
def service(tmp_path, probe_asset):
    with ResponseEndpoint(tmp_path) as endpoint:
        spec = FunctionSpec(
            logical_id="Provider",
            name="Demo-Provider",
            arn="arn:aws:lambda:us-east-1:123456789012:function:Demo-Provider",
            handler="bedrock_customization_provider.handler.main",
            runtime="python3.13",
            timeout_seconds=30,
            memory_mb=256,
            environment={"AWS_DATA_PATH": "/var/task/botocore-data"},
            code_dir=probe_asset,
            role_arn="arn:aws:iam::123456789012:role/ProviderRole",
        )
        lambdas = LambdaService(
            tmp_path / "work",
            {
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "CFN_RESPONSE_CA_BUNDLE": str(endpoint.ca_bundle),
            },
            sleep=lambda seconds: None,
        )
        lambdas.register(spec)
        lambdas.endpoint = endpoint  # type: ignore[attr-defined]
        yield lambdas
        lambdas.close()


def _event(endpoint: ResponseEndpoint, request_type: str = "Create", **properties):
    request_id = str(uuid.uuid4())
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:Demo-Provider",
        "ResponseURL": endpoint.url_for(STACK_ID, "Job", request_id),
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": "Job",
        "ResourceType": "Custom::Probe",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:Demo-Provider",
            **properties,
        },
    }


def test_the_provider_and_crhelper_resolve_inside_the_asset_and_nothing_else_outside_the_runtime(service, probe_asset):
    # GIVEN a worker for the function
    worker = service.warm("Demo-Provider")
    # WHEN its import system is asked where things are
    found = worker.probe(["crhelper", "bedrock_customization_provider.handler", "boto3", "json", "rich", *PROTECTED])
    # THEN crhelper and the provider come from the asset, boto3 from the runtime, and our packages not at all
    assert found["crhelper"].startswith(str(probe_asset))
    assert found["bedrock_customization_provider.handler"].startswith(str(probe_asset))
    assert "site-packages" in found["boto3"]
    # the venv's other packages are not in Lambda's runtime either
    assert found["rich"].startswith("ImportError") and "Lambda runtime" in found["rich"]
    assert not found["json"].startswith("ImportError")
    for name in PROTECTED:
        assert found[name].startswith("ImportError"), (name, found[name])


def test_a_warm_worker_serves_invocations_in_turn_with_lambda_context_and_environment(service):
    endpoint = service.endpoint
    first, second = _event(endpoint, Id="one"), _event(endpoint, Id="two")
    # WHEN two events are delivered
    assert [a.outcome for a in service.invoke_async("Demo-Provider", first)] == ["ok"]
    assert [a.outcome for a in service.invoke_async("Demo-Provider", second)] == ["ok"]
    # THEN one cold start served both (module state survived), the context had the function's time left,
    # and /var/task in the environment points at the asset
    data = endpoint.first(second["RequestId"]).data
    assert service.cold_starts == 1
    assert data["Calls"] == "2"
    assert 25_000 < int(data["Remaining"]) <= 30_000
    assert data["DataPath"].endswith("/botocore-data") and not data["DataPath"].startswith("/var/task")
    assert endpoint.first(first["RequestId"]).physical_id == "one"


def test_a_function_error_is_retried_twice_like_an_asynchronous_invocation(service):
    event = _event(service.endpoint, Raise="Create")
    attempts = service.invoke_async("Demo-Provider", event)
    assert [a.outcome for a in attempts] == ["error", "error", "error"]
    assert "handler error before crhelper" in attempts[0].detail
    assert "Traceback" in service.logs("Demo-Provider")


def test_a_crash_is_retried_with_the_same_event_in_a_cold_container(service, tmp_path):
    # GIVEN a handler whose container dies on the first delivery
    event = _event(service.endpoint, Id="survivor", ExitOnceMarker=str(tmp_path / "crashed-once"))
    # WHEN the event is delivered
    attempts = service.invoke_async("Demo-Provider", event)
    # THEN Lambda's retry ran it again in a fresh container, which answered
    assert [a.outcome for a in attempts] == ["crash", "ok"]
    assert service.cold_starts == 2
    assert service.endpoint.first(event["RequestId"]).physical_id == "survivor"


def test_an_ordered_crash_is_consumed_by_the_matching_event_only(service):
    service.faults.crash_after.append(("Other", "Create", "CreateModelCustomizationJob"))
    service.faults.crash_after.append(("Job", "Create", "NeverCalled"))
    event = _event(service.endpoint, Id="kept")
    assert [a.outcome for a in service.invoke_async("Demo-Provider", event)] == ["ok"]
    assert service.faults.crash_after == [("Other", "Create", "CreateModelCustomizationJob")]


def test_duplicate_delivery_runs_the_same_event_twice(service):
    service.faults.duplicates.append(("Job", "Create"))
    event = _event(service.endpoint, Id="dup")
    attempts = service.invoke_async("Demo-Provider", event)
    assert [a.outcome for a in attempts] == ["ok", "ok"]
    assert [r.physical_id for r in service.endpoint.all(event["RequestId"])] == ["dup", "dup"]


def test_an_invocation_leaves_no_bytecode_cache_in_the_asset_folder(service, probe_asset):
    # GIVEN an asset folder with no __pycache__ in it (cdk.out belongs to CDK, not to the driver); the fixture's copy
    # of crhelper comes from the venv with its cache, which a synthesized asset does not ship
    for cache in list(probe_asset.rglob("__pycache__")):
        shutil.rmtree(cache)
    # WHEN a worker imports the handler from it and serves an invocation
    event = _event(service.endpoint, Id="clean")
    assert [a.outcome for a in service.invoke_async("Demo-Provider", event)] == ["ok"]
    service.close()
    # THEN the folder holds only what the asset shipped: the isolated interpreter wrote no bytecode cache
    assert not list(probe_asset.rglob("__pycache__"))
    assert not list(probe_asset.rglob("*.pyc"))
