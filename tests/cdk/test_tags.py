"""Tags applied with ``cdk.Tags.of(...)`` reach jobs, their custom models and custom models, merged with explicit
tags (explicit wins), and the merged lists are validated when the app is synthesized."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from bedrock_customization import CustomizationJob, CustomModel
from bedrock_customization_provider import contract

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"


def stack_with_resources(**job_kwargs) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "TagStack")
    CustomizationJob(
        stack,
        "Job",
        base_model="amazon.nova-micro-v1:0:128k",
        training_data="s3://b-1/t.jsonl",
        output_data="s3://b-1/o/",
        **job_kwargs,
    )
    CustomModel(stack, "Model", model_package_arn=PACKAGE, model_tags={"owner": "models"})
    return stack


def test_applied_tags_reach_the_job_its_model_and_custom_models(synthesize, q):
    # GIVEN tags applied to the whole stack and explicit tags on the job
    stack = stack_with_resources(job_tags={"owner": "jobs", "team": "explicit"}, custom_model_tags={"tier": "gold"})
    cdk.Tags.of(stack).add("team", "applied")
    cdk.Tags.of(stack).add("cost-center", "42")
    # WHEN synthesized
    template = synthesize(stack)
    # THEN every Bedrock resource carries them; an explicit key wins over the applied one
    job = q.job_properties(template, "Job")
    assert job["jobTags"] == [
        {"key": "cost-center", "value": "42"},
        {"key": "owner", "value": "jobs"},
        {"key": "team", "value": "explicit"},
    ]
    assert job["customModelTags"] == [
        {"key": "cost-center", "value": "42"},
        {"key": "team", "value": "applied"},
        {"key": "tier", "value": "gold"},
    ]
    assert q.model_properties(template, "Model")["modelTags"] == [
        {"key": "cost-center", "value": "42"},
        {"key": "team", "value": "applied"},
        {"key": "owner", "value": "models"},
    ]


def test_no_tags_renders_no_tag_members(synthesize, q):
    stack = cdk.Stack(cdk.App(), "Plain")
    CustomizationJob(
        stack, "Job", base_model="amazon.nova-micro-v1:0:128k", training_data="s3://b-1/t", output_data="s3://b-1/o/"
    )
    props = q.job_properties(synthesize(stack), "Job")
    assert "jobTags" not in props and "customModelTags" not in props


def test_resource_type_filters_of_the_tags_aspect_apply(synthesize, q):
    stack = stack_with_resources()
    cdk.Tags.of(stack).add("only-models", "yes", include_resource_types=[contract.MODEL_RESOURCE_TYPE])
    template = synthesize(stack)
    assert "jobTags" not in q.job_properties(template, "Job")
    assert {"key": "only-models", "value": "yes"} in q.model_properties(template, "Model")["modelTags"]


def test_applied_tags_over_the_limit_fail_synth():
    stack = stack_with_resources(job_tags={f"k{i}": "v" for i in range(50)})
    cdk.Tags.of(stack).add("one-more", "tag")
    with pytest.raises(
        Exception, match=r"jobTags must have at most 50 tags \(got 51\) \(argument job_tags, with applied tags\)"
    ):
        Template.from_stack(stack)


def test_applied_tags_within_the_limit_pass(synthesize, q):
    stack = stack_with_resources(job_tags={f"k{i}": "v" for i in range(49)})
    cdk.Tags.of(stack).add("one-more", "tag")
    assert len(q.job_properties(synthesize(stack), "Job")["jobTags"]) == 50


def test_applied_tag_breaking_the_api_pattern_fails_synth():
    stack = stack_with_resources()
    cdk.Tags.of(stack).add("bad", "value!")
    with pytest.raises(Exception, match=r"jobTags\[0\]\.value must match pattern"):
        Template.from_stack(stack)


def test_applied_reserved_tag_key_fails_synth():
    stack = stack_with_resources()
    cdk.Tags.of(stack).add("aws:thing", "x")
    with pytest.raises(Exception, match=r"key 'aws:thing' must not start with 'aws:'"):
        Template.from_stack(stack)


def model_stack(model_tags: dict[str, str]) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "ModelTagStack")
    CustomModel(stack, "Model", model_package_arn=PACKAGE, model_tags=model_tags)
    return stack


def test_applied_tags_leave_a_custom_model_the_slot_of_the_provider_tag():
    # GIVEN 48 explicit model tags and two applied ones: 50 user tags, but the provider adds its own
    stack = model_stack({f"k{i}": "v" for i in range(48)})
    cdk.Tags.of(stack).add("a", "1")
    cdk.Tags.of(stack).add("b", "2")
    with pytest.raises(Exception, match=r"modelTags must have at most 49 tags \(got 50\): the provider adds one"):
        Template.from_stack(stack)


def test_applied_tags_up_to_49_on_a_custom_model_pass(synthesize, q):
    stack = model_stack({f"k{i}": "v" for i in range(48)})
    cdk.Tags.of(stack).add("a", "1")
    assert len(q.model_properties(synthesize(stack), "Model")["modelTags"]) == 49


def test_applied_provider_tag_key_fails_synth():
    stack = model_stack({})
    cdk.Tags.of(stack).add(contract.MODEL_PROPERTIES_TAG_KEY, "mine")
    with pytest.raises(Exception, match="is reserved for the provider"):
        Template.from_stack(stack)
