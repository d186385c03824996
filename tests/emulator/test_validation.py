"""Server-side validation from the botocore model: every constraint named with its member path, in Coral's words."""

from __future__ import annotations

import pytest
from bedrock_customization_local.emulator.service_model import operation_model
from bedrock_customization_local.emulator.validation import problems


def _message(excinfo) -> str:
    return excinfo.value.response["Error"]["Message"]


def test_bad_pattern_length_and_enum_are_all_reported_with_field_names(emu, raw_bedrock, new_job):
    request = new_job(jobName="bad name!", customModelName="m" * 64, customizationType="SOMETHING")

    with pytest.raises(raw_bedrock.exceptions.ValidationException) as raised:
        raw_bedrock.create_model_customization_job(**request)

    message = _message(raised)
    # 64 characters break both the length and the pattern ({1,63}) of customModelName
    assert message.startswith("4 validation errors detected: ")
    assert "Value 'bad name!' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression" in (
        message
    )
    assert "at 'customModelName' failed to satisfy constraint: Member must have length less than or equal to 63" in (
        message
    )
    assert "at 'customizationType' failed to satisfy constraint: Member must satisfy enum value set: [" in message
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert emu.controls.state()["jobs"] == []


def test_missing_required_members_are_reported(raw_bedrock, new_job):
    request = new_job()
    del request["roleArn"]
    del request["trainingDataConfig"]

    with pytest.raises(raw_bedrock.exceptions.ValidationException) as raised:
        raw_bedrock.create_model_customization_job(**request)

    message = _message(raised)
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in message
    assert "Value null at 'trainingDataConfig' failed to satisfy constraint: Member must not be null" in message


def test_nested_and_list_members_are_named_by_path(raw_bedrock, new_job):
    request = new_job(
        trainingDataConfig={"s3Uri": "https://not-s3/train.jsonl"},
        jobTags=[{"key": "ok", "value": "fine"}, {"key": "bad<key>", "value": "v"}],
    )

    with pytest.raises(raw_bedrock.exceptions.ValidationException) as raised:
        raw_bedrock.create_model_customization_job(**request)

    message = _message(raised)
    assert "at 'trainingDataConfig.s3Uri' failed to satisfy constraint: Member must satisfy regular expression" in (
        message
    )
    assert "Value 'bad<key>' at 'jobTags.2.member.key'" in message


def test_uri_and_query_members_are_validated_too(raw_bedrock):
    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="at 'maxResults'"):
        raw_bedrock.list_model_customization_jobs(maxResults=5000)
    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="at 'statusEquals'"):
        raw_bedrock.list_model_customization_jobs(statusEquals="Running")
    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="at 'jobIdentifier'"):
        raw_bedrock.get_model_customization_job(jobIdentifier="-starts-with-dash")


def test_validation_runs_before_name_checks_and_creates_nothing(emu, raw_bedrock, new_job):
    raw_bedrock.create_model_customization_job(**new_job())

    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="validation error"):
        raw_bedrock.create_model_customization_job(**new_job(roleArn="not-an-arn"))

    assert len(emu.controls.state()["jobs"]) == 1


@pytest.mark.parametrize(
    ("value", "broken"),
    [
        ("job-1", False),
        ("a" * 63, False),
        ("a" * 64, True),
        ("", True),
        ("job_underscore", True),
        ("v1.2+beta", False),
    ],
)
def test_job_name_rule_pairs(value, broken):
    found = problems(operation_model("CreateModelCustomizationJob").input_shape.members["jobName"], value, "jobName")
    assert bool(found) is broken


def test_union_needs_exactly_one_member():
    shape = operation_model("CreateCustomModel").input_shape.members["modelSourceConfig"]
    assert problems(shape, {}, "modelSourceConfig")
    assert not problems(shape, {"s3DataSource": {"s3Uri": "s3://bucket/model/"}}, "modelSourceConfig")


def test_wrong_types_are_reported():
    shape = operation_model("CreateModelCustomizationJob").input_shape
    found = problems(shape, {"jobName": 5, "hyperParameters": ["x"], "jobTags": {"key": "v"}})
    joined = " ".join(found)
    assert "at 'jobName' failed to satisfy constraint: Member must be a string" in joined
    assert "at 'hyperParameters' failed to satisfy constraint: Member must be a map" in joined
    assert "at 'jobTags' failed to satisfy constraint: Member must be a list" in joined
