"""Deterministic names and tokens satisfy Bedrock's patterns and length limits."""

from __future__ import annotations

import re

import pytest
from bedrock_customization_provider import naming, shapes

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo-stack/5b6a3a40-ab12-11ee-9f4e-0a1b2c3d4e5f"
JOB_NAME = shapes.input_shape("CreateModelCustomizationJob").members["jobName"]
MODEL_NAME = shapes.input_shape("CreateModelCustomizationJob").members["customModelName"]
TOKEN = shapes.input_shape("CreateModelCustomizationJob").members["clientRequestToken"]


def full_match(shape, value: str) -> bool:
    return re.fullmatch(shape.metadata["pattern"], value) is not None and len(value) <= shape.metadata["max"]


@pytest.mark.parametrize(
    ("stack_id", "logical_id"),
    [
        (STACK, "FineTuneJob1A2B3C4D"),
        (STACK, "Stack" + "NestedConstruct" * 16 + "X" * 10),  # 255 characters
        ("arn:aws:cloudformation:us-east-1:123456789012:stack/" + "s" * 128 + "/guid", "A"),
        (STACK, "--__weird..id__--"),
        ("not-an-arn", "_"),
    ],
)
def test_generated_names_and_tokens_match_the_api_patterns(stack_id, logical_id):
    for purpose in ("job", "model"):
        name = naming.generated_name(stack_id, logical_id, "request-1", purpose)
        assert len(name) <= naming.MAX_NAME_LENGTH
        assert full_match(JOB_NAME, name), name
        assert full_match(MODEL_NAME, name), name
    token = naming.client_request_token(stack_id, logical_id, "request-1", "job", "0123456789abcdef")
    assert full_match(TOKEN, token)


def test_same_request_same_names_other_request_other_names():
    one = naming.generated_name(STACK, "Job", "request-1", "job")
    assert one == naming.generated_name(STACK, "Job", "request-1", "job")
    assert one != naming.generated_name(STACK, "Job", "request-2", "job")
    assert one != naming.generated_name(STACK, "Job", "request-1", "model")
    assert one.startswith("demo-stack-Job-")


def test_token_carries_the_properties_digest():
    digest = naming.properties_digest({"a": "1", "jobTags": [{"key": "k", "value": "v"}]}, ignore={"jobTags"})
    assert digest == naming.properties_digest({"a": "1"})
    assert digest != naming.properties_digest({"a": "2"})
    token = naming.client_request_token(STACK, "Job", "request-1", "job", digest)
    assert naming.token_properties_digest(token) == digest
    assert naming.token_properties_digest("someone-elses-token") is None
    assert naming.token_properties_digest(None) is None


def test_generated_names_are_recognised_for_their_resource_only():
    name = naming.generated_name(STACK, "Job", "request-1", "job")
    assert naming.is_generated_name(name, STACK, "Job")
    assert not naming.is_generated_name(name, STACK, "OtherJob")
    assert not naming.is_generated_name(name + "x", STACK, "Job")
    assert not naming.is_generated_name("demo-stack-Job-my-own-name", STACK, "Job")
