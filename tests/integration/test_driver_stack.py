"""The driver's stack semantics, pinned with a tiny provider that answers at once (no polling, no Bedrock):
dependency order, replacement cleanup, create rollback, and update rollback."""

from __future__ import annotations

import copy

import pytest
from bedrock_customization_local.driver.assembly import CloudAssembly
from bedrock_customization_local.driver.stack import StackRunner

from .conftest import function_resource, write_assembly, write_probe_asset

PROBE = "Custom::Probe"


def _template():
    token = {"Fn::GetAtt": ["Provider", "Arn"]}
    return {
        "Resources": {
            "ProviderRole": {"Type": "AWS::IAM::Role"},
            "Provider": function_resource(handler="bedrock_customization_provider.handler.main"),
            "A": {"Type": PROBE, "Properties": {"ServiceToken": token, "Id": "a-1", "Size": 3}},
            "B": {"Type": PROBE, "Properties": {"ServiceToken": token, "Id": "b-1", "Upstream": {"Ref": "A"}}},
        },
        "Outputs": {"Upstream": {"Value": {"Fn::GetAtt": ["B", "Echo"]}}},
    }


@pytest.fixture
def probe_runner(cloud, tmp_path):
    directory = write_assembly(tmp_path / "cdk.out", _template())
    write_probe_asset(directory / "asset.abc123")
    return StackRunner(cloud, CloudAssembly.load(directory).stack())


def _sent(runner, since=0):
    return [(e["RequestType"], e["LogicalResourceId"], e.get("PhysicalResourceId")) for e in runner.requests[since:]]


def test_create_follows_references_and_outputs_read_the_answers(probe_runner):
    outcome = probe_runner.deploy()
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    assert _sent(probe_runner) == [("Create", "A", None), ("Create", "B", None)]
    # B saw A's physical id; numbers arrived as strings
    assert '"Upstream": "a-1"' in outcome.outputs["Upstream"]
    assert probe_runner.requests[0]["ResourceProperties"]["Size"] == "3"


def test_a_replacement_is_deleted_in_cleanup_after_dependents_were_updated(probe_runner):
    assert probe_runner.deploy().ok
    template = copy.deepcopy(_template())
    template["Resources"]["A"]["Properties"]["Id"] = "a-2"
    mark = len(probe_runner.requests)
    outcome = probe_runner.deploy(template)
    assert outcome.status == "UPDATE_COMPLETE", outcome.failures
    assert _sent(probe_runner, mark) == [("Update", "A", "a-1"), ("Update", "B", "b-1"), ("Delete", "A", "a-1")]
    assert probe_runner.requests[mark]["OldResourceProperties"]["Id"] == "a-1"
    assert probe_runner.records["A"].physical_id == "a-2"


def test_a_failed_create_rolls_back_everything_including_itself(probe_runner):
    template = copy.deepcopy(_template())
    template["Resources"]["B"]["Properties"]["Fail"] = "no capacity"
    outcome = probe_runner.deploy(template)
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.failures == [("B", "no capacity")]
    sent = _sent(probe_runner)
    assert sent[:2] == [("Create", "A", None), ("Create", "B", None)]
    # the failed Create is deleted with the physical id it answered, before what it depends on
    assert [s[:2] for s in sent[2:]] == [("Delete", "B"), ("Delete", "A")] and sent[2][2]
    assert probe_runner.records == {}


def test_a_failed_update_reverts_in_place_changes_and_deletes_replacements(probe_runner):
    assert probe_runner.deploy().ok
    template = copy.deepcopy(_template())
    template["Resources"]["A"]["Properties"]["Id"] = "a-2"
    template["Resources"]["B"]["Properties"]["Fail"] = "bad update"
    mark = len(probe_runner.requests)
    outcome = probe_runner.deploy(template)
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE", outcome
    assert _sent(probe_runner, mark) == [
        ("Update", "A", "a-1"),
        ("Update", "B", "b-1"),  # fails
        ("Update", "B", "b-1"),  # rollback: back to the old properties
        ("Delete", "A", "a-2"),  # cleanup: the replacement goes, the original stays
    ]
    revert = probe_runner.requests[mark + 2]
    assert "Fail" not in revert["ResourceProperties"] and revert["OldResourceProperties"]["Fail"] == "bad update"
    assert set(revert["OldResourceProperties"]) == {"ServiceToken", "Id", "Upstream", "Fail"}
    assert {lid: r.physical_id for lid, r in probe_runner.records.items()} == {"A": "a-1", "B": "b-1"}
    assert probe_runner.destroy().ok
