"""The resource graph of ``WaitMode.LONG`` (the default for jobs): jobs grouped under shared wait conditions (up to
100 each, by depth and timeout) named after their members' replacing properties, a check after each, readers only
where attributes are used; per stack one WaitStart and two rules with one permission each; the provider may read
and signal its own stack and switch its own poll rule only. Every template here passes cfn-lint (``synthesize``).
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
    """The condition whose Metadata lists ``job_id``."""
    found = {
        k: v
        for k, v in template.find_resources(CONDITION).items()
        if job_id in v["Metadata"][contract.WAIT_MEMBERS_METADATA]
    }
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_the_default_waits_on_a_group_condition_listing_the_job_then_a_check(make_stack, synthesize, q):
    stack = make_stack()
    job(stack)
    template = synthesize(stack)
    job_id, job_resource = q.one(template, contract.JOB_RESOURCE_TYPE, "Job")
    condition_id, condition = condition_of(template, job_id)
    start_id, start = q.one(template, contract.WAIT_START_RESOURCE_TYPE, "BedrockCustomizationProviderLongWaitsStart")
    check_id, check = q.one(template, contract.RESULT_RESOURCE_TYPE, "BedrockCustomizationProviderLongWaitsDepth0")

    assert job_resource["Properties"][contract.WAIT_MODE] == contract.WAIT_MODE_LONG
    assert re.fullmatch(rf"{contract.WAIT_CONDITION_PREFIX}0x0D[0-9a-f]{{8}}", condition_id)
    # no Handle (its Ref would be a presigned URL, a credential), no properties: a CreationPolicy signal per member
    assert condition["CreationPolicy"] == {"ResourceSignal": {"Count": 1, "Timeout": "PT12H"}}
    assert condition["Metadata"][contract.WAIT_MEMBERS_METADATA] == [job_id]
    assert set(condition["DependsOn"]) == {start_id, job_id}
    assert "Properties" not in condition
    # the WaitStart lists every condition (it is updated, and enables the poll rule, when one is new)
    assert start["Properties"][contract.WAIT_START_CONDITIONS] == [condition_id]
    # the check reads every member after the condition; it owns nothing
    assert check["Properties"][contract.RESULT_RESOURCE_ARNS] == [{"Ref": job_id}]
    assert condition_id in check["DependsOn"]
    assert contract.REMOVAL_POLICY not in check["Properties"]
    # no reader: nothing uses the job's attributes
    assert not [lid for lid in template.find_resources(contract.RESULT_RESOURCE_TYPE) if lid != check_id]


def test_hundreds_of_jobs_wait_on_a_few_conditions_and_cost_one_resource_each(make_stack, q):
    stack = make_stack()
    for index in range(250):
        job(stack, f"Job{index}")
    for index in range(3):
        job(stack, f"Quick{index}", wait_timeout=cdk.Duration.hours(2))
    template = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    conditions = {lid: r for lid, r in template.items() if r["Type"] == CONDITION}
    sizes = sorted(
        (r["CreationPolicy"]["ResourceSignal"]["Timeout"], len(r["Metadata"][contract.WAIT_MEMBERS_METADATA]))
        for r in conditions.values()
    )
    # at most 100 per condition, one condition per timeout; Count is the number of members
    assert sizes == [("PT12H", 50), ("PT12H", 100), ("PT12H", 100), ("PT2H", 3)]
    for resource in conditions.values():
        assert resource["CreationPolicy"]["ResourceSignal"]["Count"] == len(
            resource["Metadata"][contract.WAIT_MEMBERS_METADATA]
        )
    waiting = [lid for r in conditions.values() for lid in r["Metadata"][contract.WAIT_MEMBERS_METADATA]]
    jobs = [lid for lid, r in template.items() if r["Type"] == contract.JOB_RESOURCE_TYPE]
    assert sorted(waiting) == sorted(jobs)
    # waiting adds one WaitStart plus a condition and a check per group: not a resource per job
    waiting_resources = [
        r
        for r in template.values()
        if r["Type"] in (CONDITION, contract.RESULT_RESOURCE_TYPE, contract.WAIT_START_RESOURCE_TYPE)
    ]
    assert len(waiting_resources) == 1 + 2 * len(conditions)
    # the jobs read and write the same data: one shared service role (and its policy) for all of them
    roles = [lid for lid, r in template.items() if r["Type"] == "AWS::IAM::Role" and "JobRoles" in lid]
    assert len(roles) == 1
    assert {str(template[lid]["Properties"]["roleArn"]) for lid in jobs} == {str({"Fn::GetAtt": [roles[0], "Arn"]})}
    assert len(template) < 300


def test_a_job_whose_attributes_are_read_gets_a_reader_and_a_group_of_readers_needs_no_check(make_stack, synthesize, q):
    stack = make_stack()
    trained = job(stack)
    cdk.CfnOutput(stack, "ModelArn", value=trained.custom_model_arn)
    template = synthesize(stack)
    job_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "Job")
    condition_id, _ = condition_of(template, job_id)
    (reader_id,) = template.find_resources(contract.RESULT_RESOURCE_TYPE)
    reader = template.to_json()["Resources"][reader_id]
    assert reader_id.startswith("JobWaitResult")
    assert reader["Properties"][contract.RESULT_RESOURCE_ARN] == {"Ref": job_id}
    assert condition_id in reader["DependsOn"]


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
        return {r["Metadata"][contract.WAIT_MEMBERS_METADATA][0][:-8]: lid for lid, r in found.items()}

    before, after = conditions(2), conditions(3)
    # the follow-up waits at depth 1: on its own condition, after the first job's reader (never on the first's)
    assert before["First"].startswith(f"{contract.WAIT_CONDITION_PREFIX}0x0")
    assert before["FollowUp"].startswith(f"{contract.WAIT_CONDITION_PREFIX}1x0")
    # the follow-up's properties are unchanged tokens, but its job is replaced with the first one's model
    assert before["First"] != after["First"]
    assert before["FollowUp"] != after["FollowUp"]


def test_a_construct_dependency_on_another_long_waited_job_puts_the_dependent_one_level_deeper(make_stack, q):
    stack = make_stack()
    first = job(stack, "First")
    second = job(stack, "Second")
    second.resource.node.add_dependency(first.completion)  # after the first job's reader (so its wait)
    third = job(stack, "Third")
    _ = second.completion  # the second job's reader exists: depending on the job construct orders after it
    third.resource.node.add_dependency(second)
    template = cdk.assertions.Template.from_stack(stack)
    depths = {
        r["Metadata"][contract.WAIT_MEMBERS_METADATA][0][:-8]: lid[len(contract.WAIT_CONDITION_PREFIX)]
        for lid, r in template.find_resources(CONDITION).items()
    }
    assert depths == {"First": "0", "Second": "1", "Third": "2"}


def test_a_dependency_on_a_job_nothing_reads_orders_the_jobs_in_one_group(make_stack, synthesize, q):
    # Only a job's reader comes after its condition: a dependency on a job without one cannot close a cycle through
    # the shared condition, so both stay at depth 0 (one condition), and the dependency still orders their Creates.
    stack = make_stack()
    first = job(stack, "First")
    second = job(stack, "Second")
    second.node.add_dependency(first)
    template = synthesize(stack)  # cfn-lint clean: no circular dependency
    first_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "First")
    second_id, second_resource = q.one(template, contract.JOB_RESOURCE_TYPE, "Second")
    assert condition_of(template, first_id)[0] == condition_of(template, second_id)[0]
    assert condition_of(template, first_id)[0].startswith(f"{contract.WAIT_CONDITION_PREFIX}0x0")
    assert first_id in second_resource["DependsOn"]
    # once the first job's attributes are read, the same dependency reaches its reader: the second waits one deeper
    stack = make_stack("ReadStack")
    first = job(stack, "First")
    second = job(stack, "Second")
    second.node.add_dependency(first)
    _ = first.custom_model_arn
    template = synthesize(stack)
    second_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "Second")
    assert condition_of(template, second_id)[0].startswith(f"{contract.WAIT_CONDITION_PREFIX}1x0")


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
    # every job's Create comes after the rules and permissions exist (it enables the poll rule), through the
    # stack's WaitStart: one DependsOn entry per job for all of them, besides its own role's policy
    function_id, _ = q.one(template, "AWS::Lambda::Function", "BedrockCustomizationProviderFunction")
    start_id, _ = q.one(template, contract.WAIT_START_RESOURCE_TYPE, "BedrockCustomizationProviderLongWaitsStart")
    self_permissions_id, _ = q.one(template, "AWS::IAM::Policy", "BedrockCustomizationProviderSelfPermissions")
    for index in range(3):
        job_id, resource = q.one(template, contract.JOB_RESOURCE_TYPE, f"Job{index}")
        assert rule_ids | set(permissions) | {self_permissions_id} <= q.created_after(template, job_id)
        assert start_id in resource["DependsOn"] and len(resource["DependsOn"]) == 2  # Start and the role's policy
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


def test_a_logical_id_overridden_after_the_construct_is_the_one_the_condition_lists(make_stack):
    stack = make_stack()
    trained = job(stack)
    trained.resource.node.default_child.override_logical_id("RenamedJob")
    template = cdk.assertions.Template.from_stack(stack)
    _, condition = condition_of(template, "RenamedJob")
    assert "RenamedJob" in condition["DependsOn"]


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
    waiting = [
        lid
        for r in template.find_resources(CONDITION).values()
        for lid in r["Metadata"][contract.WAIT_MEMBERS_METADATA]
    ]
    assert short_id not in waiting


def test_a_custom_model_that_is_not_waited_for_has_no_status(make_stack):
    from bedrock_customization import AttributeUnavailableError, CustomModel

    model = CustomModel(make_stack(), "Model", model_package_arn=PACKAGE, wait_mode=WaitMode.NONE)
    assert model.model_arn
    with pytest.raises(AttributeUnavailableError, match=r"TestStack/Model.*status"):
        _ = model.status
