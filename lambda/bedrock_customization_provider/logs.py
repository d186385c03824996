"""Logging that never leaks the presigned CloudFormation response URL.

crhelper logs the event and the response URL at DEBUG; anyone who reads the logs could answer for the stack. The
provider logs at INFO and installs :class:`RedactPresignedUrls` on every root handler, which rewrites any URL with a
query string before a handler formats the record.
"""

from __future__ import annotations

import logging
import re

# A URL carrying a query string (the presigned S3 URL's signature lives there). Matches inside repr() of dicts too.
_URL_WITH_QUERY = re.compile(r"https?://[^\s'\"<>?]+\?[^\s'\"<>]*")
REDACTED = "<redacted-url>"


def redact(text: str) -> str:
    """``text`` with every URL that has a query string replaced by ``<redacted-url>``."""
    return _URL_WITH_QUERY.sub(REDACTED, text)


class RedactPresignedUrls(logging.Filter):
    """Rewrites message, arguments and traceback text of each record with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactPresignedUrls()


def install_redaction() -> None:
    """Put the redacting filter on every handler of the root logger (idempotent; handlers may change per run)."""
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
