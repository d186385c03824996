"""Reasons keep their beginning within CloudFormation's 256 characters; the wait budget's arithmetic."""

from __future__ import annotations

from bedrock_customization_provider import waiting
from bedrock_customization_provider.errors import InvalidPropertiesError, fit_reason


def test_fit_reason_cuts_the_end_and_keeps_the_beginning():
    text = "Bedrock message first. " + "x" * 500
    fitted = fit_reason(text)
    assert len(fitted) == 256
    assert fitted.startswith("Bedrock message first. ")
    assert fitted.endswith("...")
    assert fit_reason("short") == "short"


def test_invalid_properties_names_every_field_within_the_limit():
    problems = [f"field{i} must match pattern " + "p" * 80 for i in range(6)] + ["roleArn is required"]
    message = str(InvalidPropertiesError(problems))
    assert len(message) <= 256
    assert message.startswith("Invalid properties (7 problems): ")
    for i in range(6):
        assert f"field{i} must" in message
    assert "roleArn is required" in message  # short problems stay whole


def test_budget_gives_up_when_the_next_poll_would_be_too_late():
    budget = waiting.ServiceTimeoutBudget(service_timeout=3600, started_at=1000.0, poll_interval_seconds=60)
    assert budget.margin == 60 + waiting.SLACK_SECONDS
    assert not budget.exhausted(1000.0 + 3600 - budget.margin - 1)
    assert budget.exhausted(1000.0 + 3600 - budget.margin)
    assert "ServiceTimeout 3600 s, max 3600 s" in budget.reason()


def test_budget_too_short_for_one_poll():
    assert not waiting.ServiceTimeoutBudget(60, 0.0, 60).fits_one_poll()
    assert waiting.ServiceTimeoutBudget(120, 0.0, 60).fits_one_poll()


def test_poll_interval_from_environment(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "3")
    assert waiting.poll_interval_minutes() == 3
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "0")
    assert waiting.poll_interval_minutes() == 1
    monkeypatch.delenv("POLL_INTERVAL_MINUTES")
    assert waiting.poll_interval_minutes() == 1
