"""Every exception the provider raises on purpose. The message of each is the reason CloudFormation shows.

CloudFormation keeps only ~256 characters of a reason, so messages put the useful words first (Bedrock's own message,
the field and the rule, what to do) and :func:`fit_reason` cuts the END, never the beginning.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Longest reason we send; crhelper would otherwise keep only the last 240 characters.
MAX_REASON_LENGTH = 256


def fit_reason(text: str, limit: int = MAX_REASON_LENGTH) -> str:
    """``text`` cut to ``limit`` characters at the end, so its beginning always reaches CloudFormation."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class ProviderError(Exception):
    """A failure the provider reports to CloudFormation as FAILED with this message as the reason."""


class InvalidPropertiesError(ProviderError):
    """The resource properties break the API contract; nothing was called on Bedrock."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = [str(p) for p in problems]
        count = len(self.problems)
        head = "Invalid properties: " if count == 1 else f"Invalid properties ({count} problems): "
        super().__init__(head + _fit_each(self.problems, MAX_REASON_LENGTH - len(head)))


def _fit_each(items: Sequence[str], limit: int, separator: str = "; ") -> str:
    """Join ``items`` within ``limit``: short items stay whole, the long ones share what is left, each keeping its
    beginning (the field) so every problem is named."""
    joined = separator.join(items)
    if len(joined) <= limit:
        return joined
    budget = limit - len(separator) * (len(items) - 1)
    share, remaining = budget // len(items), len(items)
    for length in sorted(len(item) for item in items):  # short items get all they need, the rest share the remainder
        if length > share:
            break
        budget -= length
        remaining -= 1
        share = budget // remaining if remaining else share
    share = max(12, share)
    return separator.join(fit_reason(item, share) for item in items)


class NameInUseError(ProviderError):
    """A user-fixed name collides with an existing resource (often the one a replacement is about to replace)."""


class JobFailedError(ProviderError):
    """The customization job ended Failed or Stopped; the message begins with Bedrock's failureMessage."""


class CustomModelFailedError(ProviderError):
    """The custom model ended Failed; the message begins with Bedrock's failureMessage."""


class WaitLimitError(ProviderError):
    """CloudFormation's custom-resource wait limit (ServiceTimeout) would pass before the resource is ready."""


class ModelInUseError(ProviderError):
    """DeleteCustomModel answered ConflictException: a provisioned throughput or deployment still uses the model."""


class RetriesExhaustedError(ProviderError):
    """A retryable Bedrock error (throttling, 5xx, IAM propagation) outlasted the Lambda's remaining time."""


class PollTargetTooLargeError(ProviderError):
    """The poll event would exceed EventBridge's 8,192-character target input limit."""
