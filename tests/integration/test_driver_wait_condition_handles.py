"""The Handle form of CloudFormation's wait conditions as the driver plays it: an
AWS::CloudFormation::WaitConditionHandle whose Ref is a presigned HTTPS URL on the driver's endpoint, and an
AWS::CloudFormation::WaitCondition with Handle, Timeout and Count that counts the signals PUT to it.

Every test runs on a frozen virtual clock: the test thread signals while the stack's loop waits, and a timeout comes
only when the test advances the clock, never from the machine's speed. No test needs a Lambda function: the signals
come from the test, as a script on an instance would send them (``curl -X PUT -H 'Content-Type:' ...``).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.client import HTTPSConnection
from urllib.parse import urlsplit, urlunsplit

import pytest
from bedrock_customization_local.driver.assembly import CloudAssembly
from bedrock_customization_local.driver.errors import DriverError
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_local.driver.stack import StackRunner
from botocore.exceptions import ClientError

from .conftest import function_resource, write_assembly, write_probe_asset

HANDLE = "AWS::CloudFormation::WaitConditionHandle"
WAIT = "AWS::CloudFormation::WaitCondition"


def _template(*, count=None, timeout="300", gate=False, extra=None):
    """A handle, a condition on it (``Ready``) and an Output of its Data; with ``gate``, the condition waits for a
    CreationPolicy condition (``Gate``) the test signals through SignalResource, so it starts only then."""
    ready = {"Type": WAIT, "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": timeout}}
    if count is not None:
        ready["Properties"]["Count"] = count
    resources = {"Handle": {"Type": HANDLE}, "Ready": ready}
    if gate:
        resources["Gate"] = {"Type": WAIT, "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT1H"}}}
        ready["DependsOn"] = "Gate"
    resources.update(extra or {})
    return {"Resources": resources, "Outputs": {"Signals": {"Value": {"Fn::GetAtt": ["Ready", "Data"]}}}}


@pytest.fixture
def frozen(cloud):
    """The shared session on a frozen virtual clock; the refusals a test provokes on purpose are forgotten after it,
    so they do not reach a later test's end check."""
    cloud.emulator.controls.set_speed(0)
    yield cloud
    cloud.responses.clear_rejected()


def _runner(cloud, tmp_path, template):
    return StackRunner(cloud, CloudAssembly.load(write_assembly(tmp_path / "cdk.out", template)).stack())


def _in_background(runner, template=None):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("outcome", runner.deploy(template)), daemon=True)
    thread.start()
    return thread, box


def _until(predicate, what, wall_seconds=60.0):
    """Wait for the driver's loop (on its thread) to get somewhere; the bound only guards against a hang."""
    deadline = time.monotonic() + wall_seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except ClientError:  # the stack does not exist yet
            value = None
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def _after_ticks(runner, count=3):
    """Let the stack's loop run ``count`` more ticks before a check that nothing changed: a number of ticks, not a
    wall-clock pause, so the check means the same on a loaded machine (each tick watches every waiting condition)."""
    ticked = threading.Semaphore(0)

    def hook(_runner):
        ticked.release()

    runner.tick_hooks.append(hook)
    try:
        for _ in range(count):
            assert ticked.acquire(timeout=60), "the stack's loop stopped ticking"  # a hang guard only
    finally:
        runner.tick_hooks.remove(hook)


def _resources(cloud, stack="Demo"):
    pages = cloud.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
    return {s["LogicalResourceId"]: s for page in pages for s in page["StackResourceSummaries"]}


def _status(cloud, logical_id):
    return (_resources(cloud).get(logical_id) or {}).get("ResourceStatus")


def _handle_url(cloud):
    """The handle's presigned URL, read as a user reads it in AWS: the handle's physical id."""
    return _until(lambda: (_resources(cloud).get("Handle") or {}).get("PhysicalResourceId"), "the handle exists")


