"""Send the custom-resource response to CloudFormation's presigned URL, a bounded number of times.

crhelper's own sender loops forever (``while True``) when the URL cannot be reached, burning the Lambda's whole
timeout, and logs the presigned URL. This one tries a few times with a short backoff, never logs the URL, and then
gives up with an error in the log (CloudFormation will time the resource out on its own).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 10


def ssl_context(ssl_verify: bool | str | None) -> ssl.SSLContext:
    """crhelper's ``ssl_verify`` semantics: a CA bundle path (trusted alone, as requests' ``verify`` does), False for
    no verification, None/True for the system's CAs."""
    if isinstance(ssl_verify, str) and Path(ssl_verify).is_file():
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ssl_verify)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if isinstance(ssl_verify, str):  # as crhelper does: a missing bundle must not keep the response from being sent
        logger.warning("CA bundle %s not found; verifying the response URL with the system CAs", ssl_verify)
    elif ssl_verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send(
    response_url: str,
    response_body: Mapping[str, Any],
    ssl_verify: bool | str | None = None,
    *,
    attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """PUT ``response_body`` as JSON to ``response_url``; True once CloudFormation accepted it (2xx)."""
    body = json.dumps(response_body)
    parts = urlsplit(response_url)
    path = urlunsplit(("", "", *parts[2:]))
    headers = {"content-type": "", "content-length": str(len(body))}
    status = response_body.get("Status")
    for attempt in range(1, attempts + 1):
        try:
            if parts.scheme == "http":
                connection: HTTPConnection = HTTPConnection(parts.netloc, timeout=TIMEOUT_SECONDS)
            else:
                connection = HTTPSConnection(parts.netloc, context=ssl_context(ssl_verify), timeout=TIMEOUT_SECONDS)
            try:
                connection.request("PUT", path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
            finally:
                connection.close()
            if 200 <= answer.status < 300:
                logger.info("Sent %s response to CloudFormation (HTTP %d)", status, answer.status)
                return True
            logger.warning("CloudFormation refused the response: HTTP %d (attempt %d)", answer.status, attempt)
        except (OSError, HTTPException) as exc:
            logger.warning("Could not send the response (attempt %d): %s", attempt, type(exc).__name__)
        if attempt < attempts:
            sleep(min(2.0**attempt, 8.0))
    logger.error("Gave up sending the %s response to CloudFormation after %d attempts", status, attempts)
    return False
