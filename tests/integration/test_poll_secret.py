"""No presigned URL in any EventBridge target input: the short mode's polls, through the driver and moto's KMS.

The example app in the short wait mode: each job's Create sets up crhelper's poll rule, whose target input is what
anyone allowed ``events:ListTargetsByRule`` reads. The provider (from its synthesized asset) seals the response URL
with the stack's key, which the driver made in moto under the id the template names; every poll decrypts it again.
"""

from __future__ import annotations

from typing import Any

import pytest
from bedrock_customization_local.driver.leftovers import find_leftovers
from bedrock_customization_provider import contract

pytestmark = pytest.mark.integration


class TargetInputs:
    """A stack observer that reads every poll rule's target inputs through EventBridge's API while the stack runs."""

    def __init__(self, events: Any) -> None:
        self.events = events
        self.inputs: dict[str, str] = {}

    def stack_status(self, status: str) -> None:
        return None

    def resource_status(self, event: Any) -> None:
        self.read()

    def idle(self) -> None:
        self.read()

    def read(self) -> None:
        for rule in self.events.list_rules(NamePrefix=contract.POLL_RULE_PREFIX).get("Rules", []):
            for target in self.events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []):
                if "Input" in target:
                    self.inputs[rule["Name"]] = target["Input"]


def test_short_mode_poll_inputs_carry_no_response_url_and_the_stack_still_completes(cloud, short_assembly):
    from bedrock_customization_local.driver.stack import StackRunner
    from bedrock_customization_local.driver.template import StackTemplate

    # GIVEN the short mode's stack, watched through EventBridge's API as it runs
    watcher = TargetInputs(cloud.client("events"))
    runner = StackRunner(cloud, short_assembly.stack(), observer=watcher)
    template = short_assembly.stack().template()
    (key_id,) = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    (function_id,) = [
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == contract.HANDLER
    ]

    # WHEN it is created (each job polled until it completes)
    outcome = runner.deploy()

    # THEN it completed, through polls that moto's KMS decrypted
    assert outcome.status == "CREATE_COMPLETE", outcome.failures
    polls = [d for d in cloud.polls.deliveries if d.rule.startswith(contract.POLL_RULE_PREFIX)]
    assert polls and all(d.outcome == "ok" for d in polls)
    # AND no poll rule's target input held the URL: only its ciphertext
    assert watcher.inputs, "no poll rule was seen"
    for rule, text in watcher.inputs.items():
        assert "ResponseURL" not in text, rule
        assert "X-Amz-Signature" not in text and "https://" not in text, rule
        assert '"ResponseCiphertext"' in text, rule
    # AND the key the provider was given is the one moto knows, under the id the template resolves to
    spec = StackTemplate(template, runner.env).function_spec(function_id, short_assembly.stack())
    key_arn = spec.environment[contract.ENV_POLL_KEY_ARN]
    assert [key.logical_id for key in spec.kms_keys] == [key_id]
    described = cloud.client("kms").describe_key(KeyId=key_arn)["KeyMetadata"]
    assert (
        described["Arn"] == key_arn
        and described["Description"] == template["Resources"][key_id]["Properties"]["Description"]
    )
    assert cloud.client("kms").get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True

    # WHEN the stack is deleted THEN nothing is left
    deleted = runner.destroy()
    assert deleted.status == "DELETE_COMPLETE", deleted.failures
    assert find_leftovers(cloud, runner.retained_models) == []
