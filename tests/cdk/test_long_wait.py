"""The resource graph of ``WaitMode.LONG`` (the default for jobs): the job, a wait condition named after it and its
replacing properties, a reader after the condition; per stack two rules with one permission each; the provider may
read and signal its own stack and switch its own poll rule only. Every template here passes cfn-lint (``synthesize``).
"""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from bedrock_customization import CustomizationJob, InvalidPropsError, WaitMode
from bedrock_customization_provider import contract

CONDITION = "AWS::CloudFormation::WaitCondition"


def job(stack: cdk.Stack, id: str = "Job", **extra):
    bucket = s3.Bucket.from_bucket_name(stack, f"{id}Data", "my-training-data")
    extra.setdefault("hyper_parameters", {"epochCount": 2})
    return CustomizationJob(
        stack,
        id,
        base_model="amazon.nova-micro-v1:0:128k",
        training_data=f"s3://{bucket.bucket_name}/train/data.jsonl",
        output_data="s3://my-training-data/output/",
        **extra,
    )


def condition_of(template, job_id: str) -> tuple[str, dict]:
    found = {k: v for k, v in template.find_resources(CONDITION).items() if contract.watched_logical_id(k) == job_id}
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_the_default_waits_with_a_condition_named_after_the_job_and_a_reader_after_it(make_stack, synthesize, q):
    stack = make_stack()
    job(stack)
    template = synthesize(stack)
    job_id, job_resource = q.one(template, contract.JOB_RESOURCE_TYPE, "Job")
    condition_id, condition = condition_of(template, job_id)
    _, result = q.one(template, contract.RESULT_RESOURCE_TYPE, "JobWaitResult")

    assert job_resource["Properties"][contract.WAIT_MODE] == contract.WAIT_MODE_LONG
    assert re.fullmatch(rf"{job_id}Wait[0-9a-f]{{8}}", condition_id)
    # no Handle (its Ref would be a presigned URL, a credential), no properties: a CreationPolicy signal of 1
    assert condition == {
        "Type": CONDITION,
        "DependsOn": [job_id],
        "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT12H"}},
    }
    assert result["Properties"][contract.RESULT_RESOURCE_ARN] == {"Ref": job_id}
    assert condition_id in result["DependsOn"]
    assert contract.REMOVAL_POLICY not in result["Properties"]  # the reader owns nothing


@pytest.mark.parametrize(
    ("timeout", "iso"),
    [(cdk.Duration.hours(6), "PT6H"), (cdk.Duration.minutes(90), "PT1H30M"), (cdk.Duration.seconds(61), "PT1M1S")],
)
def test_wait_timeout_renders_as_the_condition_timeout(make_stack, synthesize, timeout, iso):
    stack = make_stack()
    job(stack, wait_timeout=timeout)
    _, condition = next(iter(synthesize(stack).find_resources(CONDITION).items()))
    assert condition["CreationPolicy"]["ResourceSignal"]["Timeout"] == iso


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"wait_timeout": cdk.Duration.hours(13)},
            r"wait_timeout must be 60 to 43200 seconds \(12 hours, .*got 46800\)",
        ),
        ({"wait_timeout": cdk.Duration.seconds(30)}, "wait_timeout must be 60 to 43200 seconds .*got 30"),
        ({"wait_timeout": cdk.Duration.millis(90500)}, "wait_timeout must be a whole number of seconds"),
        (
            {"wait_timeout": cdk.Duration.hours(2), "wait_mode": WaitMode.SHORT},
            "wait_timeout applies to WaitMode.LONG only",
        ),
    ],
)
def test_a_bad_wait_timeout_is_refused_with_the_path_argument_and_value(make_stack, extra, message):
    with pytest.raises(InvalidPropsError, match=rf"(?s)TestStack/Job.*{message}"):
        job(make_stack(), **extra)


def _condition_id(**extra) -> str:
    stack = cdk.Stack(cdk.App(), "TestStack")
    job(stack, **extra)
    template = cdk.assertions.Template.from_stack(stack)
    (condition_id,) = template.find_resources(CONDITION)
    return condition_id


def test_a_replacing_change_gets_a_fresh_condition_and_a_tag_change_keeps_it():
    base = _condition_id(job_tags={"team": "ml"})
    # a condition can be signalled once: the new job of a replacing update must wait on a new one
    assert _condition_id(job_tags={"team": "ml"}, hyper_parameters={"epochCount": 3}) != base
    # tags change in place (no new job): the condition stays, nothing waits again
    assert _condition_id(job_tags={"team": "research"}) == base
    # so do the provider keys: the same job
    assert _condition_id(job_tags={"team": "ml"}, removal_policy=cdk.RemovalPolicy.RETAIN) == base


def test_a_follow_up_on_a_replaced_jobs_model_gets_a_fresh_condition_too():
    def conditions(epochs: int) -> dict[str, str]:
        stack = cdk.Stack(cdk.App(), "TestStack")
        first = job(stack, "First", hyper_parameters={"epochCount": epochs})
        CustomizationJob(
            stack,
            "FollowUp",
            base_model=first.model,
            training_data="s3://my-training-data/more.jsonl",
            output_data="s3://my-training-data/again/",
        )
        found = cdk.assertions.Template.from_stack(stack).find_resources(CONDITION)
        return {contract.watched_logical_id(lid)[:-8]: lid for lid in found}

    before, after = conditions(2), conditions(3)
    # the follow-up's properties are unchanged tokens, but its job is replaced with the first one's model
    assert before["First"] != after["First"]
    assert before["FollowUp"] != after["FollowUp"]


