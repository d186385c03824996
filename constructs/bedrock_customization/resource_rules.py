"""Construct-level rules both resources share: tags, CloudFormation's ServiceTimeout range, removal policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_cdk import Duration, RemovalPolicy
from bedrock_customization_provider import contract

from .validation import ProblemCollector, is_unresolved

#: CloudFormation's longest wait for a custom resource, the default (the provider fails clearly just before it).
DEFAULT_SERVICE_TIMEOUT = Duration.seconds(contract.MAX_SERVICE_TIMEOUT_SECONDS)
#: AWS's per-resource tag limit (the API's list shape allows more than Bedrock's tagging accepts).
MAX_TAGS = 50
_REMOVAL_POLICIES = {
    RemovalPolicy.DESTROY: contract.REMOVAL_POLICY_DESTROY,
    RemovalPolicy.RETAIN: contract.REMOVAL_POLICY_RETAIN,
}


def render_tags(tags: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    """``{"k": "v"}`` -> the API's ``[{"key": "k", "value": "v"}]``, in the order given."""
    if tags is None:
        return None
    return [{"key": key, "value": value} for key, value in tags.items()]


def check_tags(problems: ProblemCollector, argument: str, tags: Mapping[str, str] | None) -> None:
    if tags is None or is_unresolved(tags):
        return
    if len(tags) > MAX_TAGS:
        problems.add(f"{argument} must have at most {MAX_TAGS} tags (got {len(tags)})")
    for key in reserved_tag_keys(tags):
        problems.add(f"{argument} key {key!r} must not start with 'aws:' (reserved for AWS)")


def reserved_tag_keys(keys: Iterable[str]) -> list[str]:
    """Keys in the ``aws:`` namespace, which only AWS may set."""
    return [k for k in keys if isinstance(k, str) and not is_unresolved(k) and k.lower().startswith("aws:")]


def check_service_timeout(problems: ProblemCollector, timeout: Duration) -> None:
    if is_unresolved(timeout):
        return
    seconds = timeout.to_seconds(integral=False)
    low, high = contract.MIN_SERVICE_TIMEOUT_SECONDS, contract.MAX_SERVICE_TIMEOUT_SECONDS
    if not low <= seconds <= high:
        problems.add(f"service_timeout must be {low} to {high} seconds (got {seconds:g})")
    elif seconds != int(seconds):
        problems.add(f"service_timeout must be a whole number of seconds (got {seconds:g})")


def check_removal_policy(problems: ProblemCollector, policy: RemovalPolicy) -> None:
    if policy not in _REMOVAL_POLICIES:
        problems.add(f"removal_policy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN (got {policy})")


def removal_policy_value(policy: RemovalPolicy) -> str:
    return _REMOVAL_POLICIES[policy]
