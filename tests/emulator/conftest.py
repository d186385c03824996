"""One emulator per test module (starting one costs ~0.2 s); every test starts from an empty, frozen account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from bedrock_customization_local.emulator import Emulator
from botocore.config import Config

SEED = 7
ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-customization"
BASE_MODEL = "amazon.titan-text-express-v1:0:8k"
# No retries unless a test asks: each call is one request, so call logs and fault counts are exact.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
# The SDK's own checks (required, min length, types) would stop a bad request before the server sees it.
RAW = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)


@pytest.fixture(scope="module")
def running_emulator() -> Iterator[Emulator]:
    with Emulator(speed=0, seed=SEED) as emulator:
        yield emulator


@pytest.fixture
def emu(running_emulator: Emulator) -> Emulator:
    running_emulator.controls.reset(seed=SEED, moto=False)
    running_emulator.controls.set_speed(0)
    return running_emulator


@pytest.fixture
def bedrock(emu: Emulator) -> Any:
    return boto3.client("bedrock", endpoint_url=emu.endpoint_url, region_name="us-east-1", config=NO_RETRY)


@pytest.fixture
def raw_bedrock(emu: Emulator) -> Any:
    return boto3.client("bedrock", endpoint_url=emu.endpoint_url, region_name="us-east-1", config=RAW)


def job_request(name: str = "job-1", model: str = "model-1", **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "jobName": name,
        "customModelName": model,
        "roleArn": ROLE_ARN,
        "baseModelIdentifier": BASE_MODEL,
        "trainingDataConfig": {"s3Uri": "s3://training-bucket/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://training-bucket/validation.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://output-bucket/out/"},
        "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"},
    }
    request.update(overrides)
    return request


def model_request(name: str = "imported-1", **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "modelName": name,
        "roleArn": ROLE_ARN,
        "modelSourceConfig": {"s3DataSource": {"s3Uri": "s3://model-bucket/artifacts/"}},
    }
    request.update(overrides)
    return request


@pytest.fixture
def new_job() -> Any:
    """Builds a valid CreateModelCustomizationJob request: ``new_job("job-2", "model-2", hyperParameters={...})``."""
    return job_request


@pytest.fixture
def new_model() -> Any:
    """Builds a valid CreateCustomModel request: ``new_model("imported-2", modelTags=[...])``."""
    return model_request
