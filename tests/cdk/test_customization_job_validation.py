"""CustomizationJob synth-time validation: a failing and a passing case for every rule, all problems at once,
construct path and field named, unresolved tokens skipped."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from bedrock_customization import (
    CustomizationJob,
    CustomizationType,
    DistillationConfig,
    InvalidPropsError,
    InvocationLogsConfig,
    RequestMetadataFilter,
    RequestMetadataFilters,
    RftConfig,
    RftHyperParameters,
    S3Location,
    VpcConfig,
)
from bedrock_customization_provider import contract
from constructs import Construct

REMOVE = object()
GRADER = "arn:aws:lambda:us-east-1:111122223333:function:grader"
TEACHER = "amazon.nova-pro-v1:0"
LOGS = InvocationLogsConfig(source="s3://log-bucket/logs/")
#: Bedrock's S3Uri shape allows at most 1024 characters.
MAX_S3_URI = 1024
Overrides = Callable[[cdk.Stack], dict[str, Any]]


def base_kwargs() -> dict[str, Any]:
    return {
        "base_model": "amazon.nova-micro-v1:0:128k",
        "training_data": "s3://train-bucket/data.jsonl",
        "output_data": "s3://train-bucket/out/",
    }


def build(overrides: dict[str, Any], stack: cdk.Stack | None = None, scope: Construct | None = None):
    stack = stack or cdk.Stack(cdk.App(), "TestStack")
    kwargs = base_kwargs()
    kwargs.update(overrides)
    kwargs = {k: v for k, v in kwargs.items() if v is not REMOVE}
    return CustomizationJob(scope or stack, "Job", **kwargs)


def distill(**extra: Any) -> dict[str, Any]:
    return {"distillation": DistillationConfig(teacher_model=TEACHER), **extra}


def rft(**hyper: Any) -> dict[str, Any]:
    return {"reinforcement_fine_tuning": RftConfig(grader=GRADER, hyper_parameters=RftHyperParameters(**hyper))}


def tags(count: int) -> dict[str, str]:
    return {f"k{i}": "v" for i in range(count)}


def filters(value: RequestMetadataFilters) -> dict[str, Any]:
    return distill(
        training_data=REMOVE,
        invocation_logs=InvocationLogsConfig(source="s3://log-b/l/", request_metadata_filters=value),
    )


def vpc(subnets: list[str], security_groups: list[str]) -> dict[str, Any]:
    return {"vpc_config": VpcConfig(subnets=subnets, security_groups=security_groups)}


def uri_of_length(length: int) -> str:
    prefix = "s3://b-1/"
    return prefix + "k" * (length - len(prefix))


def in_token_bucket(stack: cdk.Stack, key: str) -> S3Location:
    """``key`` in a new bucket "B" of the stack: the bucket's name is a token until deploy time."""
    return S3Location(s3.Bucket(stack, "B"), key)


# --- what the good case renders (a deep partial match of the job resource's properties) ----------------------------
def tag_list(count: int) -> list[dict[str, str]]:
    return [{"key": f"k{i}", "value": "v"} for i in range(count)]


def validator(count: int) -> list[dict[str, str]]:
    return [{"s3Uri": "s3://b-1/v.jsonl"}] * count


def renders_vpc(subnets: list[str], security_groups: list[str]) -> dict[str, Any]:
    return {"vpcConfig": {"subnetIds": subnets, "securityGroupIds": security_groups}}


def renders_filters(rendered: dict[str, Any]) -> dict[str, Any]:
    return {
        "trainingDataConfig": {"s3Uri": Match.absent(), "invocationLogsConfig": {"requestMetadataFilters": rendered}}
    }


def renders_rft(**hyper: Any) -> dict[str, Any]:
    return {
        "customizationType": "REINFORCEMENT_FINE_TUNING",
        "customizationConfig": {"rftConfig": {"graderConfig": {"lambdaGrader": {"lambdaArn": GRADER}},
                                              "hyperParameters": hyper}},
    }  # fmt: skip


