"""Retry Bedrock calls that fail for a passing reason, with exponential backoff and full jitter.

Retried: throttling, 5xx / service unavailable / internal errors, connection trouble, and IAM propagation: a role
created in the same stack may not be assumable for a few seconds, and Bedrock then answers ValidationException or
AccessDeniedException with "Could not assume provided IAM role" or "... is not authorized to assume role".
Every retry is bounded by a :class:`Deadline` derived from the Lambda's remaining time; past it the provider gives up
with :class:`~.errors.RetriesExhaustedError` whose reason begins with Bedrock's own message.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from . import contract
from .clients import BEDROCK_ATTEMPT_SECONDS
from .errors import RetriesExhaustedError

logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
)
SERVER_CODES = frozenset(
    {"ServiceUnavailable", "ServiceUnavailableException", "InternalServerException", "InternalFailure"}
)
IAM_PROPAGATION_CODES = frozenset({"ValidationException", "AccessDeniedException"})
IAM_PROPAGATION_MESSAGE = re.compile(r"(could not|unable to|cannot|not authorized to) assume", re.IGNORECASE)
IAM_PROPAGATION = "IAM propagation"
#: IAM changes reach Bedrock within seconds, rarely a minute or two: retry them this long, not the Lambda's whole
#: time, so a real misconfiguration (a wrong trust policy) fails in minutes.
IAM_PROPAGATION_WINDOW_SECONDS = 150.0
#: Seconds of Lambda time kept for responding to CloudFormation after the last retry.
LAMBDA_TIME_RESERVE_SECONDS = 15.0


@dataclass(frozen=True)
class Deadline:
    """A point in (monotonic) time after which no retry starts."""

    at: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def from_context(cls, context: Any, reserve_seconds: float = LAMBDA_TIME_RESERVE_SECONDS) -> Deadline:
        """The Lambda's remaining time minus ``reserve_seconds`` for the response."""
        remaining = context.get_remaining_time_in_millis() / 1000.0
        return cls(time.monotonic() + max(0.0, remaining - reserve_seconds))

    def remaining(self) -> float:
        return self.at - self.clock()


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential backoff: attempt n waits uniform(0, min(cap, base * 2**n)) seconds."""

    base: float = 1.0
    cap: float = 20.0

    @classmethod
    def from_env(cls) -> Backoff:
        return cls(base=float(os.environ.get(contract.ENV_RETRY_BASE_DELAY_SECONDS, "1")))

    def delay(self, attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        return rng(0.0, min(self.cap, self.base * (2**attempt)))


def retry_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is worth retrying (a short word for the log), or None when it is not."""
    if isinstance(exc, ConnectionError | ReadTimeoutError):
        return "connection"
    if not isinstance(exc, ClientError):
        return None
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in THROTTLING_CODES or status == 429:
        return "throttling"
    if code in SERVER_CODES or status >= 500:
        return "server error"
    if code in IAM_PROPAGATION_CODES and IAM_PROPAGATION_MESSAGE.search(error.get("Message", "")):
        return IAM_PROPAGATION
    if code == "AccessDeniedException" and "iam:PassRole" in error.get("Message", ""):
        return IAM_PROPAGATION  # the provider's own PassRole grant, created in the same stack, may lag too
    return None


def call(
    fn: Callable[..., Any],
    /,
    *args: Any,
    deadline: Deadline,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    attempt_seconds: float = BEDROCK_ATTEMPT_SECONDS,
    **kwargs: Any,
) -> Any:
    """``fn(*args, **kwargs)``, retried while the error is retryable and the deadline allows another attempt.

    No attempt starts that could not end before the deadline (``attempt_seconds``: connect plus read timeout): an
    attempt cut off by the Lambda's timeout may have started a job nobody learns of.
    """
    attempt = 0
    uncertain = False  # an attempt ended without Bedrock's answer: it may have acted on the request
    started = deadline.clock()
    while True:
        if deadline.remaining() < attempt_seconds:
            raise RetriesExhaustedError(
                f"Not enough Lambda time left for {_name(fn)} ({max(0.0, deadline.remaining()):.0f} s before the "
                f"provider's deadline; one attempt may take {attempt_seconds:.0f} s): not attempted"
                + (f" after {attempt} attempts." if attempt else "."),
                uncertain=uncertain,
            )
        try:
            return fn(*args, **kwargs)
        except (ClientError, ConnectionError, ReadTimeoutError) as exc:
            why = retry_reason(exc)
            if why is None:
                raise
            uncertain = uncertain or why in ("connection", "server error")
            delay = backoff.delay(attempt)
            attempt += 1
            window_over = why == IAM_PROPAGATION and deadline.clock() - started + delay > IAM_PROPAGATION_WINDOW_SECONDS
            if window_over or deadline.remaining() < delay + attempt_seconds:
                raise RetriesExhaustedError(
                    _exhausted_message(exc, why, attempt, _name(fn)), uncertain=uncertain
                ) from exc
            logger.warning("%s failed (%s), retry %d in %.1f s: %s", _name(fn), why, attempt, delay, exc)
            sleep(delay)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", repr(fn))


def _exhausted_message(exc: BaseException, why: str, attempts: int, operation: str) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        head = f"{error.get('Message') or error.get('Code')} ({error.get('Code')})"
    else:
        head = str(exc)
    if why == IAM_PROPAGATION:
        hint = " Check the role's trust policy for bedrock.amazonaws.com and the provider's iam:PassRole grant."
        return f"{head}: {operation} still failing after {attempts} attempts; not IAM propagation delay.{hint}"
    return f"{head}: {operation} still failing ({why}) after {attempts} attempts, out of Lambda time."


class RetryingClient:
    """A botocore client whose every operation goes through :func:`call`; other attributes pass through."""

    def __init__(self, client: Any, deadline: Deadline, backoff: Backoff | None = None) -> None:
        self._client = client
        self._deadline = deadline
        self._backoff = backoff or Backoff.from_env()

    @property
    def exceptions(self) -> Any:
        return self._client.exceptions

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name not in self._client.meta.method_to_api_mapping:
            return attribute

        @functools.wraps(attribute)
        def retried(*args: Any, **kwargs: Any) -> Any:
            return call(attribute, *args, deadline=self._deadline, backoff=self._backoff, **kwargs)

        return retried
