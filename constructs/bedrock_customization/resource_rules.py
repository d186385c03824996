"""Construct-level rules both resources share: CloudFormation's ServiceTimeout range, removal policy; and the
rendering of tag mappings as the API's lists (the tag rules live in :mod:`.tagging`)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from bedrock_customization_provider import contract, waiting

from .lookups import duration_is_unresolved, duration_seconds
from .validation import ProblemCollector

#: CloudFormation's longest wait for a custom resource, the default (the provider fails clearly just before it).
DEFAULT_SERVICE_TIMEOUT = Duration.seconds(contract.MAX_SERVICE_TIMEOUT_SECONDS)
_REMOVAL_POLICIES = {
    RemovalPolicy.DESTROY: contract.REMOVAL_POLICY_DESTROY,
    RemovalPolicy.RETAIN: contract.REMOVAL_POLICY_RETAIN,
}


def render_tags(tags: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    """``{"k": "v"}`` -> the API's ``[{"key": "k", "value": "v"}]``, in the order given."""
    if tags is None:
        return None
    return [{"key": key, "value": value} for key, value in tags.items()]


def check_service_timeout(problems: ProblemCollector, timeout: Duration) -> None:
    if duration_is_unresolved(timeout):
        return
    seconds = duration_seconds(timeout)
    interval = contract.POLL_INTERVAL_MINUTES * 60
    low, high = waiting.shortest_service_timeout(interval), contract.MAX_SERVICE_TIMEOUT_SECONDS
    if not low <= seconds <= high:
        problems.add(
            f"service_timeout must be {low} to {high} seconds (got {seconds:g}): the provider polls every {interval} s "
            f"and answers {contract.POLL_SLACK_SECONDS} s before CloudFormation's limit"
        )
    elif seconds != int(seconds):
        problems.add(f"service_timeout must be a whole number of seconds (got {seconds:g})")


def check_removal_policy(problems: ProblemCollector, policy: RemovalPolicy) -> None:
    if policy not in _REMOVAL_POLICIES:
        problems.add(f"removal_policy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN (got {policy})")


def removal_policy_value(policy: RemovalPolicy) -> str:
    return _REMOVAL_POLICIES[policy]
