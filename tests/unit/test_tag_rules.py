"""Bedrock's tag rules beyond the API shape (:func:`rules.tag_problems`), which synth and deploy share: a failing and
a passing case for each, on every tag member."""

from __future__ import annotations

import pytest
from bedrock_customization_provider import contract, rules, shapes


def tags(count: int, key: str = "k") -> list[dict[str, str]]:
    return [{"key": f"{key}{i}", "value": "v"} for i in range(count)]


@pytest.mark.parametrize("member", ["jobTags", "customModelTags"])
def test_a_job_tag_list_may_hold_bedrocks_50_tags_per_resource(member):
    assert rules.tag_problems(member, tags(50)) == []
    [problem] = rules.tag_problems(member, tags(51))
    assert str(problem) == f"{member} must have at most 50 tags (got 51)"


def test_a_custom_model_leaves_one_tag_for_the_provider():
    assert rules.tag_problems("modelTags", tags(49)) == []
    [problem] = rules.tag_problems("modelTags", tags(50))
    assert str(problem) == (
        "modelTags must have at most 49 tags (got 50): the provider adds one of the 50 a resource may have"
    )


@pytest.mark.parametrize("key", ["aws:owner", "AWS:Owner"])
def test_keys_in_the_aws_namespace_are_refused(key):
    assert rules.tag_problems("jobTags", [{"key": "owner", "value": "x"}]) == []
    [problem] = rules.tag_problems("jobTags", [{"key": key, "value": "x"}])
    assert str(problem) == f"jobTags key {key!r} must not start with 'aws:' (reserved for AWS)"


@pytest.mark.parametrize("member", sorted(contract.MAX_TAGS))
def test_the_provider_tag_key_is_reserved_on_every_member(member):
    [problem] = rules.tag_problems(member, [{"key": contract.MODEL_PROPERTIES_TAG_KEY, "value": "x"}])
    assert problem.rule.endswith("is reserved for the provider; use another key")


def test_a_list_that_is_not_known_yet_is_left_to_deploy_time():
    assert rules.tag_problems("modelTags", "${Token[TOKEN.12]}") == []


def test_every_tag_member_of_every_create_has_a_limit():
    # the tag lists (TagList members) of every operation the provider creates with, read from Bedrock's model
    operations = [
        rules.JOB_OPERATION,
        rules.MODEL_OPERATION,
        rules.DEPLOYMENT_OPERATION,
        rules.THROUGHPUT_OPERATION,
        rules.MODEL_IMPORT_OPERATION,
    ]
    members = {
        name
        for operation in operations
        for name, shape in shapes.input_shape(operation).members.items()
        if shape.name == "TagList"
    }
    assert set(contract.MAX_TAGS) == members


def test_the_model_import_leaves_a_slot_for_the_provider_tag_on_the_job_and_the_model():
    limits = contract.MAX_TAGS_BY_OPERATION[rules.MODEL_IMPORT_OPERATION]
    tags = [{"key": f"k{i}", "value": "v"} for i in range(50)]
    for member in ("jobTags", "importedModelTags"):
        [problem] = rules.tag_problems(member, tags, limit=limits.get(member))
        assert problem.rule.startswith("must have at most 49 tags (got 50): the provider adds one")
    assert rules.tag_problems("jobTags", tags) == []  # a customization job's jobTags: its token names its owner


@pytest.mark.parametrize("key", [["a", "list"], {"a": "dict"}, 7, None])
def test_a_tag_key_that_is_not_a_string_is_named_not_a_crash(key):
    # the shape check names the field ("must be a string"); the tag rules must not fail on an unhashable key first
    request = {"jobTags": [{"key": key, "value": "v"}]}
    assert rules.tag_problems("jobTags", request["jobTags"]) == []
    with pytest.raises(rules.InvalidPropertiesError) as raised:
        rules.checked_request(rules.JOB_OPERATION, {**_minimal_job(), **request})
    assert "jobTags[0].key" in str(raised.value)


def _minimal_job() -> dict:
    return {
        "jobName": "j",
        "customModelName": "m",
        "roleArn": "arn:aws:iam::123456789012:role/r",
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "trainingDataConfig": {"s3Uri": "s3://bucket-1/t.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://bucket-1/o/"},
    }
