"""The shape-driven coercer and validator, exercised on Bedrock's real service model (no network)."""

from __future__ import annotations

import copy

import pytest
from bedrock_customization_provider import shapes

JOB = "CreateModelCustomizationJob"
MODEL = "CreateCustomModel"

VALID_JOB = {
    "jobName": "my-job-1",
    "customModelName": "my-model-1",
    "roleArn": "arn:aws:iam::123456789012:role/BedrockRole",
    "baseModelIdentifier": "amazon.titan-text-express-v1",
    "customizationType": "FINE_TUNING",
    "trainingDataConfig": {"s3Uri": "s3://my-bucket/train.jsonl"},
    "validationDataConfig": {"validators": [{"s3Uri": "s3://my-bucket/validation.jsonl"}]},
    "outputDataConfig": {"s3Uri": "s3://my-bucket/output/"},
    "hyperParameters": {"epochCount": "2", "learningRate": "0.00001"},
    "jobTags": [{"key": "team", "value": "ml"}],
}


def job(**changes: object) -> dict:
    request = copy.deepcopy(VALID_JOB)
    for key, value in changes.items():
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def problems(request: dict, operation: str = JOB, **kwargs: object) -> list[str]:
    return [str(p) for p in shapes.validate_request(operation, request, **kwargs)]


def rft(**hyper: object) -> dict:
    return {
        "rftConfig": {
            "graderConfig": {"lambdaGrader": {"lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:grader"}},
            "hyperParameters": hyper,
        }
    }


# --- the model --------------------------------------------------------------------------------------------------------
def test_input_shape_reads_bedrock_model_with_botocore_loader():
    shape = shapes.input_shape(JOB)
    assert shape.name == "CreateModelCustomizationJobRequest"
    assert "customizationConfig" in shape.members


