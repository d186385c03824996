"""Every exception the provider raises on purpose, and how any error becomes the reason CloudFormation shows.

CloudFormation keeps only ~256 characters of a reason, so messages put the useful words first (Bedrock's own message,
the field and the rule, what to do) and :func:`fit_reason` cuts the END, never the beginning. The helpers for AWS
errors (:func:`error_code`, :func:`error_message`, :func:`none_if_not_found`, :func:`ignore_not_found`,
:func:`reason_for`) live here too, so every module reads a ``ClientError`` the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the constructs import this module (via .rules) and never load botocore
    from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

#: Longest reason we send; crhelper would otherwise keep only the last 240 characters.
MAX_REASON_LENGTH = 256


def fit_reason(text: str, limit: int = MAX_REASON_LENGTH) -> str:
    """``text`` cut to ``limit`` characters at the end, so its beginning always reaches CloudFormation."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def fit_list(items: Sequence[str], limit: int, separator: str = "; ") -> str:
    """The first ``items`` that fit whole within ``limit``, then ``(and k more)`` for the rest.

    The first item always appears (cut at its end if it alone is too long): it is the one the reader needs first.
    """
    items = [" ".join(str(item).split()) for item in items]
    for shown in range(len(items), 0, -1):
        more = len(items) - shown
        suffix = f" (and {more} more)" if more else ""
        head = separator.join(items[:shown])
        if len(head) + len(suffix) <= limit:
            return head + suffix
    suffix = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return fit_reason(items[0], limit - len(suffix)) + suffix if items else ""


def error_code(exc: ClientError) -> str:
    """The AWS error code of ``exc`` (``ResourceNotFoundException``, ...), empty when there is none."""
    return exc.response.get("Error", {}).get("Code", "")


def error_message(exc: ClientError) -> str:
    """The service's own message of ``exc``, or its code when the service sent none."""
    return exc.response.get("Error", {}).get("Message", "") or error_code(exc)


def name_taken(exc: ClientError) -> bool:
    """Whether Bedrock refused a Create because the name is taken (Conflict or Validation, worded either way)."""
    message = error_message(exc).lower()
    return error_code(exc) in ("ConflictException", "ValidationException") and (
        "in use" in message or "already exists" in message or "duplicate" in message
    )


def none_if_not_found(operation: Callable[..., Any], **kwargs: Any) -> Any:
    """``operation(**kwargs)``'s answer, or None when AWS answers ``ResourceNotFoundException``."""
    from botocore.exceptions import ClientError

    try:
        return operation(**kwargs)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return None


def ignore_not_found(operation: Callable[..., Any], **kwargs: Any) -> None:
    """``operation(**kwargs)``, where ``ResourceNotFoundException`` means the work is already done."""
    from botocore.exceptions import ClientError

    try:
        operation(**kwargs)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        logger.info("Already gone: %s", kwargs)


def reason_for(exc: BaseException) -> str:
    """The FAILED reason for ``exc``: our own message, or AWS's message first, or the unexpected error's type."""
    if isinstance(exc, InvalidPropertiesError) and len(exc.problems) > 1:
        logger.error("Every invalid property: %s", "; ".join(exc.problems))  # the reason may name only the first
    if isinstance(exc, ProviderError):
        return str(exc)
    logger.error("Unexpected error", exc_info=exc)
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return f"{error_message(exc)} ({error_code(exc)} from {exc.operation_name})"
    return f"Unexpected error: {type(exc).__name__}: {exc}"


class ProviderError(Exception):
    """A failure the provider reports to CloudFormation as FAILED with this message as the reason."""


class InvalidPropertiesError(ProviderError):
    """The resource properties break the API contract; nothing was called on Bedrock."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = [str(p) for p in problems]
        count = len(self.problems)
        head = "Invalid properties: " if count == 1 else f"Invalid properties ({count} problems): "
        super().__init__(head + fit_list(self.problems, MAX_REASON_LENGTH - len(head)))


class InvalidRequestError(ProviderError):
    """The event is not a request CloudFormation sends (e.g. an unknown RequestType); nothing was called."""


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


class OwnershipError(ProviderError):
    """The physical id names a resource this stack's resource did not create: nothing is done to it."""


class RetriesExhaustedError(ProviderError):
    """Bedrock kept failing for a passing reason until the Lambda's time ran out.

    ``uncertain``: some attempt ended without Bedrock's answer (a connection or read timeout, a 5xx), so it may have
    acted on the request: a Create failing so must let the rollback look for what it may have started.
    """

    def __init__(self, message: str, *, uncertain: bool = False) -> None:
        super().__init__(message)
        self.uncertain = uncertain


class PollTargetTooLargeError(ProviderError):
    """The poll event would exceed EventBridge's 8,192-character target input limit."""


class PollSecretError(ProviderError):
    """A poll's response URL does not decrypt for its own request (forged, altered, another request's): the poll is
    dropped. The message says why, never the ciphertext or the URL."""
