"""The presigned response URL never reaches the logs, and the response send is bounded."""

from __future__ import annotations

import logging

from bedrock_customization_provider import logs, response

SECRET = "c2VjcmV0LXNpZ25hdHVyZS1kby1ub3QtbG9n"


def test_response_url_is_never_logged_even_with_crhelper_at_debug(harness, caplog):
    # GIVEN everything logging at DEBUG, crhelper included (it logs the whole event and the response URL there)
    caplog.set_level(logging.DEBUG)
    for name in ("crhelper", "crhelper.resource_helper", "crhelper.utils"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        # WHEN a Create runs through start, poll and a failed response
        harness.bedrock.add_response("create_model_customization_job", {"jobArn": harness.JOB_ARN})
        harness.expect_poll_setup()
        harness.invoke(harness.event("job_create"))
        harness.bedrock.add_response(
            "get_model_customization_job", harness.job_description("Failed", failureMessage="Bad data.")
        )
        harness.expect_poll_teardown()
        assert harness.invoke(harness.poll_event())["Status"] == "FAILED"
    finally:
        for name in ("crhelper", "crhelper.resource_helper", "crhelper.utils"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    # THEN crhelper did log the event, but with the URL redacted
    assert "ResponseURL" in caplog.text
    assert logs.REDACTED in caplog.text
    assert SECRET not in caplog.text
    assert harness.server.url not in caplog.text


def test_redaction_keeps_other_urls_and_covers_tracebacks(caplog):
    logs.install_redaction()
    logger = logging.getLogger("test.redaction")
    with caplog.at_level(logging.INFO):
        logs.install_redaction()
        try:
            raise RuntimeError(f"send failed to https://example.com/r?X-Amz-Signature={SECRET}")
        except RuntimeError:
            logger.exception("while sending to %s", f"https://example.com/r?X-Amz-Signature={SECRET}")
        logger.info("model at s3://bucket/key and https://docs.aws.amazon.com/bedrock/")
    assert SECRET not in caplog.text
    assert "https://docs.aws.amazon.com/bedrock/" in caplog.text


def test_response_send_gives_up_after_bounded_attempts(caplog):
    # GIVEN a response URL nobody listens on WHEN sending THEN a few attempts, then an error, never a loop
    sleeps: list[float] = []
    sent = response.send(
        f"https://127.0.0.1:9/r?X-Amz-Signature={SECRET}", {"Status": "SUCCESS"}, None, sleep=sleeps.append
    )
    assert sent is False
    assert len(sleeps) == response.MAX_ATTEMPTS - 1
    assert "Gave up sending the SUCCESS response" in caplog.text
    assert SECRET not in caplog.text


def test_the_first_line_of_a_cold_container_is_not_lost(harness, caplog):
    # GIVEN a cold container: the root logger at Lambda's default (WARNING) and no runtime built yet
    from bedrock_customization_provider import contract, handler

    logging.getLogger().setLevel(logging.WARNING)
    handler.runtime.cache_clear()
    event = harness.event("job_delete", PhysicalResourceId=contract.FAILED_CREATE_PHYSICAL_ID)

    # WHEN the first event arrives (a Delete that calls nothing)
    handler.main(event, harness.context)

    # THEN its first line is in the log: the runtime (crhelper's logging setup) is built before anything is logged
    assert f"Delete {event['ResourceType']} {event['LogicalResourceId']} request {event['RequestId']}" in caplog.text