def test_service_model_honours_aws_data_path(tmp_path, monkeypatch):
    # GIVEN a data path holding a Bedrock model with one extra member
    import json

    import botocore.loaders

    real = botocore.loaders.create_loader().load_service_model("bedrock", "service-2")
    real["shapes"]["CreateCustomModelRequest"]["members"]["brandNewField"] = {"shape": "String"}
    folder = tmp_path / "bedrock" / real["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(real))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    shapes.service_model.cache_clear()
    try:
        # WHEN the model is loaded THEN the newer model wins
        assert "brandNewField" in shapes.input_shape(MODEL).members
    finally:
        monkeypatch.delenv("AWS_DATA_PATH")
        shapes.service_model.cache_clear()
    assert "brandNewField" not in shapes.input_shape(MODEL).members


# --- coercion ---------------------------------------------------------------------------------------------------------
def test_coerce_restores_integers_floats_and_booleans_deep_in_the_tree():
    request = job(
        customizationType="REINFORCEMENT_FINE_TUNING",
        customizationConfig=rft(epochCount="3", learningRate="0.0001", batchSize="32"),
        trainingDataConfig={
            "invocationLogsConfig": {"usePromptResponse": "TRUE", "invocationLogSource": {"s3Uri": "s3://logs-b/x"}}
        },
    )
    coerced = shapes.coerce_request(JOB, request)
    hyper = coerced["customizationConfig"]["rftConfig"]["hyperParameters"]
    assert hyper == {"epochCount": 3, "learningRate": 0.0001, "batchSize": 32}
    assert isinstance(hyper["epochCount"], int)
    assert coerced["trainingDataConfig"]["invocationLogsConfig"]["usePromptResponse"] is True
    assert problems(coerced) == []


def test_coerce_restores_false_and_keeps_string_maps_as_strings():
    request = job(
        trainingDataConfig={
            "invocationLogsConfig": {"usePromptResponse": "false", "invocationLogSource": {"s3Uri": "s3://logs-b/x"}}
        }
    )
    coerced = shapes.coerce_request(JOB, request)
    assert coerced["trainingDataConfig"]["invocationLogsConfig"]["usePromptResponse"] is False
    # hyperParameters is map<string,string> in the API: numbers there stay strings
    assert coerced["hyperParameters"] == {"epochCount": "2", "learningRate": "0.00001"}


def test_coerce_restores_numbers_inside_lists():
    request = job(
        customizationType="DISTILLATION",
        customizationConfig={
            "distillationConfig": {
                "teacherModelConfig": {
                    "teacherModelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0",
                    "maxResponseLengthForInference": "1000",
                }
            }
        },
    )
    coerced = shapes.coerce_request(JOB, request)
    teacher = coerced["customizationConfig"]["distillationConfig"]["teacherModelConfig"]
    assert teacher["maxResponseLengthForInference"] == 1000


def test_coerce_keeps_unparseable_values_for_validation_to_report():
    request = job(customizationConfig=rft(epochCount="three"))
    request["trainingDataConfig"] = {
        "invocationLogsConfig": {"usePromptResponse": "yes", "invocationLogSource": {"s3Uri": "s3://logs-b/x"}}
    }
    coerced = shapes.coerce_request(JOB, request)
    assert coerced["customizationConfig"]["rftConfig"]["hyperParameters"]["epochCount"] == "three"
    assert problems(coerced) == [
        "trainingDataConfig.invocationLogsConfig.usePromptResponse must be a boolean (got string)",
        "customizationConfig.rftConfig.hyperParameters.epochCount must be an integer (got string 'three')",
    ]


def test_coerce_copies_provider_keys_and_unknown_members_unchanged_and_does_not_mutate():
    request = job(ServiceTimeout="3600", RemovalPolicy="Retain")
    before = copy.deepcopy(request)
    coerced = shapes.coerce_request(JOB, request)
    assert coerced["ServiceTimeout"] == "3600"
    assert request == before


# --- validation: a passing and a failing case per rule kind -----------------------------------------------------------
def test_valid_request_has_no_problems():
    assert problems(shapes.coerce_request(JOB, VALID_JOB)) == []


def test_required_member_missing():
    assert problems(job(roleArn=None)) == ["roleArn is required"]
    assert problems(job(outputDataConfig={})) == ["outputDataConfig.s3Uri is required"]


def test_ignore_skips_members_and_their_required_check():
    request = job(jobName=None, ServiceToken="arn:aws:lambda:x", clientRequestToken="!!")
    assert problems(request, ignore={"jobName", "ServiceToken", "clientRequestToken"}) == []
    assert "ServiceToken is not a known member" in problems(request, ignore={"jobName", "clientRequestToken"})


def test_unknown_member_suggests_the_close_name():
    assert problems(job(jobname="x")) == ["jobname is not a known member (did you mean jobName?)"]
    assert problems(job(outputDataConfig={"s3Uri": "s3://my-bucket/o", "zzz": 1})) == [
        "outputDataConfig.zzz is not a known member"
    ]


def test_type_rules():
    assert problems(job(jobTags="team=ml")) == ["jobTags must be a list (got string)"]
    assert problems(job(trainingDataConfig="s3://b/x")) == ["trainingDataConfig must be an object (got string)"]
    assert problems(job(jobName=5)) == ["jobName must be a string (got number)"]
    assert problems(job(hyperParameters=["x"])) == ["hyperParameters must be an object (got list)"]
    assert problems(job(customizationConfig=rft(learningRate=True))) == [
        "customizationConfig.rftConfig.hyperParameters.learningRate must be a number (got boolean True)"
    ]
    assert problems(job(customizationConfig=rft(learningRate=1e-5, epochCount=2))) == []


def test_string_length_rules_on_job_name():
    assert problems(job(jobName="a" * 64)) == ["jobName must be at most 63 characters (got 64)"]
    # a value of the wrong length is not matched against the pattern too: one problem, the length
    assert problems(job(jobName="")) == ["jobName must be at least 1 character (got 0)"]
    assert problems(job(jobName="a" * 63)) == []


def test_pattern_rule_is_a_full_match():
    assert problems(job(jobName="bad name")) == ["jobName must match pattern [a-zA-Z0-9](-*[a-zA-Z0-9\\+\\-\\.])*"]
    # a prefix that matches is not enough
    assert problems(job(jobName="good-prefix then junk")) != []
    assert problems(job(jobName="good-name.v2+x")) == []


def test_s3_uri_pattern():
    assert problems(job(trainingDataConfig={"s3Uri": "https://my-bucket/train.jsonl"})) == [
        "trainingDataConfig.s3Uri must match pattern s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A..."
    ]
    assert problems(job(trainingDataConfig={"s3Uri": "s3://my-bucket/folder/train.jsonl"})) == []


def test_enum_rule():
    assert problems(job(customizationType="FINETUNING")) == [
        "customizationType must be one of FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION, "
        "REINFORCEMENT_FINE_TUNING, IMPORTED (got FINETUNING)"
    ]
    assert problems(job(customizationType="CONTINUED_PRE_TRAINING")) == []


def test_list_count_rules_on_validators():
    many = [{"s3Uri": f"s3://my-bucket/v{i}.jsonl"} for i in range(11)]
    assert problems(job(validationDataConfig={"validators": many})) == [
        "validationDataConfig.validators must have at most 10 items (got 11)"
    ]
    assert problems(job(validationDataConfig={"validators": many[:10]})) == []
    assert problems(job(vpcConfig={"subnetIds": [], "securityGroupIds": ["sg-1"]})) == [
        "vpcConfig.subnetIds must have at least 1 item (got 0)"
    ]
    assert problems(job(vpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]})) == []