def renders_teacher(**teacher: Any) -> dict[str, Any]:
    return {
        "customizationType": "DISTILLATION",
        "customizationConfig": {
            "distillationConfig": {"teacherModelConfig": {"teacherModelIdentifier": TEACHER, **teacher}},
            "rftConfig": Match.absent(),
        },
    }


def token_bucket_uri(key: str) -> dict[str, Any]:
    """The URI of ``in_token_bucket(stack, key)`` as rendered: the bucket's name is a Ref to the bucket "B"."""
    return {"Fn::Join": ["", ["s3://", {"Ref": Match.string_like_regexp("^B[0-9A-F]{8}$")}, f"/{key}"]]}


@dataclass(frozen=True)
class Rule:
    name: str
    bad: Overrides
    good: Overrides
    #: A regex the error message must match for the bad case.
    message: str
    #: Properties the good case's job resource must have, matched deep and partial (``has_resource_properties``):
    #: the value the rule is about, rendered as given.
    renders: dict[str, Any]


def const(value: dict[str, Any]) -> Overrides:
    return lambda _stack: value


EQUALS_A = RequestMetadataFilter(equals={"a": "1"})

RULES = [
    Rule("job name pattern", const({"job_name": "bad_name!"}), const({"job_name": "good-name.v1"}),
         re.escape("jobName must be a valid job name"
                   " (value: 'bad_name!') (argument job_name)"), {"jobName": "good-name.v1"}),
    Rule("job name length", const({"job_name": "a" * 64}), const({"job_name": "a" * 63}),
         re.escape("jobName must be at most 63 characters (got 64)"), {"jobName": "a" * 63}),
    Rule("custom model name pattern", const({"custom_model_name": "bad name"}),
         const({"custom_model_name": "good_name-1"}), re.escape("customModelName must be a valid custom model name"
                   " (value: 'bad name')"),
         {"customModelName": "good_name-1"}),
    Rule("custom model name length", const({"custom_model_name": ""}), const({"custom_model_name": "m"}),
         re.escape("customModelName must be at least 1 character (got 0)"), {"customModelName": "m"}),
    Rule("base model identifier pattern", const({"base_model": "not a model!"}),
         const({"base_model": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"}),
         re.escape("baseModelIdentifier must be a valid base model identifier (value: 'not a model!')"),
         {"baseModelIdentifier": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"}),
    Rule("training data s3 uri", const({"training_data": "https://bucket/key"}),
         const({"training_data": "s3://bucket-1/key.jsonl"}),
         re.escape("trainingDataConfig.s3Uri must be a valid S3 URI (value: 'https://bucket/key')"),
         {"trainingDataConfig": {"s3Uri": "s3://bucket-1/key.jsonl"}}),
    Rule("s3 uri at most 1024 characters", const({"training_data": uri_of_length(MAX_S3_URI + 1)}),
         const({"training_data": uri_of_length(MAX_S3_URI)}),
         re.escape(f"trainingDataConfig.s3Uri must be at most {MAX_S3_URI} characters (got {MAX_S3_URI + 1})")
         + re.escape(" (argument training_data)"),
         {"trainingDataConfig": {"s3Uri": uri_of_length(MAX_S3_URI)}}),
    Rule("training key of a bucket token is still checked",
         lambda st: {"training_data": in_token_bucket(st, "bad key with spaces")},
         lambda st: {"training_data": in_token_bucket(st, "good/key.jsonl")},
         re.escape("trainingDataConfig.s3Uri must be a valid S3 URI"
                   " (value: 's3://unresolved-bucket/bad key with spaces')"),
         {"trainingDataConfig": {"s3Uri": token_bucket_uri("good/key.jsonl")}}),
    Rule("validation key of a bucket token is still checked",
         lambda st: {"validation_data": [in_token_bucket(st, "bad key with spaces")]},
         lambda st: {"validation_data": [in_token_bucket(st, "validation/data.jsonl")]},
         re.escape("validationDataConfig.validators[0].s3Uri must be a valid S3 URI") + ".*argument validation_data",
         {"validationDataConfig": {"validators": [{"s3Uri": token_bucket_uri("validation/data.jsonl")}]}}),
    Rule("output key of a bucket token is still checked",
         lambda st: {"output_data": in_token_bucket(st, "bad prefix/")},
         lambda st: {"output_data": in_token_bucket(st, "good-prefix/")},
         re.escape("outputDataConfig.s3Uri must be a valid S3 URI") + ".*argument output_data",
         {"outputDataConfig": {"s3Uri": token_bucket_uri("good-prefix/")}}),
    Rule("output s3 uri", const({"output_data": "s3://UPPER/out/"}), const({"output_data": "s3://lower/out/"}),
         re.escape("outputDataConfig.s3Uri must be a valid S3 URI"
                   " (value: 's3://UPPER/out/')"), {"outputDataConfig": {"s3Uri": "s3://lower/out/"}}),
    Rule("at most 10 validators", const({"validation_data": ["s3://b-1/v.jsonl"] * 11}),
         const({"validation_data": ["s3://b-1/v.jsonl"] * 10}),
         re.escape("validationDataConfig.validators must have at most 10 items (got 11)"),
         {"validationDataConfig": {"validators": validator(10)}}),
    Rule("at least 1 validator", const({"validation_data": []}), const({"validation_data": ["s3://b-1/v.jsonl"]}),
         re.escape("validation_data must have 1 to 10 items (got 0)"),
         {"validationDataConfig": {"validators": validator(1)}}),
    Rule("validator s3 uri", const({"validation_data": ["s3:/b-1/v.jsonl"]}),
         const({"validation_data": ["s3://b-1/v.jsonl"]}),
         re.escape("validationDataConfig.validators[0].s3Uri must be a valid S3 URI (value: 's3:/b-1/v.jsonl')"),
         {"validationDataConfig": {"validators": validator(1)}}),
    Rule("customization type enum", const({"customization_type": "FOO"}),
         const({"customization_type": "CONTINUED_PRE_TRAINING"}), re.escape("customizationType must be one of"),
         {"customizationType": "CONTINUED_PRE_TRAINING"}),
    Rule("IMPORTED is not a job type", const({"customization_type": "IMPORTED"}),
         const({"customization_type": CustomizationType.FINE_TUNING}),
         re.escape("customization_type IMPORTED is not a job type"), {"customizationType": "FINE_TUNING"}),
    Rule("kms key format", const({"custom_model_kms_key": "not/a key"}),
         const({"custom_model_kms_key": "alias/my-key"}), re.escape("customModelKmsKeyId must be a valid KMS key"
                   " (value: 'not/a key')"),
         {"customModelKmsKeyId": "alias/my-key"}),
    Rule("role arn format", const({"role": "arn:aws:iam::111122223333:user/me"}),
         const({"role": "arn:aws:iam::111122223333:role/me"}), re.escape("roleArn must be a valid IAM role ARN"
                   " (value: 'arn:aws:iam::111122223333:user/me')"),
         {"roleArn": "arn:aws:iam::111122223333:role/me"}),
    Rule("at most 50 job tags", const({"job_tags": tags(51)}), const({"job_tags": tags(50)}),
         re.escape("jobTags must have at most 50 tags (got 51) (argument job_tags)"), {"jobTags": tag_list(50)}),
    Rule("at most 50 custom model tags", const({"custom_model_tags": tags(51)}), const({"custom_model_tags": tags(50)}),
         re.escape("customModelTags must have at most 50 tags (got 51) (argument custom_model_tags)"),
         {"customModelTags": tag_list(50)}),
    Rule("aws: tag prefix reserved", const({"job_tags": {"aws:owner": "x"}}), const({"job_tags": {"owner": "x"}}),
         re.escape("jobTags key 'aws:owner' must not start with 'aws:' (reserved for AWS) (argument job_tags)"),
         {"jobTags": [{"key": "owner", "value": "x"}]}),
    Rule("tag value pattern", const({"custom_model_tags": {"k": "no!"}}), const({"custom_model_tags": {"k": "ok"}}),
         re.escape("customModelTags[0].value must match pattern"), {"customModelTags": [{"key": "k", "value": "ok"}]}),
    Rule("tag key length", const({"job_tags": {"k" * 129: "v"}}), const({"job_tags": {"k" * 128: "v"}}),
         re.escape("jobTags[0].key must be at most 128 characters (got 129)"),
         {"jobTags": [{"key": "k" * 128, "value": "v"}]}),
    Rule("vpc needs a subnet", const(vpc([], ["sg-1"])), const(vpc(["subnet-1"], ["sg-1"])),
         re.escape("vpcConfig.subnetIds must have at least 1 item (got 0)"), renders_vpc(["subnet-1"], ["sg-1"])),
    Rule("vpc at most 16 subnets",
         const(vpc([f"subnet-{i}" for i in range(17)], ["sg-1"])),
         const(vpc([f"subnet-{i}" for i in range(16)], ["sg-1"])),
         re.escape("vpcConfig.subnetIds must have at most 16 items (got 17) (argument vpc_config)"),
         renders_vpc([f"subnet-{i}" for i in range(16)], ["sg-1"])),
    Rule("vpc at most 5 security groups",
         const(vpc(["subnet-1"], [f"sg-{i}" for i in range(6)])),
         const(vpc(["subnet-1"], [f"sg-{i}" for i in range(5)])),
         re.escape("vpcConfig.securityGroupIds must have at most 5 items (got 6)"),
         renders_vpc(["subnet-1"], [f"sg-{i}" for i in range(5)])),
    Rule("subnet id pattern", const(vpc(["subnet_1!"], ["sg-1"])), const(vpc(["subnet-1"], ["sg-1"])),
         re.escape("vpcConfig.subnetIds[0] must match pattern"), renders_vpc(["subnet-1"], ["sg-1"])),
    Rule("security group id pattern", const(vpc(["subnet-1"], ["sg-1", "sg_2!"])),
         const(vpc(["subnet-1"], ["sg-1", "sg-2"])),
         re.escape("vpcConfig.securityGroupIds[1] must match pattern") + ".*argument vpc_config",
         renders_vpc(["subnet-1"], ["sg-1", "sg-2"])),
    Rule("training data and invocation logs are exclusive", const(distill(invocation_logs=LOGS)),
         const(distill(invocation_logs=LOGS, training_data=REMOVE)),
         re.escape("trainingDataConfig must set exactly one of s3Uri, invocationLogsConfig"
                   " (got s3Uri, invocationLogsConfig) (argument training_data or invocation_logs)"),
         {"trainingDataConfig": {"s3Uri": Match.absent(),
                                 "invocationLogsConfig": {"invocationLogSource": {"s3Uri": "s3://log-bucket/logs/"}}}}),
    Rule("training data or invocation logs required", const({"training_data": REMOVE}), const({}),
         re.escape("trainingDataConfig must set exactly one of s3Uri, invocationLogsConfig (got none)"
                   " (argument training_data or invocation_logs)"),
         {"trainingDataConfig": {"s3Uri": "s3://train-bucket/data.jsonl", "invocationLogsConfig": Match.absent()}}),
    Rule("invocation log source uri", const(distill(training_data=REMOVE, invocation_logs=InvocationLogsConfig("x"))),
         const(distill(training_data=REMOVE, invocation_logs=LOGS)),
         re.escape("trainingDataConfig.invocationLogsConfig.invocationLogSource.s3Uri must be a valid S3 URI")
         + ".*argument invocation_logs",
         {"trainingDataConfig": {"invocationLogsConfig": {"invocationLogSource": {"s3Uri": "s3://log-bucket/logs/"}}}}),
    Rule("distillation needs a teacher", const({"customization_type": "DISTILLATION"}),
         const(distill(customization_type="DISTILLATION")),
         re.escape("customizationConfig.distillationConfig is required for customizationType DISTILLATION"
                   " (argument distillation)"), renders_teacher()),
    Rule("distillation config only for distillation", const(distill(customization_type="FINE_TUNING")),
         const(distill()),
         re.escape("customizationConfig.distillationConfig is not allowed for customizationType FINE_TUNING"
                   " (argument distillation)"), renders_teacher()),
    Rule("teacher identifier pattern",
         const({"distillation": DistillationConfig(teacher_model="bad teacher!")}), const(distill()),
         re.escape("teacherModelConfig.teacherModelIdentifier must match pattern"), renders_teacher()),
    Rule("max response length is an integer",
         const({"distillation": DistillationConfig(TEACHER, max_response_length_for_inference=1.5)}),
         const({"distillation": DistillationConfig(TEACHER, max_response_length_for_inference=1000)}),
         re.escape("maxResponseLengthForInference must be an integer"),
         renders_teacher(maxResponseLengthForInference=1000)),
    Rule("rft needs a grader", const({"customization_type": "REINFORCEMENT_FINE_TUNING"}),
         const(rft() | {"customization_type": "REINFORCEMENT_FINE_TUNING"}),
         re.escape("customizationConfig.rftConfig is required for customizationType REINFORCEMENT_FINE_TUNING"
                   " (argument reinforcement_fine_tuning)"), renders_rft()),
    Rule("rft config only for rft", const(rft() | {"customization_type": "FINE_TUNING"}), const(rft()),
         re.escape("customizationConfig.rftConfig is not allowed for customizationType FINE_TUNING"
                   " (argument reinforcement_fine_tuning)"), renders_rft()),
    Rule("distillation and rft exclude each other", const(distill(**rft())), const(distill()),
         re.escape("customizationConfig.rftConfig is not allowed for customizationType DISTILLATION"
                   " (argument reinforcement_fine_tuning)"), renders_teacher()),
    Rule("grader arn pattern",
         const({"reinforcement_fine_tuning": RftConfig(grader="arn:aws:lambda:us-east-1:1:function:g")}),
         const({"reinforcement_fine_tuning": RftConfig(grader=GRADER)}),
         re.escape("rftConfig.graderConfig.lambdaGrader.lambdaArn must match pattern"),
         {"customizationConfig": {"rftConfig": {"graderConfig": {"lambdaGrader": {"lambdaArn": GRADER}},
                                                "hyperParameters": Match.absent()}}}),
    Rule("rft batch size minimum", const(rft(batch_size=8)), const(rft(batch_size=16)),
         re.escape("rftConfig.hyperParameters.batchSize must be at least 16 (got 8)")
         + re.escape(" (argument reinforcement_fine_tuning)"), renders_rft(batchSize=16)),
    Rule("rft epoch count maximum", const(rft(epoch_count=51)), const(rft(epoch_count=50)),
         re.escape("rftConfig.hyperParameters.epochCount must be at most 50 (got 51)"), renders_rft(epochCount=50)),
    Rule("rft learning rate maximum", const(rft(learning_rate=0.1)), const(rft(learning_rate=0.00001)),
         re.escape("rftConfig.hyperParameters.learningRate must be at most 0.001"),
         renders_rft(learningRate=0.00001)),
    Rule("rft training samples per prompt minimum", const(rft(training_sample_per_prompt=1)),
         const(rft(training_sample_per_prompt=2)),
         re.escape("rftConfig.hyperParameters.trainingSamplePerPrompt must be at least 2 (got 1)")
         + re.escape(" (argument reinforcement_fine_tuning)"), renders_rft(trainingSamplePerPrompt=2)),
    Rule("rft training samples per prompt maximum", const(rft(training_sample_per_prompt=17)),
         const(rft(training_sample_per_prompt=16)),
         re.escape("rftConfig.hyperParameters.trainingSamplePerPrompt must be at most 16 (got 17)"),
         renders_rft(trainingSamplePerPrompt=16)),
    Rule("rft eval interval minimum", const(rft(eval_interval=0)), const(rft(eval_interval=1)),
         re.escape("rftConfig.hyperParameters.evalInterval must be at least 1 (got 0)")
         + re.escape(" (argument reinforcement_fine_tuning)"), renders_rft(evalInterval=1)),
    Rule("rft eval interval maximum", const(rft(eval_interval=101)), const(rft(eval_interval=100)),
         re.escape("rftConfig.hyperParameters.evalInterval must be at most 100 (got 101)"),
         renders_rft(evalInterval=100)),
    Rule("rft reasoning effort enum", const(rft(reasoning_effort="extreme")), const(rft(reasoning_effort="low")),
         re.escape("rftConfig.hyperParameters.reasoningEffort must be one of low, medium, high"),
         renders_rft(reasoningEffort="low")),
    Rule("metadata filters: exactly one member",
         const(filters(RequestMetadataFilters(equals={"a": "1"}, not_equals={"b": "2"}))),
         const(filters(RequestMetadataFilters(equals={"a": "1"}))),
         re.escape("requestMetadataFilters must set exactly one of"),
         renders_filters({"equals": {"a": "1"}, "notEquals": Match.absent()})),
    Rule("metadata filters: one pair per equals", const(filters(RequestMetadataFilters(equals={"a": "1", "b": "2"}))),
         const(filters(RequestMetadataFilters(not_equals={"a": "1"}))),
         re.escape("requestMetadataFilters.equals must have at most 1 entry (got 2)"),
         renders_filters({"notEquals": {"a": "1"}})),
    Rule("metadata filters: one pair per notEquals",
         const(filters(RequestMetadataFilters(not_equals={"a": "1", "b": "2"}))),
         const(filters(RequestMetadataFilters(not_equals={"b": "2"}))),
         re.escape("requestMetadataFilters.notEquals must have at most 1 entry (got 2) (argument invocation_logs)"),
         renders_filters({"notEquals": {"b": "2"}})),
    Rule("metadata filters: andAll not empty", const(filters(RequestMetadataFilters(and_all=[]))),
         const(filters(RequestMetadataFilters(and_all=[EQUALS_A]))),
         re.escape("requestMetadataFilters.andAll must have at least 1 item (got 0)"),
         renders_filters({"andAll": [{"equals": {"a": "1"}}]})),
    Rule("metadata filters: andAll at most 16", const(filters(RequestMetadataFilters(and_all=[EQUALS_A] * 17))),
         const(filters(RequestMetadataFilters(and_all=[EQUALS_A] * 16))),
         re.escape("requestMetadataFilters.andAll must have at most 16 items (got 17) (argument invocation_logs)"),
         renders_filters({"andAll": [{"equals": {"a": "1"}}] * 16})),
    Rule("metadata filters: orAll at most 16", const(filters(RequestMetadataFilters(or_all=[EQUALS_A] * 17))),
         const(filters(RequestMetadataFilters(or_all=[EQUALS_A] * 16))),
         re.escape("requestMetadataFilters.orAll must have at most 16 items (got 17)"),
         renders_filters({"orAll": [{"equals": {"a": "1"}}] * 16})),
    Rule("metadata filter key pattern", const(filters(RequestMetadataFilters(equals={"a#b": "1"}))),
         const(filters(RequestMetadataFilters(equals={"a.b": "1"}))),
         re.escape('requestMetadataFilters.equals["a#b"] key must match pattern'),
         renders_filters({"equals": {"a.b": "1"}})),
    Rule("hyperparameter values are scalars", const({"hyper_parameters": {"epochCount": [1, 2]}}),
         const({"hyper_parameters": {"epochCount": 2}}),
         re.escape("hyper_parameters['epochCount'] must be a string, number or boolean (got list [1, 2])"),
         {"hyperParameters": {"epochCount": "2"}}),
    Rule("service timeout fits one poll and its margin", const({"service_timeout": cdk.Duration.seconds(90)}),
         const({"service_timeout": cdk.Duration.seconds(91)}),
         re.escape("service_timeout must be 91 to 3600 seconds (got 90): the provider polls every 60 s and answers "
                   "30 s before CloudFormation's limit"), {contract.SERVICE_TIMEOUT: "91"}),
    Rule("service timeout at most 1 hour", const({"service_timeout": cdk.Duration.seconds(3601)}),
         const({"service_timeout": cdk.Duration.hours(1)}),
         re.escape("service_timeout must be 91 to 3600 seconds (got 3601)"), {contract.SERVICE_TIMEOUT: "3600"}),
    Rule("service timeout whole seconds", const({"service_timeout": cdk.Duration.millis(91500)}),
         const({"service_timeout": cdk.Duration.millis(92000)}),
         re.escape("service_timeout must be a whole number of seconds"), {contract.SERVICE_TIMEOUT: "92"}),
    Rule("removal policy destroy or retain", const({"removal_policy": cdk.RemovalPolicy.SNAPSHOT}),
         const({"removal_policy": cdk.RemovalPolicy.RETAIN}),
         re.escape("removal_policy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN"),
         {contract.REMOVAL_POLICY: contract.REMOVAL_POLICY_RETAIN}),
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_rejects_the_bad_case(rule: Rule):
    stack = cdk.Stack(cdk.App(), "TestStack")
    with pytest.raises(InvalidPropsError, match=rule.message):
        build(rule.bad(stack), stack)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_accepts_the_good_case(rule: Rule):
    # GIVEN a job that keeps the rule
    stack = cdk.Stack(cdk.App(), "TestStack")
    job = build(rule.good(stack), stack)
    # WHEN its stack is synthesized (which also runs the synth-time validations, such as the final tag lists';
    # cfn-lint is left to the template tests: linting every case would multiply this suite's time)
    template = Template.from_stack(cdk.Stack.of(job))
    # THEN there is exactly one job resource, carrying the value the rule is about
    template.resource_count_is(contract.JOB_RESOURCE_TYPE, 1)
    template.has_resource_properties(contract.JOB_RESOURCE_TYPE, rule.renders)


def test_every_problem_is_reported_at_once_with_the_construct_path():
    # GIVEN a job nested two levels deep with four problems in different fields
    stack = cdk.Stack(cdk.App(), "MyStack")
    deep = Construct(stack, "Deep")
    # WHEN it is constructed
    with pytest.raises(InvalidPropsError) as caught:
        build(
            {
                "job_name": "bad name",
                "output_data": "not-s3",
                "job_tags": tags(51),
                "service_timeout": cdk.Duration.hours(2),
                "training_data": REMOVE,
            },
            stack,
            deep,
        )
    # THEN one error names the path and lists every problem, one per line
    error = caught.value
    message = str(error)
    assert message.startswith("Invalid CustomizationJob (MyStack/Deep/Job):\n")
    assert error.path == "MyStack/Deep/Job"
    assert len(error.problems) == 5
    for fragment in ("jobName", "outputDataConfig.s3Uri", "job_tags", "service_timeout", "training_data"):
        assert any(fragment in line for line in message.splitlines()[1:]), fragment
    # AND nothing was created for the invalid job
    assert stack.node.try_find_child("BedrockCustomizationProvider") is None
    assert deep.node.find_child("Job").node.children == []


def test_unresolved_tokens_are_skipped(make_stack, synthesize, q):
    # GIVEN values only CloudFormation knows, each of which would break a rule as a literal string
    stack = make_stack()
    name = cdk.CfnParameter(stack, "JobName").value_as_string
    base = cdk.CfnParameter(stack, "BaseModel").value_as_string
    role = cdk.CfnParameter(stack, "RoleArn").value_as_string
    uri = cdk.CfnParameter(stack, "TrainingUri").value_as_string
    tag_value = cdk.CfnParameter(stack, "TagValue").value_as_string
    # WHEN the job is built THEN nothing is reported and the tokens are rendered
    CustomizationJob(
        stack,
        "Job",
        job_name=name,
        base_model=base,
        role=role,
        training_data=uri,
        output_data=S3Location(s3.Bucket(stack, "Out"), "out/"),
        job_tags={"owner": tag_value},
        validation_data=[cdk.Fn.join("", ["s3://", uri])],
    )
    props = q.job_properties(synthesize(stack), "Job")
    assert props["jobName"] == {"Ref": "JobName"}
    assert props["roleArn"] == {"Ref": "RoleArn"}
    assert props["trainingDataConfig"]["s3Uri"] == {"Ref": "TrainingUri"}


def test_valid_names_are_not_required(make_stack, synthesize, q):
    # GIVEN no job name and no custom model name (the provider generates both)
    stack = make_stack()
    build({}, stack)
    props = q.job_properties(synthesize(stack), "Job")
    assert "jobName" not in props and "customModelName" not in props
