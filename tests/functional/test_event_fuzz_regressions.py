"""Defects the event fuzzer (test_event_fuzz.py) found, each pinned by a plain example."""

from __future__ import annotations

import pytest
from bedrock_customization_provider import contract


@pytest.mark.parametrize("key", [contract.REMOVAL_POLICY, contract.WAIT_MODE])
@pytest.mark.parametrize("value", [["Retain"], {"Long": True}])
def test_a_provider_key_that_is_a_list_or_an_object_fails_naming_it(harness, key, value):
    # was: TypeError (unhashable) inside the membership test, answered "Unexpected error"
    event = harness.event("job_create")
    event["ResourceProperties"][key] = value

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith(f"Invalid properties: {key} must be one of"), body["Reason"]
    assert not harness.calls
