"""The HTTPS endpoint behind every ``ResponseURL``: where providers PUT their custom-resource responses.

Why it mimics S3 presigned URLs closely: the provider must treat the URL as the secret it is (never log it) and must
reach it exactly as it would reach S3, so the URL carries a signature over its path and query and the endpoint
refuses anything else with S3's 403. CloudFormation's own checks are applied to the body (JSON, Status, matching ids,
the 4,096-byte limit); a response that breaks them becomes a FAILED result with CloudFormation's words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .tls import self_signed_certificate

#: CloudFormation rejects response objects larger than this.
MAX_RESPONSE_BYTES = 4096


@dataclass(frozen=True)
class CustomResourceResponse:
    """One response as CloudFormation reads it."""

    request_id: str
    logical_id: str
    status: str
    physical_id: str
    reason: str
    data: dict[str, Any] = field(default_factory=dict)
    no_echo: bool = False
    size: int = 0


class ResponseEndpoint:
    """A local S3-like HTTPS server for response objects; use as a context manager."""

    def __init__(self, workdir: Path, region: str = "us-east-1", host: str = "127.0.0.1") -> None:
        self.region = region
        self.host = host
        self._secret = secrets.token_bytes(32)
        self._certs = self_signed_certificate(workdir / "tls", host)
        self._responses: dict[str, list[CustomResourceResponse]] = {}
        self._rejected: list[str] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def ca_bundle(self) -> Path:
        """The PEM file a client must trust (crhelper's ``ssl_verify``)."""
        return self._certs.cert_path

    # --- lifecycle ----------------------------------------------------------------------------------------------
    def __enter__(self) -> ResponseEndpoint:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status, message = endpoint._receive(self.path, body)
                self.send_response(status)
                self.send_header("content-length", str(len(message)))
                self.end_headers()
                self.wfile.write(message)

            def log_message(self, format: str, *args: Any) -> None:  # keep the demo's output clean
                return

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._certs.cert_path, self._certs.key_path)
        server = ThreadingHTTPServer((self.host, 0), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="cfn-response-endpoint", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- URLs ---------------------------------------------------------------------------------------------------
    def url_for(self, stack_id: str, logical_id: str, request_id: str) -> str:
        """A presigned-looking URL for one request's response object."""
        assert self._server is not None, "start() the endpoint first"
        port = self._server.server_address[1]
        bucket = f"cloudformation-custom-resource-response-{self.region.replace('-', '')}"
        key = quote(f"{stack_id}|{logical_id}|{request_id}", safe="")
        now = dt.datetime.now(dt.UTC)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Expires": "7200",
            "X-Amz-Credential": f"AKIA6ODU5DHT7EXAMPLE/{now:%Y%m%d}/{self.region}/s3/aws4_request",
        }
        path = f"/{bucket}/{key}"
        query["X-Amz-Signature"] = self._sign(path, query)
        return f"https://{self.host}:{port}{path}?{urlencode(query)}"

    def _sign(self, path: str, query: dict[str, str]) -> str:
        canonical = path + "?" + "&".join(f"{k}={query[k]}" for k in sorted(query) if k != "X-Amz-Signature")
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()

    # --- receiving ----------------------------------------------------------------------------------------------
    def _receive(self, raw_path: str, body: bytes) -> tuple[int, bytes]:
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query))
        if not hmac.compare_digest(query.get("X-Amz-Signature", ""), self._sign(parts.path, query)):
            self._reject(f"PUT with a bad signature to {parts.path[:60]}...")
            return HTTPStatus.FORBIDDEN, b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
        try:
            stack_id, logical_id, request_id = unquote(parts.path.rsplit("/", 1)[1]).split("|")
        except ValueError:
            self._reject(f"PUT to an unknown key {parts.path[:60]}...")
            return HTTPStatus.NOT_FOUND, b"<Error><Code>NoSuchKey</Code></Error>"
        response = self._read_body(body, stack_id, logical_id, request_id)
        with self._changed:
            self._responses.setdefault(request_id, []).append(response)
            self._changed.notify_all()
        return HTTPStatus.OK, b""

    def _read_body(self, body: bytes, stack_id: str, logical_id: str, request_id: str) -> CustomResourceResponse:
        def failed(reason: str) -> CustomResourceResponse:
            return CustomResourceResponse(request_id, logical_id, "FAILED", "", reason, size=len(body))

        if len(body) > MAX_RESPONSE_BYTES:
            return failed("Response object is too long.")
        try:
            message = json.loads(body)
        except ValueError:
            return failed("Invalid response object: not JSON")
        if not isinstance(message, dict):
            return failed("Invalid response object: not a JSON object")
        status = message.get("Status")
        if status not in ("SUCCESS", "FAILED"):
            return failed(f"Invalid response object: Status must be SUCCESS or FAILED, got {status!r}")
        for key, expected in (("StackId", stack_id), ("RequestId", request_id), ("LogicalResourceId", logical_id)):
            if message.get(key) != expected:
                return failed(f"Invalid response object: {key} {message.get(key)!r} does not match the request")
        physical_id = message.get("PhysicalResourceId")
        if status == "SUCCESS" and not physical_id:
            return failed("Invalid response object: PhysicalResourceId is required")
        data = message.get("Data") or {}
        if not isinstance(data, dict):
            return failed("Invalid response object: Data must be an object")
        return CustomResourceResponse(
            request_id=request_id,
            logical_id=logical_id,
            status=status,
            physical_id=str(physical_id or ""),
            reason=str(message.get("Reason") or ""),
            data=data,
            no_echo=bool(message.get("NoEcho")),
            size=len(body),
        )

    def _reject(self, problem: str) -> None:
        with self._changed:
            self._rejected.append(problem)
            self._changed.notify_all()

    # --- reading ------------------------------------------------------------------------------------------------
    def first(self, request_id: str) -> CustomResourceResponse | None:
        """The response CloudFormation acts on: the first one that arrived for the request."""
        with self._changed:
            received = self._responses.get(request_id)
            return received[0] if received else None

    def all(self, request_id: str) -> list[CustomResourceResponse]:
        with self._changed:
            return list(self._responses.get(request_id, []))

    def rejected(self) -> list[str]:
        with self._changed:
            return list(self._rejected)

    def wait(self, request_ids: Iterable[str], timeout: float) -> bool:
        """Wait until any of ``request_ids`` has a response (True) or ``timeout`` seconds pass (False)."""
        wanted = set(request_ids)
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(self._responses.get(rid) for rid in wanted):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True
