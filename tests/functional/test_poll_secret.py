"""The response URL in a poll's EventBridge input: only as KMS ciphertext bound to its own request.

A poll input is readable by anyone allowed ``events:ListTargetsByRule``; the presigned URL in it would let them answer
the request. The provider seals it with the stack's key (POLL_KEY_ARN) and the request's ids as encryption context,
and drops any poll whose URL does not decrypt for exactly that request, before crhelper or anything else acts on it.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
from urllib.parse import urlsplit

import pytest
from bedrock_customization_provider import cfn_resource, contract, poll_secret

CIPHERTEXT = poll_secret.CIPHERTEXT_KEY
OTHER_JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.titan-text-express-v1:0:8k/0th3r"


def started(harness, *, logical_id: str = "FineTuneJob1A2B3C4D", request_id: str = "", job_arn: str = "") -> dict:
    """GIVEN a Create whose job Bedrock started and whose polls are set up; returns the poll EventBridge delivers.

    Each request answers to its own URL (``&request=<logical id>``), so an answer shows whose URL it went to."""
    changes = {"LogicalResourceId": logical_id, **({"RequestId": request_id} if request_id else {})}
    event = harness.event("job_create", **changes)
    event["ResponseURL"] += f"&request={logical_id}"
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": job_arn or harness.JOB_ARN})
    harness.expect_poll_setup()
    assert harness.invoke(event) is None
    return harness.poll_event()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def assert_dropped(harness, caplog, before: int) -> None:
    """THEN nothing was answered anywhere, nothing read from Bedrock, no poll machinery removed; the log line says
    why, and carries no URL or signature."""
    assert len(harness.server.received) == before
    assert not {"GetModelCustomizationJob", "RemoveTargets", "RemovePermission", "DeleteRule"} & set(harness.calls)
    assert "Ignored" in caplog.text
    assert "X-Amz-Signature" not in caplog.text and "https://" not in caplog.text


def test_the_poll_input_carries_no_response_url_only_its_ciphertext(harness):
    poll = started(harness)

    text = harness.calls["PutTargets"][0]["Targets"][0]["Input"]
    assert "ResponseURL" not in poll and isinstance(poll[CIPHERTEXT], str)
    assert "ResponseURL" not in text and "X-Amz-Signature" not in text
    assert "https://" not in text and "127.0.0.1" not in text
    assert len(text) <= cfn_resource.MAX_TARGET_INPUT_LENGTH


def test_the_url_is_encrypted_with_the_poll_key_and_exactly_its_requests_ids_as_context(harness):
    event = harness.event("job_create")
    poll = started(harness)

    (encrypt,) = harness.calls["Encrypt"]
    assert encrypt == {
        "KeyId": harness.POLL_KEY_ARN,
        "Plaintext": (event["ResponseURL"] + "&request=FineTuneJob1A2B3C4D").encode(),
        "EncryptionContext": {
            "StackId": event["StackId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "RequestId": event["RequestId"],
            "PollDigest": poll_secret.poll_digest(poll),  # every other field of the poll: none can be altered
        },
    }
    assert poll[CIPHERTEXT] == base64.b64encode(base64.b64decode(poll[CIPHERTEXT])).decode()  # plain base64


def test_a_good_poll_is_decrypted_with_its_own_context_and_answered_to_the_decrypted_url(harness):
    # GIVEN two jobs polling, each request with its own response URL
    other = started(harness, logical_id="OtherJob5E6F7A8B", request_id="1c2d3e4f-0000-4000-8000-00000000000b",
                    job_arn=OTHER_JOB_ARN)  # fmt: skip
    poll = started(harness)
    # WHEN the first one's poll finds its job completed
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.expect_poll_teardown()
    body = harness.invoke(poll)

    # THEN it was decrypted for exactly its own request, and answered to its own URL (not the other's)
    assert body["Status"] == "SUCCESS", body
    decrypt = harness.calls["Decrypt"][-1]
    assert decrypt["KeyId"] == harness.POLL_KEY_ARN
    ids = {key: poll[key] for key in ("StackId", "LogicalResourceId", "RequestId")}
    assert decrypt["EncryptionContext"] == {**ids, "PollDigest": poll_secret.poll_digest(poll)}
    assert harness.server.received[-1]["path"] == path_of(harness.server.url + "&request=FineTuneJob1A2B3C4D")
    assert other["LogicalResourceId"] == "OtherJob5E6F7A8B"


def forge_plain_url(harness, poll: dict, other: dict) -> dict:
    forged = {k: v for k, v in poll.items() if k != CIPHERTEXT}
    forged["ResponseURL"] = harness.server.url + "&request=attacker"
    return forged


def forge_plain_url_next_to_the_ciphertext(harness, poll: dict, other: dict) -> dict:
    return {**poll, "ResponseURL": harness.server.url + "&request=attacker"}


def forge_other_resources_ciphertext(harness, poll: dict, other: dict) -> dict:
    return {**poll, CIPHERTEXT: other[CIPHERTEXT]}


def forge_other_request_id(harness, poll: dict, other: dict) -> dict:
    return {**poll, "RequestId": other["RequestId"]}  # its own ciphertext, claimed for another request


def forge_tampered_ciphertext(harness, poll: dict, other: dict) -> dict:
    blob = bytearray(base64.b64decode(poll[CIPHERTEXT]))
    blob[-1] ^= 0x01
    return {**poll, CIPHERTEXT: base64.b64encode(bytes(blob)).decode()}


def forge_random_ciphertext(harness, poll: dict, other: dict) -> dict:
    return {**poll, CIPHERTEXT: base64.b64encode(b"\x01" + b"\x00" * 63).decode()}


def forge_garbage(harness, poll: dict, other: dict) -> dict:
    return {**poll, CIPHERTEXT: "not base64 at all!"}


def forge_no_ciphertext(harness, poll: dict, other: dict) -> dict:
    return {k: v for k, v in poll.items() if k != CIPHERTEXT}


@pytest.mark.parametrize(
    "forge",
    [
        forge_plain_url,
        forge_plain_url_next_to_the_ciphertext,
        forge_other_resources_ciphertext,
        forge_other_request_id,
        forge_tampered_ciphertext,
        forge_random_ciphertext,
        forge_garbage,
        forge_no_ciphertext,
    ],
)
def test_a_poll_whose_url_does_not_decrypt_for_its_own_request_is_dropped(harness, caplog, forge):
    # GIVEN two resources polling
    other = started(harness, logical_id="OtherJob5E6F7A8B", request_id="1c2d3e4f-0000-4000-8000-00000000000b",
                    job_arn=OTHER_JOB_ARN)  # fmt: skip
    poll = started(harness)
    harness.calls.clear()
    before = len(harness.server.received)
    caplog.set_level(logging.INFO)
    # WHEN someone invokes the function with a forged poll
    assert harness.invoke(forge(harness, copy.deepcopy(poll), other)) is None
    # THEN nothing is answered or called (KMS at most, which refused it)
    assert_dropped(harness, caplog, before)
    assert set(harness.calls) <= {"Decrypt"}


def test_a_forged_poll_with_a_plain_url_is_not_even_decrypted(harness, caplog):
    poll = started(harness)
    harness.calls.clear()
    before = len(harness.server.received)
    caplog.set_level(logging.INFO)

    assert harness.invoke(forge_plain_url(harness, poll, {})) is None

    assert_dropped(harness, caplog, before)
    assert not harness.calls
    assert "in the clear" in caplog.text


def test_a_poll_that_kms_cannot_decrypt_now_is_skipped_and_the_next_poll_answers(harness, caplog):
    # GIVEN KMS failing once (throttled past the client's retries, say)
    poll = started(harness)
    harness.kms.refuse("Decrypt", "ThrottlingException", "Rate exceeded")
    before = len(harness.server.received)
    assert harness.invoke(poll) is None
    assert len(harness.server.received) == before
    assert "ThrottlingException" in caplog.text
    # WHEN the next scheduled poll comes (the rule is still there) THEN it is answered
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.expect_poll_teardown()
    assert harness.invoke(poll)["Status"] == "SUCCESS"


def test_encryption_refused_stops_the_started_job_and_answers_failed(harness):
    # GIVEN the job started, but KMS refuses to seal the URL (a key policy or role changed by hand)
    harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
    harness.events.add_response("put_rule", {"RuleArn": "arn:aws:events:us-east-1:123456789012:rule/r"})
    harness.lambda_.add_response("add_permission", {"Statement": "{}"})
    harness.kms.refuse("Encrypt", "AccessDeniedException", "not authorized to perform: kms:Encrypt")
    harness.expect_poll_teardown()
    harness.bedrock.add_response("stop_model_customization_job", {}, {"jobIdentifier": harness.JOB_ARN})

    body = harness.invoke(harness.event("job_create"))

    # THEN no target was put (no URL anywhere), the job is stopped and the Create fails saying why
    assert body["Status"] == "FAILED", body
    assert body["Reason"].startswith("not authorized to perform: kms:Encrypt (AccessDeniedException from Encrypt)")
    assert body["PhysicalResourceId"] == harness.JOB_ARN
    assert "PutTargets" not in harness.calls


def padded(harness, length: int) -> dict:
    event = harness.event("job_create")
    event["ResponseURL"] += "&padding=" + "x" * (length - len(event["ResponseURL"]) - len("&padding="))
    return event


def test_a_url_that_would_fit_in_the_clear_but_not_encrypted_is_refused_before_anything_starts(harness, monkeypatch):
    # GIVEN a response URL of 4,500 characters: its poll input would fit EventBridge's 8,192 in the clear, not sealed
    event = padded(harness, 4500)
    clear = len(json.dumps(cfn_resource.slim_event(event)))
    sealed = len(json.dumps(poll_secret.PollSecret.stand_in(cfn_resource.slim_event(event))))
    limit = cfn_resource.MAX_TARGET_INPUT_LENGTH - cfn_resource.POLL_INPUT_ROOM
    assert clear <= limit < sealed

    body = harness.invoke(event)

    assert body["Status"] == "FAILED", body
    assert "over EventBridge's 8192" in body["Reason"] and "nothing was started" in body["Reason"]
    assert body["PhysicalResourceId"] == contract.FAILED_CREATE_PHYSICAL_ID
    assert not harness.calls


def test_the_size_of_a_sealed_url_is_never_more_than_its_stand_in(harness):
    # The fake KMS adds 57 bytes; AWS KMS adds more, but below poll_secret.CIPHERTEXT_OVERHEAD_BYTES
    poll = started(harness)
    actual = len(poll[CIPHERTEXT])
    url = harness.server.url + "&request=FineTuneJob1A2B3C4D"
    assert actual <= poll_secret.sealed_length(url)


# --- templates synthesized before the key ----------------------------------------------------------------------------
def test_a_template_without_the_poll_key_polls_with_the_url_in_the_clear_as_before(harness, monkeypatch):
    monkeypatch.delenv(contract.ENV_POLL_KEY_ARN)
    poll = started(harness)

    assert poll["ResponseURL"].startswith(harness.server.url) and CIPHERTEXT not in poll
    harness.bedrock.add_response("get_model_customization_job", harness.job_description("Completed"))
    harness.expect_poll_teardown()
    assert harness.invoke(poll)["Status"] == "SUCCESS"
    assert "Encrypt" not in harness.calls and "Decrypt" not in harness.calls


def test_a_sealed_poll_reaching_a_function_without_the_key_is_dropped(harness, monkeypatch):
    # (a rollback to a template from before the key, while a poll sealed by the newer one was scheduled)
    poll = started(harness)
    monkeypatch.delenv(contract.ENV_POLL_KEY_ARN)
    harness.calls.clear()
    before = len(harness.server.received)

    assert harness.invoke(poll) is None

    assert len(harness.server.received) == before
    assert not harness.calls