def test_the_stack_shares_two_rules_with_one_permission_each_however_many_jobs(make_stack, synthesize, q):
    stack = make_stack()
    for index in range(3):
        job(stack, f"Job{index}")
    template = synthesize(stack)
    rules = q.resources(template, "AWS::Events::Rule")
    permissions = q.resources(template, "AWS::Lambda::Permission")
    assert len(rules) == 2 and len(permissions) == 2
    events_rule = next(r for r in rules.values() if "EventPattern" in r["Properties"])
    poll_rule = next(r for r in rules.values() if "ScheduleExpression" in r["Properties"])
    assert events_rule["Properties"]["EventPattern"] == {
        "source": [contract.JOB_EVENT_SOURCE],
        "detail-type": [contract.JOB_EVENT_DETAIL_TYPE],
        "detail": {"jobStatus": list(contract.TERMINAL_JOB_STATUSES)},
    }
    assert events_rule["Properties"]["State"] == "ENABLED"
    assert poll_rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert poll_rule["Properties"]["State"] == "DISABLED"  # a long wait's Create enables it
    assert poll_rule["Properties"]["Name"] == {
        "Fn::Join": [
            "",
            [contract.WAIT_RULE_PREFIX, {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}],
        ]
    }
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert "Input" not in target  # nothing secret, nothing per job: the event itself is delivered
    rule_ids = set(rules)
    assert {p["Properties"]["SourceArn"]["Fn::GetAtt"][0] for p in permissions.values()} == rule_ids
    # every job's Create comes after the rules and permissions exist (it enables the poll rule)
    function_id, _ = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    for index in range(3):
        _, resource = q.one(template, contract.JOB_RESOURCE_TYPE, f"Job{index}")
        assert rule_ids | set(permissions) <= set(resource["DependsOn"])
        assert function_id not in resource["DependsOn"]  # the ServiceToken's GetAtt orders it already (cfn-lint W3005)


def test_the_provider_knows_its_stack(make_stack, synthesize, q):
    stack = make_stack()
    job(stack)
    _, function = q.one(synthesize(stack), "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    assert function["Properties"]["Environment"]["Variables"][contract.ENV_STACK_ID] == {"Ref": "AWS::StackId"}


def test_long_attributes_come_from_the_reader(make_stack, synthesize, q):
    stack = make_stack()
    trained = job(stack)
    cdk.CfnOutput(stack, "ModelArn", value=trained.custom_model_arn)
    cdk.CfnOutput(stack, "JobArn", value=trained.job_arn)
    template = synthesize(stack)
    job_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "Job")
    result_id, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "JobWaitResult")
    outputs = template.to_json()["Outputs"]
    assert outputs["ModelArn"]["Value"] == {"Fn::GetAtt": [result_id, contract.ATTR_CUSTOM_MODEL_ARN]}
    assert outputs["JobArn"]["Value"] == {"Fn::GetAtt": [job_id, contract.ATTR_JOB_ARN]}
    assert trained.completion is trained.long_wait.result


def test_overriding_the_jobs_logical_id_after_the_wait_is_refused_at_synth(make_stack):
    stack = make_stack()
    trained = job(stack)
    trained.resource.node.default_child.override_logical_id("RenamedJob")
    with pytest.raises(Exception, match=r"logical id was overridden \(Job[0-9A-F]{8} -> RenamedJob\)"):
        cdk.assertions.Template.from_stack(stack)


# --- custom models ---------------------------------------------------------------------------------------------------
PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"


def test_a_custom_model_waits_short_by_default_and_long_when_asked(make_stack, synthesize, q):
    from bedrock_customization import CustomModel

    stack = make_stack()
    short = CustomModel(stack, "Short", model_package_arn=PACKAGE)
    long = CustomModel(
        stack, "Long", model_package_arn=PACKAGE, wait_mode=WaitMode.LONG, wait_timeout=cdk.Duration.hours(3)
    )
    cdk.CfnOutput(stack, "LongArn", value=long.model_arn)
    template = synthesize(stack)
    short_id, short_resource = q.one(template, contract.MODEL_RESOURCE_TYPE, "Short")
    long_id, long_resource = q.one(template, contract.MODEL_RESOURCE_TYPE, "Long")
    assert contract.WAIT_MODE not in short_resource["Properties"]
    assert long_resource["Properties"][contract.WAIT_MODE] == contract.WAIT_MODE_LONG
    _, condition = condition_of(template, long_id)
    assert condition["CreationPolicy"]["ResourceSignal"]["Timeout"] == "PT3H"
    result_id, _ = q.one(template, contract.RESULT_RESOURCE_TYPE, "LongWaitResult")
    # whatever uses the model's ARN comes after the model is Active: it is read from the reader
    assert template.to_json()["Outputs"]["LongArn"]["Value"] == {"Fn::GetAtt": [result_id, contract.ATTR_MODEL_ARN]}
    assert short.model_arn  # a token of the model's own resource
    assert not [lid for lid in template.find_resources(CONDITION) if contract.watched_logical_id(lid) == short_id]


def test_a_custom_model_that_is_not_waited_for_has_no_status(make_stack):
    from bedrock_customization import AttributeUnavailableError, CustomModel

    model = CustomModel(make_stack(), "Model", model_package_arn=PACKAGE, wait_mode=WaitMode.NONE)
    assert model.model_arn
    with pytest.raises(AttributeUnavailableError, match=r"TestStack/Model.*status"):
        _ = model.status
