"""Only CloudFormation's exact request types run anything: crhelper dispatches on the lowercased type."""

from __future__ import annotations

import pytest
from bedrock_customization_provider import contract


@pytest.mark.parametrize(
    ("event_name", "request_type"),
    [("job_delete", "DELETE"), ("job_delete", "delete"), ("job_create", "create"), ("model_delete", "Delete ")],
)
def test_a_misspelled_request_type_fails_and_calls_nothing(harness, event_name, request_type):
    # GIVEN an event whose RequestType is not exactly Create, Update or Delete (crhelper would still dispatch it)
    event = harness.event(event_name, RequestType=request_type)

    # WHEN it arrives
    body = harness.invoke(event)

    # THEN FAILED, naming the rule and the value; no job stopped, no model deleted, no poll set up
    assert body["Status"] == "FAILED", body
    assert "RequestType must be exactly one of Create, Update, Delete" in body["Reason"]
    assert repr(request_type) in body["Reason"]
    assert not harness.calls


def test_a_misspelled_delete_keeps_the_physical_id(harness):
    event = harness.event("job_delete", RequestType="DELETE")
    body = harness.invoke(event)
    assert body["PhysicalResourceId"] == event["PhysicalResourceId"] != contract.FAILED_CREATE_PHYSICAL_ID