def test_list_count_rule_on_job_tags_and_item_paths():
    tags = [{"key": f"k{i}", "value": "v"} for i in range(201)]
    assert problems(job(jobTags=tags)) == ["jobTags must have at most 200 items (got 201)"]
    assert problems(job(jobTags=tags[:200])) == []
    assert problems(job(jobTags=[{"key": "a", "value": "b"}] * 3 + [{"key": "bad<key>", "value": "v"}])) == [
        "jobTags[3].key must match pattern [a-zA-Z0-9\\s._:/=+@-]*"
    ]


def test_map_count_and_key_rules_with_quoted_paths():
    def filters(equals: dict) -> dict:
        return {
            "invocationLogsConfig": {
                "invocationLogSource": {"s3Uri": "s3://logs-b/x"},
                "requestMetadataFilters": {"equals": equals},
            }
        }

    base = "trainingDataConfig.invocationLogsConfig.requestMetadataFilters.equals"
    assert problems(job(trainingDataConfig=filters({"a": "1", "b": "2"}))) == [
        f"{base} must have at most 1 entry (got 2)"
    ]
    assert problems(job(trainingDataConfig=filters({}))) == [f"{base} must have at least 1 entry (got 0)"]
    assert problems(job(trainingDataConfig=filters({"k!": "v"}))) == [
        f'{base}["k!"] key must match pattern [a-zA-Z0-9\\s._:/=+$@-]{{1,256}}'
    ]
    assert problems(job(trainingDataConfig=filters({"k": "v!"}))) == [
        f'{base}["k"] must match pattern [a-zA-Z0-9\\s._:/=+$@-]{{0,256}}'
    ]
    assert problems(job(trainingDataConfig=filters({"project": "alpha"}))) == []


def test_numeric_value_range_rules_in_customization_config():
    base = "customizationConfig.rftConfig.hyperParameters"
    assert problems(job(customizationConfig=rft(epochCount=0, batchSize=1024, learningRate=0.5))) == [
        f"{base}.epochCount must be at least 1 (got 0)",
        f"{base}.batchSize must be at most 512 (got 1024)",
        f"{base}.learningRate must be at most 0.001 (got 0.5)",
    ]
    assert problems(job(customizationConfig=rft(epochCount=50, batchSize=16, learningRate=0.001))) == []


def test_union_needs_exactly_one_member():
    both = {
        "distillationConfig": {"teacherModelConfig": {"teacherModelIdentifier": "amazon.nova-pro-v1:0"}},
        "rftConfig": {},
    }
    assert problems(job(customizationConfig=both)) == [
        "customizationConfig must set exactly one of distillationConfig, rftConfig (got distillationConfig, rftConfig)"
    ]
    assert problems(job(customizationConfig={})) == [
        "customizationConfig must set exactly one of distillationConfig, rftConfig (got none)"
    ]
    assert problems(job(customizationConfig={"rftConfig": {}})) == []


def test_custom_model_request_union_sources():
    request = {
        "modelName": "imported-1",
        "modelSourceConfig": {},
        "roleArn": "arn:aws:iam::123456789012:role/BedrockRole",
    }
    assert problems(request, MODEL) == ["modelSourceConfig must set exactly one of s3DataSource (got none)"]
    request["modelSourceConfig"] = {"s3DataSource": {"s3Uri": "s3://bedrock-artifacts/model/"}}
    assert problems(request, MODEL) == []


def test_unresolved_values_are_skipped_at_any_depth():
    token = "${Token[TOKEN.123]}"

    def is_token(value: object) -> bool:
        return isinstance(value, str) and "${Token[" in value

    request = job(
        roleArn=token,
        trainingDataConfig={"s3Uri": f"s3://{token}/train.jsonl"},
        jobTags=token,
    )
    assert problems(request, is_unresolved=is_token) == []
    assert len(problems(request)) == 3


def test_problem_str_is_path_then_rule():
    assert str(shapes.Problem("jobTags[3].key", "is required")) == "jobTags[3].key is required"


def test_request_that_is_not_an_object():
    assert problems("nope") == ["(request) must be an object (got string)"]  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["TRUE", "true", " False "])
def test_boolean_strings_are_case_insensitive(text):
    request = job(
        trainingDataConfig={
            "invocationLogsConfig": {"usePromptResponse": text, "invocationLogSource": {"s3Uri": "s3://logs-b/x"}}
        }
    )
    flag = shapes.coerce_request(JOB, request)["trainingDataConfig"]["invocationLogsConfig"]["usePromptResponse"]
    assert flag is (text.strip().lower() == "true")
