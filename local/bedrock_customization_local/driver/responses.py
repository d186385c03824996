"""The HTTPS endpoint behind every ``ResponseURL`` and every wait condition handle: where signals are PUT.

Why it mimics S3 presigned URLs closely: the provider must treat the URL as the secret it is (never log it) and must
reach it exactly as it would reach S3, so the URL carries a signature over its path and query and the endpoint
refuses anything else with S3's 403. CloudFormation's own checks are applied to the body (JSON, Status, matching ids,
the 4,096-byte limit); a response that breaks them becomes a FAILED result with CloudFormation's words.

Two kinds of URL, told apart by their bucket (the first path segment), as in AWS:

- a custom resource's ``ResponseURL`` (``cloudformation-custom-resource-response-<region>``), one per request;
- the ``Ref`` of an ``AWS::CloudFormation::WaitConditionHandle`` (``cloudformation-waitcondition-<region>``, the key
  being the URL-encoded ``<stack id>/<handle logical id>``, as in the CloudFormation User Guide's example). A PUT to
  it is a wait condition signal, ``{"Status": "SUCCESS"|"FAILURE", "UniqueId": ..., "Data": ..., "Reason": ...}``,
  kept on the :class:`WaitHandle` (signals sent before its condition started count once it starts, as the handle's
  S3 objects wait for CloudFormation to read them). A body that is not such a signal is refused with a 400 and kept
  nowhere (S3 would have stored it; see the driver's README, "Known differences").

Both carry ``X-Amz-Signature`` in the query: :func:`presigned_url_kind` recognises either in a log or a target input.
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape

from .tls import self_signed_certificate

#: CloudFormation rejects response objects larger than this.
MAX_RESPONSE_BYTES = 4096
#: Every presigned URL the endpoint hands out carries its signature in the query under this name.
SIGNATURE_PARAMETER = "X-Amz-Signature"
#: The buckets of the two kinds of URL (the region, without dashes, follows).
RESPONSE_BUCKET_PREFIX = "cloudformation-custom-resource-response-"
HANDLE_BUCKET_PREFIX = "cloudformation-waitcondition-"
#: Statuses a wait condition signal may carry (the User Guide's "Wait condition signal JSON format").
SIGNAL_STATUSES = ("SUCCESS", "FAILURE")


def presigned_url_kind(text: str) -> str | None:
    """What presigned URL ``text`` (a log, a target input) carries: "response URL", "wait condition handle URL", or
    None. A signature with neither bucket (a URL cut or re-encoded) still counts, as a response URL: any leaked
    signature is a problem."""
    if SIGNATURE_PARAMETER not in text:
        return None
    if HANDLE_BUCKET_PREFIX in text and RESPONSE_BUCKET_PREFIX not in text:
        return "wait condition handle URL"
    return "response URL"


@dataclass(frozen=True)
class HandleSignal:
    """One wait condition signal as it arrived at a handle (a well-formed body; ``data`` as sent, None if absent)."""

    unique_id: str
    status: str
    data: Any = None
    reason: str = ""


class WaitHandle:
    """An ``AWS::CloudFormation::WaitConditionHandle``: its URL and the signals PUT to it, in arrival order.

    Why signals are kept here rather than on the condition: in AWS they are objects under the handle's URL, there
    before the condition reads them, so a signal sent before the condition started still counts. A condition
    :meth:`attach`-es a listener, which first gets every signal kept so far, then each new one (under the handle's
    lock, so none is missed or seen twice between the two).
    """

    def __init__(self, stack_id: str, logical_id: str, url: str) -> None:
        self.stack_id = stack_id
        self.logical_id = logical_id
        self.url = url
        self._lock = threading.Lock()
        self._signals: list[HandleSignal] = []
        self._listeners: list[Callable[[HandleSignal], None]] = []

    def add(self, signal: HandleSignal) -> None:
        with self._lock:
            self._signals.append(signal)
            for listener in list(self._listeners):
                listener(signal)

    def attach(self, listener: Callable[[HandleSignal], None]) -> None:
        with self._lock:
            for signal in self._signals:
                listener(signal)
            self._listeners.append(listener)

    def detach(self, listener: Callable[[HandleSignal], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def signals(self) -> list[HandleSignal]:
        with self._lock:
            return list(self._signals)


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
        self._handles: dict[str, WaitHandle] = {}  # by object key (the quoted "<stack id>/<logical id>")
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
        bucket = f"{RESPONSE_BUCKET_PREFIX}{self.region.replace('-', '')}"
        key = quote(f"{stack_id}|{logical_id}|{request_id}", safe="")
        return self._presign(port, f"/{bucket}/{key}", expires=7200)

    def open_handle(self, stack_id: str, logical_id: str) -> WaitHandle:
        """A new wait condition handle (its URL is the handle's ``Ref`` and physical id); it takes signals until
        :meth:`close_handle`. Opening the same handle again (the stack created anew) starts with no signals."""
        assert self._server is not None, "start() the endpoint first"
        port = self._server.server_address[1]
        key = quote(f"{stack_id}/{logical_id}", safe="")
        url = self._presign(port, f"/{HANDLE_BUCKET_PREFIX}{self.region.replace('-', '')}/{key}", expires=86400)
        handle = WaitHandle(stack_id, logical_id, url)
        with self._changed:
            self._handles[key] = handle
        return handle

    def handle_for(self, url: str) -> WaitHandle | None:
        """The open handle whose URL is exactly ``url`` (what a condition's ``Handle`` property holds), or None."""
        key = urlsplit(url).path.rsplit("/", 1)[-1]
        with self._changed:
            handle = self._handles.get(key)
        return handle if handle is not None and handle.url == url else None

    def close_handle(self, url: str) -> None:
        """The handle was deleted: its URL takes no more signals (a PUT to it is a 404, refused)."""
        handle = self.handle_for(url)
        if handle is not None:
            with self._changed:
                self._handles.pop(urlsplit(url).path.rsplit("/", 1)[-1], None)

    def _presign(self, port: int, path: str, expires: int) -> str:
        now = dt.datetime.now(dt.UTC)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Expires": str(expires),
            "X-Amz-Credential": f"AKIA6ODU5DHT7EXAMPLE/{now:%Y%m%d}/{self.region}/s3/aws4_request",
        }
        query[SIGNATURE_PARAMETER] = self._sign(path, query)
        return f"https://{self.host}:{port}{path}?{urlencode(query)}"

    def _sign(self, path: str, query: dict[str, str]) -> str:
        canonical = path + "?" + "&".join(f"{k}={query[k]}" for k in sorted(query) if k != SIGNATURE_PARAMETER)
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()

    # --- receiving ----------------------------------------------------------------------------------------------
    def _receive(self, raw_path: str, body: bytes) -> tuple[int, bytes]:
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query))
        if not hmac.compare_digest(query.get(SIGNATURE_PARAMETER, ""), self._sign(parts.path, query)):
            self._reject(f"PUT with a bad signature to {parts.path[:60]}...")
            return HTTPStatus.FORBIDDEN, b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
        if parts.path.lstrip("/").startswith(HANDLE_BUCKET_PREFIX):
            return self._receive_signal(parts.path, body)
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

    def _receive_signal(self, path: str, body: bytes) -> tuple[int, bytes]:
        """A PUT to a wait condition handle: kept on the handle when it is a well-formed signal."""
        key = path.rsplit("/", 1)[-1]
        with self._changed:
            handle = self._handles.get(key)
        if handle is None:
            self._reject(f"signal to a wait condition handle that does not exist (any more): {unquote(key)[-60:]}")
            return HTTPStatus.NOT_FOUND, b"<Error><Code>NoSuchKey</Code></Error>"
        signal, problem = read_signal(body)
        if signal is None:
            self._reject(f"signal to wait condition handle {handle.logical_id} refused: {problem}")
            message = f"<Error><Code>MalformedSignal</Code><Message>{escape(problem)}</Message></Error>"
            return HTTPStatus.BAD_REQUEST, message.encode()
        handle.add(signal)
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

    def clear_rejected(self) -> list[str]:
        """Forget the refusals so far (a test that provoked them on purpose), returning them."""
        with self._changed:
            rejected, self._rejected = self._rejected, []
            return rejected

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


def read_signal(body: bytes) -> tuple[HandleSignal | None, str]:
    """(the signal, "") for a well-formed wait condition signal body, else (None, what is wrong with it)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None, "the body is not JSON"
    if not isinstance(message, dict):
        return None, "the body is not a JSON object"
    status = message.get("Status")
    if status not in SIGNAL_STATUSES:
        return None, f"Status must be SUCCESS or FAILURE, got {status!r}"
    unique_id = message.get("UniqueId")
    if not isinstance(unique_id, str) or not unique_id:
        return None, f"UniqueId must be a non-empty string, got {unique_id!r}"
    reason = message.get("Reason")
    return HandleSignal(unique_id, status, message.get("Data"), "" if reason is None else str(reason)), ""
