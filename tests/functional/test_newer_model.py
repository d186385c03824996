"""The provider follows the Bedrock model in AWS_DATA_PATH (the asset's), not the runtime's older bundled SDK."""

from __future__ import annotations

import json

import botocore.loaders
import pytest
from bedrock_customization_provider import clients, handler, shapes


@pytest.fixture
def newer_model(tmp_path, monkeypatch):
    """GIVEN an asset-like data path holding a Bedrock model that knows a member the installed botocore does not."""
    model = botocore.loaders.create_loader().load_service_model("bedrock", "service-2")
    model["shapes"]["CreateModelCustomizationJobRequest"]["members"]["brandNewSetting"] = {"shape": "Integer"}
    folder = tmp_path / "bedrock" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    for cache in (shapes.service_model, clients.shared_session, handler.runtime):
        cache.cache_clear()
    yield
    monkeypatch.delenv("AWS_DATA_PATH")
    for cache in (shapes.service_model, clients.shared_session, handler.runtime):
        cache.cache_clear()


def test_a_member_only_the_newer_model_knows_is_coerced_validated_and_sent(newer_model, harness):
    event = harness.event("job_create")
    event["ResourceProperties"]["brandNewSetting"] = "7"
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    assert harness.calls["CreateModelCustomizationJob"][0]["brandNewSetting"] == 7
