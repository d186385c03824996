"""Which Bedrock errors are retried, and that retries end at the deadline with Bedrock's message first."""

from __future__ import annotations

import pytest
from bedrock_customization_provider import retry
from bedrock_customization_provider.errors import RetriesExhaustedError
from botocore.exceptions import ClientError, EndpointConnectionError


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "CreateModelCustomizationJob",
    )


@pytest.mark.parametrize(
    ("error", "why"),
    [
        (client_error("ThrottlingException", "Rate exceeded"), "throttling"),
        (client_error("TooManyRequestsException", status=429), "throttling"),
        (client_error("InternalServerException", status=500), "server error"),
        (client_error("ServiceUnavailable", status=503), "server error"),
        (client_error("ValidationException", "Could not assume provided IAM role"), "IAM propagation"),
        (client_error("AccessDeniedException", "bedrock is not authorized to assume role x", 403), "IAM propagation"),
        (EndpointConnectionError(endpoint_url="https://bedrock"), "connection"),
        (
            client_error("AccessDeniedException", "not authorized to perform: iam:PassRole on resource r", 403),
            "IAM propagation",
        ),
    ],
)
def test_retryable_errors(error, why):
    assert retry.retry_reason(error) == why


@pytest.mark.parametrize(
    "error",
    [
        client_error("ValidationException", "The provided job name is currently in use."),
        client_error("AccessDeniedException", "User is not authorized to perform bedrock:CreateModelCustomizationJob"),
        client_error("ResourceNotFoundException", status=404),
        ValueError("not AWS"),
    ],
)
def test_errors_that_are_not_retried(error):
    assert retry.retry_reason(error) is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_retries_until_success_with_growing_backoff():
    clock = Clock()
    answers = [client_error("ThrottlingException"), client_error("ThrottlingException"), "ok"]

    def operation():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result = retry.call(
        operation,
        deadline=retry.Deadline(100.0, clock),
        backoff=retry.Backoff(base=1.0, cap=20.0),
        sleep=clock.sleep,
    )
    assert result == "ok"
    assert clock.now <= 1.0 + 2.0  # full jitter: at most base * 2**attempt each time


def test_gives_up_at_the_deadline_with_bedrock_message_first():
    clock = Clock()

    def operation():
        raise client_error("ValidationException", "Could not assume provided IAM role")

    with pytest.raises(RetriesExhaustedError) as raised:
        retry.call(operation, deadline=retry.Deadline(100.0, clock), backoff=retry.Backoff(base=1.0), sleep=clock.sleep)
    assert str(raised.value).startswith("Could not assume provided IAM role (ValidationException): operation still")
    assert "trust policy" in str(raised.value)
    assert isinstance(raised.value.__cause__, ClientError)
    assert clock.now <= 100.0 - retry.BEDROCK_ATTEMPT_SECONDS


def test_iam_propagation_is_retried_for_a_bounded_window_not_the_whole_lambda_time():
    clock = Clock()

    def operation():
        raise client_error("ValidationException", "Could not assume provided IAM role")

    with pytest.raises(RetriesExhaustedError):
        retry.call(operation, deadline=retry.Deadline(900.0, clock), backoff=retry.Backoff(base=1.0), sleep=clock.sleep)
    assert clock.now <= retry.IAM_PROPAGATION_WINDOW_SECONDS


def test_throttling_is_retried_until_the_deadline():
    clock = Clock()

    def operation():
        raise client_error("ThrottlingException", "Rate exceeded")

    with pytest.raises(RetriesExhaustedError) as raised:
        retry.call(operation, deadline=retry.Deadline(600.0, clock), backoff=retry.Backoff(base=1.0), sleep=clock.sleep)
    assert clock.now > retry.IAM_PROPAGATION_WINDOW_SECONDS
    assert "out of Lambda time" in str(raised.value)


def test_non_retryable_errors_propagate_unchanged():
    error = client_error("ValidationException", "bad request")

    def operation():
        raise error

    with pytest.raises(ClientError) as raised:
        retry.call(operation, deadline=retry.Deadline(100.0, Clock()), backoff=retry.Backoff(), sleep=lambda s: None)
    assert raised.value is error


def test_no_attempt_starts_that_could_not_end_before_the_deadline():
    # One Bedrock attempt may take connect + read timeout (35 s). An attempt the Lambda's timeout cuts off may have
    # started a job that nobody learns of, so with less time than that left, nothing is called.
    called = []
    with pytest.raises(RetriesExhaustedError, match=r"Not enough Lambda time left for .*not attempted"):
        retry.call(
            lambda: called.append(1),
            deadline=retry.Deadline(retry.BEDROCK_ATTEMPT_SECONDS - 1, Clock()),
            backoff=retry.Backoff(),
            sleep=lambda s: None,
        )
    assert called == []


def test_every_retry_starts_with_a_whole_attempt_of_time_left():
    clock = Clock()
    deadline = retry.Deadline(120.0, clock)
    starts = []

    def operation():
        starts.append(clock.now)
        clock.now += 20.0  # each attempt takes a while before it is throttled
        raise client_error("ThrottlingException", "Rate exceeded")

    with pytest.raises(RetriesExhaustedError):
        retry.call(operation, deadline=deadline, backoff=retry.Backoff(base=1.0), sleep=clock.sleep)
    assert len(starts) >= 2
    assert all(at + retry.BEDROCK_ATTEMPT_SECONDS <= 120.0 for at in starts)


def test_deadline_from_lambda_context_keeps_a_reserve():
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    deadline = retry.Deadline.from_context(Context())
    assert 60 - retry.LAMBDA_TIME_RESERVE_SECONDS - 1 < deadline.remaining() <= 60 - retry.LAMBDA_TIME_RESERVE_SECONDS
