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


def test_invalid_properties_names_the_first_problems_that_fit_and_counts_the_rest():
    problems = [f"field{i} must match pattern " + "p" * 70 for i in range(6)] + ["roleArn is required"]
    message = str(InvalidPropertiesError(problems))
    assert len(message) <= 256
    assert message.startswith("Invalid properties (7 problems): " + problems[0] + "; " + problems[1])
    assert message.endswith(" (and 5 more)")  # what does not fit whole is counted, never cut into fragments
    assert "field2" not in message


def test_invalid_properties_that_all_fit_are_all_named_whole():
    problems = ["jobName must match pattern [a-z]+", "roleArn is required", "epochCount must be at most 5 (got 9)"]
    assert str(InvalidPropertiesError(problems)) == "Invalid properties (3 problems): " + "; ".join(problems)


def test_a_first_problem_too_long_alone_keeps_its_beginning_and_the_count():
    first = "trainingDataConfig.s3Uri must match pattern " + "x" * 400
    message = str(InvalidPropertiesError([first, "roleArn is required"]))
    assert len(message) <= 256
    assert message.startswith("Invalid properties (2 problems): trainingDataConfig.s3Uri must match pattern xxx")
    assert message.endswith("... (and 1 more)")


def test_budget_gives_up_when_the_next_poll_would_be_too_late():
    budget = waiting.ServiceTimeoutBudget(service_timeout=3600, started_at=1000.0, poll_interval_seconds=60)
    assert budget.margin == 60 + waiting.SLACK_SECONDS
    assert not budget.exhausted(1000.0 + 3600 - budget.margin - 1)
    assert budget.exhausted(1000.0 + 3600 - budget.margin)
    assert "ServiceTimeout 3600 s, max 3600 s" in budget.reason()


def test_budget_too_short_for_one_poll():
    assert not waiting.ServiceTimeoutBudget(60, 0.0, 60).fits_one_poll()
    assert waiting.ServiceTimeoutBudget(120, 0.0, 60).fits_one_poll()


def test_the_shortest_service_timeout_is_where_one_poll_just_fits():
    # the constructs refuse at synth time exactly what the provider would refuse at deploy time
    shortest = waiting.shortest_service_timeout(60)
    assert shortest == 91
    assert waiting.ServiceTimeoutBudget(shortest, 0.0, 60).fits_one_poll()
    assert not waiting.ServiceTimeoutBudget(shortest - 1, 0.0, 60).fits_one_poll()


def test_poll_interval_from_environment(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "3")
    assert waiting.poll_interval_minutes() == 3
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "0")
    assert waiting.poll_interval_minutes() == 1
    monkeypatch.delenv("POLL_INTERVAL_MINUTES")
    assert waiting.poll_interval_minutes() == 1