def _put(cloud, url, body):
    """A signal as the User Guide sends it with curl: PUT, an empty Content-Type, the JSON as the body."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(cloud.responses.ca_bundle))
    connection = HTTPSConnection(parts.netloc, context=context, timeout=30)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection.request("PUT", urlunsplit(("", "", parts.path, parts.query, "")), payload, {"Content-Type": ""})
    answer = connection.getresponse()
    return answer.status, answer.read().decode()


def _signal(unique_id, status="SUCCESS", data="", reason=""):
    return {"Status": status, "UniqueId": unique_id, "Data": data, "Reason": reason}


def _events(runner, logical_id):
    return [(e.status, e.reason) for e in runner.events if e.logical_id == logical_id]


# --- the handle and its URL -----------------------------------------------------------------------------------------
@pytest.mark.integration
def test_a_handle_ref_is_a_presigned_https_url_on_the_local_endpoint_and_a_put_to_it_signals(frozen, tmp_path):
    runner = _runner(frozen, tmp_path, _template())
    thread, box = _in_background(runner)
    # GIVEN the condition waiting (the handle, which depends on nothing, was created first)
    _until(lambda: _status(frozen, "Ready") == "CREATE_IN_PROGRESS", "the condition waits")
    url = _handle_url(frozen)
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("https", "127.0.0.1")
    assert parts.path.startswith("/cloudformation-waitcondition-useast1/") and "X-Amz-Signature=" in parts.query
    assert [e.logical_id for e in runner.events][:2] == ["Handle", "Handle"]  # created before anything else
    summary = _resources(frozen)["Ready"]
    # the condition's physical id is the stack id and the handle's logical id, as public stack events show it
    assert summary["PhysicalResourceId"] == f"{runner.env.stack_id}/Handle"
    # WHEN one SUCCESS signal is PUT to it, as curl would
    assert _put(frozen, url, _signal("instance-1", data="configured")) == (200, "")
    # THEN the condition completes, its Data the JSON string of the signals' data
    thread.join(60)
    outcome = box["outcome"]
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    assert outcome.outputs == {"Signals": '{"instance-1":"configured"}'}
    assert _events(runner, "Ready") == [("CREATE_IN_PROGRESS", ""), ("CREATE_COMPLETE", "")]
    # AND a signal after it settled changes nothing (S3 takes the PUT; nobody reads it)
    assert _put(frozen, url, _signal("instance-2", data="late"))[0] == 200
    assert runner.outputs() == {"Signals": '{"instance-1":"configured"}'}
    # AND an update never touches the handle (it has no properties; "Updates aren't supported")
    mark = len(runner.events)
    assert runner.deploy(_template()).ok
    assert runner.events[mark:] == [] and runner.records["Handle"].physical_id == url
    # AND the stack delete deletes the condition, then the handle, whose URL then takes nothing
    assert runner.destroy().ok
    order = [e.logical_id for e in runner.events if e.status == "DELETE_COMPLETE"]
    assert order == ["Ready", "Handle"]
    assert _put(frozen, url, _signal("instance-3"))[0] == 404
    (refused,) = frozen.responses.clear_rejected()
    assert refused.startswith("signal to a wait condition handle that does not exist") and refused.endswith("/Handle")


@pytest.mark.integration
def test_count_two_needs_two_distinct_unique_ids_and_a_repeated_one_counts_once(frozen, tmp_path):
    runner = _runner(frozen, tmp_path, _template(count="2"))
    thread, box = _in_background(runner)
    _until(lambda: _status(frozen, "Ready") == "CREATE_IN_PROGRESS", "the condition waits")
    url = _handle_url(frozen)
    # WHEN the same UniqueId is signalled twice (the second with other data) THEN it counts once, with its first data
    assert _put(frozen, url, _signal("a", data="first"))[0] == 200
    assert _put(frozen, url, _signal("a", data="again"))[0] == 200
    _after_ticks(runner)  # nothing may complete on one distinct signal
    assert _status(frozen, "Ready") == "CREATE_IN_PROGRESS" and thread.is_alive()
    # AND SignalResource cannot signal a condition of the Handle form
    cfn = frozen.client("cloudformation")
    with pytest.raises(ClientError) as refused:
        cfn.signal_resource(StackName="Demo", LogicalResourceId="Ready", UniqueId="b", Status="SUCCESS")
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "has no CreationPolicy and cannot be signaled" in refused.value.response["Error"]["Message"]
    # WHEN a second distinct UniqueId arrives THEN the condition completes; Data holds both, in arrival order
    assert _put(frozen, url, _signal("b", data="second"))[0] == 200
    thread.join(60)
    assert box["outcome"].status == "CREATE_COMPLETE", box["outcome"].failures
    assert json.loads(box["outcome"].outputs["Signals"]) == {"a": "first", "b": "second"}
    assert box["outcome"].outputs["Signals"] == '{"a":"first","b":"second"}'
    assert runner.destroy().ok
    assert find_leftovers(frozen) == []


# --- failures -------------------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_a_failure_signal_rolls_the_stack_back_with_its_reason_in_the_conditions_status(frozen, tmp_path):
    runner = _runner(frozen, tmp_path, _template(count=3))
    thread, box = _in_background(runner)
    _until(lambda: _status(frozen, "Ready") == "CREATE_IN_PROGRESS", "the condition waits")
    url = _handle_url(frozen)
    assert _put(frozen, url, _signal("i-1"))[0] == 200
    # WHEN one FAILURE arrives THEN the condition fails at once, with CloudFormation's words and the signal's Reason
    assert _put(frozen, url, _signal("i-2", "FAILURE", reason="setup.sh exited 3"))[0] == 200
    thread.join(60)
    outcome = box["outcome"]
    reason = "WaitCondition received failed message: 'setup.sh exited 3' for uniqueId: i-2"
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.failures == [("Ready", reason)]
    assert ("CREATE_FAILED", reason) in _events(runner, "Ready")
    # AND the rollback deleted the condition and the handle
    assert [e.logical_id for e in runner.events if e.status == "DELETE_COMPLETE"] == ["Ready", "Handle"]
    assert runner.records == {}
    assert _put(frozen, url, _signal("i-3"))[0] == 404  # the handle is gone
    frozen.responses.clear_rejected()
    assert find_leftovers(frozen) == []


@pytest.mark.integration
def test_the_virtual_clock_passing_timeout_rolls_the_stack_back(frozen, tmp_path):
    runner = _runner(frozen, tmp_path, _template(count=2, timeout=600))  # a number works as well as a string
    thread, box = _in_background(runner)
    _until(lambda: _status(frozen, "Ready") == "CREATE_IN_PROGRESS", "the condition waits")
    assert _put(frozen, _handle_url(frozen), _signal("only-one"))[0] == 200
    # WHEN virtual time passes just short of the Timeout THEN the condition still waits
    frozen.emulator.controls.advance(590)
    _after_ticks(runner)
    assert _status(frozen, "Ready") == "CREATE_IN_PROGRESS" and thread.is_alive()
    # WHEN it passes the Timeout THEN it fails with CloudFormation's words, counting what it received
    frozen.emulator.controls.advance(11)
    thread.join(60)
    outcome = box["outcome"]
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.failures == [("Ready", "WaitCondition timed out. Received 1 conditions when expecting 2")]
    assert runner.records == {}
    assert find_leftovers(frozen) == []


# --- what the endpoint refuses --------------------------------------------------------------------------------------
@pytest.mark.integration
def test_a_bad_signature_is_a_403_and_a_malformed_body_a_400_and_neither_counts(frozen, tmp_path):
    runner = _runner(frozen, tmp_path, _template())
    thread, box = _in_background(runner)
    _until(lambda: _status(frozen, "Ready") == "CREATE_IN_PROGRESS", "the condition waits")
    url = _handle_url(frozen)
    # WHEN the URL is tampered with (another handle's key, a changed signature) THEN S3's 403
    forged = url.replace("%2FHandle?", "%2FOther?")
    assert _put(frozen, forged, _signal("forged")) == (403, "<Error><Code>SignatureDoesNotMatch</Code></Error>")
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    tampered = url.replace(signature, signature[::-1])
    assert _put(frozen, tampered, _signal("tampered"))[0] == 403
    # WHEN the body is not a signal THEN 400, kept nowhere
    for body in (
        b"configured",  # not JSON
        b'["SUCCESS"]',  # not an object
        {"Status": "DONE", "UniqueId": "x"},
        {"Status": "success", "UniqueId": "x"},
        {"Status": "SUCCESS", "Data": "no id"},
        {"Status": "SUCCESS", "UniqueId": ""},
    ):
        status, answer = _put(frozen, url, body)
        assert status == 400 and "MalformedSignal" in answer, body
    _after_ticks(runner)
    assert _status(frozen, "Ready") == "CREATE_IN_PROGRESS" and thread.is_alive()
    # AND every refusal is one the end check reports
    rejected = frozen.responses.clear_rejected()
    assert len(rejected) == 8
    assert sum("bad signature" in line for line in rejected) == 2
    assert "signal to wait condition handle Handle refused: the body is not JSON" in rejected
    # WHEN a good signal follows THEN only it counted
    assert _put(frozen, url, _signal("good", data="ok"))[0] == 200
    thread.join(60)
    assert box["outcome"].outputs == {"Signals": '{"good":"ok"}'}
    assert runner.destroy().ok
    assert find_leftovers(frozen) == []


# --- signals before the condition starts ----------------------------------------------------------------------------
@pytest.mark.integration
def test_signals_sent_before_the_condition_started_count_once_it_starts(frozen, tmp_path):
    runner = _runner(frozen, tmp_path, _template(count=2, gate=True))
    thread, box = _in_background(runner)
    # GIVEN the handle exists and the condition has not started (it waits for Gate)
    _until(lambda: _status(frozen, "Gate") == "CREATE_IN_PROGRESS", "the gate waits")
    url = _handle_url(frozen)
    # WHEN both signals arrive now, one of them twice
    for unique_id in ("early-1", "early-1", "early-2"):
        assert _put(frozen, url, _signal(unique_id, data=unique_id.upper()))[0] == 200
    _after_ticks(runner)
    assert "Ready" not in _resources(frozen)  # not started: the signals wait on the handle
    # THEN once the gate opens, the condition starts and completes on the signals kept for it
    frozen.client("cloudformation").signal_resource(
        StackName="Demo", LogicalResourceId="Gate", UniqueId="go", Status="SUCCESS"
    )
    thread.join(60)
    outcome = box["outcome"]
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    assert outcome.outputs == {"Signals": '{"early-1":"EARLY-1","early-2":"EARLY-2"}'}
    assert _events(runner, "Ready") == [("CREATE_IN_PROGRESS", ""), ("CREATE_COMPLETE", "")]
    assert runner.destroy().ok
    assert find_leftovers(frozen) == []


# --- the URL is a secret --------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_a_handle_url_in_an_eventbridge_target_input_is_a_problem_the_end_check_reports(frozen, tmp_path):
    # GIVEN a rate rule whose target input carries the handle's URL (anyone allowed ListTargetsByRule reads it)
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": [
                {
                    "Id": "Signaller",
                    "Arn": "arn:aws:lambda:us-east-1:123456789012:function:Signaller",
                    "Input": {"Fn::Sub": '{"SignalURL": "${Handle}"}'},
                }
            ],
        },
    }
    template = _template(timeout=43200, extra={"Tick": rule})
    template["Resources"]["Ready"]["DependsOn"] = "Tick"
    runner = _runner(frozen, tmp_path, template)
    thread, box = _in_background(runner)
    _until(lambda: _status(frozen, "Ready") == "CREATE_IN_PROGRESS", "the condition waits")

    # WHEN the rule fires (the test moves virtual time a minute at a time)
    def fired():
        frozen.emulator.controls.advance(61)
        return [p for p in frozen.polls.problems if "wait condition handle URL" in p]

    (problem,) = _until(fired, "the rule fired")[:1]
    # THEN the end check names the leak
    assert "target Signaller's input carries a presigned wait condition handle URL" in problem
    assert any("wait condition handle URL" in line for line in find_leftovers(frozen))
    assert _put(frozen, _handle_url(frozen), _signal("done"))[0] == 200
    thread.join(60)
    assert box["outcome"].status == "CREATE_COMPLETE", box["outcome"].failures
    assert runner.destroy().ok


@pytest.mark.integration
def test_a_handle_url_in_a_functions_log_is_a_problem_the_end_check_reports(cloud, tmp_path):
    # GIVEN a provider that fails with the handle's URL in its message (crhelper logs the exception)
    provider = function_resource(handler="bedrock_customization_provider.handler.main")
    provider["Properties"]["FunctionName"] = "HandleUrlLeaker"
    template = {
        "Resources": {
            "ProviderRole": {"Type": "AWS::IAM::Role"},
            "Provider": provider,
            "Handle": {"Type": HANDLE},
            "Leak": {
                "Type": "Custom::Probe",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
                    "Fail": {"Fn::Sub": "cannot reach ${Handle}"},
                },
            },
        }
    }
    directory = write_assembly(tmp_path / "cdk.out", template)
    write_probe_asset(directory / "asset.abc123")
    runner = StackRunner(cloud, CloudAssembly.load(directory).stack())
    try:
        assert runner.deploy().status == "ROLLBACK_COMPLETE"
        # THEN the end check names the leak, as it does for a response URL
        problems = find_leftovers(cloud)
        assert (
            "HandleUrlLeaker logged a presigned wait condition handle URL (its log must never contain one)" in problems
        )
    finally:  # the log outlives the test in the shared session: later end checks must not see this leak
        cloud.lambdas.log_path(cloud.lambdas.spec("HandleUrlLeaker")).unlink(missing_ok=True)
    assert find_leftovers(cloud) == []


# --- what is refused before the operation starts --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Timeout": "43201"}, "must be from 1 to 43200 seconds"),
        ({"Timeout": "0"}, "must be from 1 to 43200 seconds"),
        ({"Timeout": "PT5M"}, "Timeout must be a whole number of seconds"),
        ({"Timeout": None}, "needs a Timeout"),
        ({"Handle": None}, "needs a Handle property"),
        ({"Count": 0}, "Count must be at least 1"),
    ],
)
def test_bad_handle_form_properties_are_refused_before_anything_starts(cloud, tmp_path, change, message):
    template = _template()
    properties = template["Resources"]["Ready"]["Properties"]
    for key, value in change.items():
        if value is None:
            del properties[key]
        else:
            properties[key] = value
    runner = _runner(cloud, tmp_path, template)
    with pytest.raises(DriverError, match=message):
        runner.deploy()
    assert runner.events == []


def test_a_condition_with_both_a_creation_policy_and_properties_is_refused(cloud, tmp_path):
    template = _template()
    template["Resources"]["Ready"]["CreationPolicy"] = {"ResourceSignal": {"Count": 1, "Timeout": "PT5M"}}
    runner = _runner(cloud, tmp_path, template)
    with pytest.raises(DriverError, match="a WaitCondition with a CreationPolicy takes no properties"):
        runner.deploy()
