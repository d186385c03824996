"""Fault injection on chosen calls and at a seeded rate; botocore's exception classes and retries see real errors."""

from __future__ import annotations

import time

import boto3
import pytest
from bedrock_customization_local.emulator import FaultRule
from bedrock_customization_local.emulator.faults import FaultInjector
from botocore.config import Config
from botocore.exceptions import ClientError


def _code(call) -> str | None:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return None


def test_throttling_on_chosen_calls_answers_429_then_recovers(emu, bedrock, new_job):
    bedrock.create_model_customization_job(**new_job())
    emu.controls.add_fault("throttling", operations=["GetModelCustomizationJob"], calls=[1, 2])

    with pytest.raises(bedrock.exceptions.ThrottlingException) as raised:
        bedrock.get_model_customization_job(jobIdentifier="job-1")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    with pytest.raises(bedrock.exceptions.ThrottlingException):
        bedrock.get_model_customization_job(jobIdentifier="job-1")
    assert bedrock.get_model_customization_job(jobIdentifier="job-1")["status"] == "InProgress"

    gets = [c for c in emu.controls.state()["calls"] if c["operation"] == "GetModelCustomizationJob"]
    assert [(c["status"], c["fault"]) for c in gets] == [(429, "throttling"), (429, "throttling"), (200, None)]


def test_botocore_retries_through_a_short_throttling_burst(emu, new_job):
    retrying = boto3.client(
        "bedrock",
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )
    emu.controls.add_fault("throttling", operations=["CreateModelCustomizationJob"], times=2)
    # botocore's standard mode backs off up to ~1 s per retry; keep the burst short so the test stays fast
    arn = retrying.create_model_customization_job(**new_job(clientRequestToken="retry-token"))["jobArn"]

    state = emu.controls.state()
    assert [job["jobArn"] for job in state["jobs"]] == [arn]
    assert [c["status"] for c in state["calls"]] == [429, 429, 201]


def test_faults_hit_before_validation_and_create_nothing(emu, raw_bedrock, new_job):
    emu.controls.add_fault("internal", operations=["CreateModelCustomizationJob"], calls=[1])

    with pytest.raises(raw_bedrock.exceptions.InternalServerException) as raised:
        raw_bedrock.create_model_customization_job(**new_job(jobName="bad name!"))

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert emu.controls.state()["jobs"] == []


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("unavailable", "ServiceUnavailableException", 503),
        ("access_denied", "AccessDeniedException", 403),
        ("quota", "ServiceQuotaExceededException", 400),
    ],
)
def test_each_fault_kind_answers_its_code_and_status(emu, bedrock, kind, code, status):
    emu.controls.add_fault(kind, operations=["ListCustomModels"], times=1)

    with pytest.raises(ClientError) as raised:
        bedrock.list_custom_models()

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert bedrock.list_custom_models()["modelSummaries"] == []


def test_iam_propagation_error_hits_creates_after_validation(emu, bedrock, raw_bedrock, new_job):
    emu.controls.add_fault("iam_propagation", times=2)

    # a malformed request still fails validation first, and does not use up the fault
    with pytest.raises(raw_bedrock.exceptions.ValidationException, match="validation error"):
        raw_bedrock.create_model_customization_job(**new_job(jobName="bad name!"))
    # reads are never affected
    assert bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
    for _ in range(2):
        with pytest.raises(bedrock.exceptions.ValidationException) as raised:
            bedrock.create_model_customization_job(**new_job(clientRequestToken="iam-token"))
        assert raised.value.response["Error"]["Message"] == "Could not assume provided IAM role."
    arn = bedrock.create_model_customization_job(**new_job(clientRequestToken="iam-token"))["jobArn"]

    state = emu.controls.state()
    assert [job["jobArn"] for job in state["jobs"]] == [arn]
    creates = [c for c in state["calls"] if c["operation"] == "CreateModelCustomizationJob"]
    assert [c["fault"] for c in creates] == [None, "iam_propagation", "iam_propagation", None]


def test_rate_faults_are_deterministic_for_a_seed(emu, bedrock):
    def pattern() -> list[str | None]:
        emu.controls.reset(seed=42, moto=False)
        emu.controls.add_fault("throttling", operations=["ListModelCustomizationJobs"], rate=0.5)
        return [_code(bedrock.list_model_customization_jobs) for _ in range(30)]

    first = pattern()
    assert first == pattern()
    assert 0 < first.count("ThrottlingException") < 30
    assert set(first) == {None, "ThrottlingException"}


def test_latency_fault_delays_but_succeeds(emu, bedrock):
    # GIVEN a latency fault on the next ListCustomModels call (the server sleeps delay_seconds of wall time, whatever
    # the virtual clock's speed; the fixture freezes it)
    delay = 0.3
    emu.controls.add_fault("latency", operations=["ListCustomModels"], delay_seconds=delay, times=1)

    # WHEN the call is made
    started = time.monotonic()
    answer = bedrock.list_custom_models()
    elapsed = time.monotonic() - started

    # THEN it succeeds, no sooner than the delay (the client's wall time encloses the server's sleep), and well
    # within a bound generous enough for a loaded machine
    assert answer["modelSummaries"] == []
    assert delay <= elapsed < delay + 10
    assert emu.controls.state()["calls"][-1]["fault"] == "latency"
    # AND the fault was used up: the next call is not delayed
    bedrock.list_custom_models()
    assert emu.controls.state()["calls"][-1]["fault"] is None


def test_fault_rules_are_checked():
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultRule(kind="meteor")
    with pytest.raises(ValueError, match="rate"):
        FaultRule(kind="throttling", rate=2)
    injector = FaultInjector(seed=1)
    injector.add(FaultRule(kind="internal", operations=frozenset({"GetCustomModel"}), calls=frozenset({2})))
    decided = [bool(injector.decide("GetCustomModel", "edge")) for _ in range(3)]
    assert decided == [False, True, False]
    assert injector.decide("ListCustomModels", "edge") == []
