"""Bedrock's error vocabulary: codes, HTTP statuses and the wire format botocore turns into exception classes.

Every failure the emulator answers is a :class:`BedrockError`. Statuses come from the error shapes of Bedrock's botocore
model (ResourceNotFoundException 404, ThrottlingException 429, AccessDeniedException 403, InternalServerException 500,
and 400 for ValidationException, ConflictException, ServiceQuotaExceededException, TooManyTagsException), so a client
sees ``client.exceptions.ResourceNotFoundException`` exactly as against the real endpoint and retry logic keyed on
codes or statuses behaves the same.
"""

from __future__ import annotations

from .service_model import error_status


class BedrockError(Exception):
    """An error answer: ``code`` becomes ``x-amzn-ErrorType``, ``message`` the JSON body's ``message``."""

    def __init__(self, code: str, message: str, *, status: int | None = None, extra: dict | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else (error_status(code) or 400)
        self.extra = extra or {}

    def body(self) -> dict:
        return {"message": self.message, **self.extra}


def validation(message: str) -> BedrockError:
    return BedrockError("ValidationException", message)


def not_found(message: str) -> BedrockError:
    return BedrockError("ResourceNotFoundException", message)


def conflict(message: str) -> BedrockError:
    return BedrockError("ConflictException", message)
