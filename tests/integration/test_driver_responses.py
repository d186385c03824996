"""The response endpoint behaves like a presigned S3 URL and applies CloudFormation's checks to what it receives."""

from __future__ import annotations

import json
import ssl
from http.client import HTTPSConnection
from urllib.parse import urlsplit, urlunsplit

import pytest
from bedrock_customization_local.driver.responses import ResponseEndpoint
from crhelper.utils import _send_response

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Demo/1234"


@pytest.fixture
def endpoint(tmp_path):
    with ResponseEndpoint(tmp_path) as endpoint:
        yield endpoint


def _body(request_id: str, **overrides):
    body = {
        "Status": "SUCCESS",
        "PhysicalResourceId": "phys",
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": "Job",
        "Reason": "",
        "Data": {"A": "1"},
    }
    body.update(overrides)
    return body


def _put(endpoint: ResponseEndpoint, url: str, body: bytes) -> int:
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(endpoint.ca_bundle))
    connection = HTTPSConnection(parts.netloc, context=context)
    connection.request(
        "PUT", urlunsplit(("", "", parts.path, parts.query, "")), body=body, headers={"content-type": ""}
    )
    return connection.getresponse().status


def test_crhelper_delivers_over_https_trusting_only_the_ca_bundle(endpoint):
    # GIVEN a response URL for one request
    url = endpoint.url_for(STACK_ID, "Job", "req-1")
    assert url.startswith("https://127.0.0.1:") and "X-Amz-Signature=" in url
    # WHEN crhelper sends its response with ssl_verify set to the endpoint's CA bundle
    _send_response(url, _body("req-1"), str(endpoint.ca_bundle))
    # THEN CloudFormation's view of the response is recorded
    response = endpoint.first("req-1")
    assert (response.status, response.physical_id, response.data) == ("SUCCESS", "phys", {"A": "1"})


def test_a_tampered_url_is_refused_like_s3_refuses_a_bad_signature(endpoint):
    url = endpoint.url_for(STACK_ID, "Job", "req-1").replace("req-1", "req-2")
    assert _put(endpoint, url, json.dumps(_body("req-2")).encode()) == 403
    assert endpoint.first("req-2") is None
    assert endpoint.rejected()


def test_responses_breaking_cloudformation_rules_become_failures(endpoint):
    too_long = _body("big", Data={"Blob": "x" * 5000})
    _put(endpoint, endpoint.url_for(STACK_ID, "Job", "big"), json.dumps(too_long).encode())
    assert endpoint.first("big").reason == "Response object is too long."
    wrong_id = _body("mismatch", RequestId="other")
    _put(endpoint, endpoint.url_for(STACK_ID, "Job", "mismatch"), json.dumps(wrong_id).encode())
    assert "RequestId" in endpoint.first("mismatch").reason
    no_physical = _body("nophys", PhysicalResourceId="")
    _put(endpoint, endpoint.url_for(STACK_ID, "Job", "nophys"), json.dumps(no_physical).encode())
    assert endpoint.first("nophys").status == "FAILED"


def test_the_first_response_counts_and_later_ones_are_kept_for_inspection(endpoint):
    url = endpoint.url_for(STACK_ID, "Job", "dup")
    _put(endpoint, url, json.dumps(_body("dup")).encode())
    _put(endpoint, url, json.dumps(_body("dup", Status="FAILED", Reason="late")).encode())
    assert endpoint.first("dup").status == "SUCCESS"
    assert [r.status for r in endpoint.all("dup")] == ["SUCCESS", "FAILED"]
    assert endpoint.wait(["dup"], timeout=0)
    assert not endpoint.wait(["never"], timeout=0)
