"""One local endpoint for everything the provider calls: Bedrock here, every other AWS service in moto.

boto3 reaches it unmodified through ``endpoint_url`` or ``AWS_ENDPOINT_URL``, which sends every service to the same
host; the SigV4 credential scope (``Credential=AKID/20261125/us-east-1/bedrock/aws4_request``) says which service a
request is for, so requests scoped to ``bedrock`` are answered by :class:`~.bedrock.BedrockService`
and all others (EventBridge, Lambda, IAM, S3, STS, CloudWatch Logs...) by moto's own server application, unless
:meth:`EmulatorApp.route_service` sent a signing name to another WSGI app.
``/_emulator/...`` is the control API. One process, a threaded werkzeug server on 127.0.0.1 and a free port.
Before a request reaches moto's S3, the training metric files due by virtual now are written (:mod:`.training_metrics`).

>>> with Emulator(speed=0) as emu:
...     bedrock = boto3.client("bedrock", endpoint_url=emu.endpoint_url)
...     emu.controls.advance(6 * 3600)
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import BaseWSGIServer, make_server

from . import training_metrics
from .bedrock import BedrockService, CallNote
from .clock import VirtualClock, iso
from .controls import CONTROL_PREFIX, Controls
from .errors import BedrockError
from .faults import FaultInjector
from .routing import parse
from .scenarios import ScenarioBook
from .service_model import SIGNING_NAME, operation_model
from .state import CallRecord, Store
from .validation import validate

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
_JSON_TYPE = "application/json"


def signing_scope(authorization: str) -> tuple[str | None, str | None]:
    """(service, region) from a SigV4 Authorization header, or (None, None) for unsigned requests."""
    match = _SCOPE.search(authorization or "")
    if not match:
        return None, None
    return match.group("service"), match.group("region")


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _moto_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import moto_fidelity

    moto_fidelity.apply()
    return DomainDispatcherApplication(create_backend_app)


def _reset_moto() -> None:
    from moto.moto_api import _internal

    _internal.moto_api_backend.reset()


class EmulatorApp:
    """The WSGI application: control API, Bedrock, or moto, chosen per request."""

    def __init__(self, *, speed: float = 1.0, seed: int = 0) -> None:
        self.clock = VirtualClock(speed=speed)
        self.store = Store(seed)
        self.scenarios = ScenarioBook()
        self.faults = FaultInjector(seed)
        self.service = BedrockService(self.store, self.clock.now, self.scenarios, self.faults)
        self.controls = Controls(self.clock, self.store, self.scenarios, self.faults, self.service, _reset_moto)
        self._moto = _moto_app()
        self._seq = 0
        self._seq_lock = threading.Lock()
        #: SigV4 signing names answered by another WSGI app instead of moto (see :meth:`route_service`).
        self._routes: dict[str, Any] = {}

    def route_service(self, signing_name: str, app: Any) -> None:
        """Answer requests signed for ``signing_name`` (``cloudformation``, say) with the WSGI ``app`` instead of moto.

        Why a hook: a test harness may play a service itself (the local CloudFormation driver answers the API calls
        about its own stacks) while everything else stays moto's. Bedrock and the control API cannot be rerouted.
        """
        if signing_name == SIGNING_NAME:
            raise ValueError(f"{SIGNING_NAME} is the emulator's own service and cannot be routed elsewhere")
        self._routes = {**self._routes, signing_name: app}  # a new dict: readers on server threads never see it change

    def unroute_service(self, signing_name: str) -> None:
        """Send ``signing_name`` back to moto (no error when it was not routed)."""
        self._routes = {name: app for name, app in self._routes.items() if name != signing_name}

    def routed_services(self) -> dict[str, Any]:
        return dict(self._routes)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX) or path.rstrip("/") == CONTROL_PREFIX.rstrip("/"):
            status, body = self.controls.dispatch(environ["REQUEST_METHOD"], path, read_body(environ))
            return _respond(start_response, status, body, {})
        service, region = signing_scope(environ.get("HTTP_AUTHORIZATION", ""))
        if service == SIGNING_NAME:
            return self._bedrock(environ, start_response, region or "us-east-1")
        routed = self._routes.get(service or "")
        if routed is not None:
            return routed(environ, start_response)
        if service == "s3" or _presigned_for_s3(environ):
            self._publish_training_metrics()
        return self._moto(environ, start_response)

    def _publish_training_metrics(self) -> None:
        """Put the training metric files due by virtual now into moto's S3 before an S3 request reads it: the one
        moment a reader can look, so nothing needs to run in the background (see :mod:`.training_metrics`)."""
        with self.store.lock:
            now = self.clock.now()
            training_metrics.publish(self.store.jobs.values(), now, self.store.seed, training_metrics.put_moto_object)

    def _bedrock(self, environ: dict[str, Any], start_response: Any, region: str) -> Iterable[bytes]:
        request_id = str(uuid.uuid4())
        headers = {"x-amzn-RequestId": request_id}
        body_bytes = read_body(environ)
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING") and "?" not in raw_uri:
            raw_uri += "?" + environ["QUERY_STRING"]
        request_headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        note = CallNote()
        operation = "Unknown"
        params: dict[str, Any] = {}
        try:
            parsed = parse(environ["REQUEST_METHOD"], raw_uri, request_headers, body_bytes)
            operation, params = parsed.operation, parsed.params
            for fault in self.faults.decide(operation, "edge"):
                note.fault = fault.kind
                if fault.delay_seconds:
                    time.sleep(fault.delay_seconds)
                if fault.error is not None:
                    raise fault.error
            validate(operation_model(operation).input_shape, params)
            status, body = self.service.handle(operation, params, region, note)
            error = None
        except BedrockError as exc:
            status, body, error = exc.status, exc.body(), exc.code
            headers["x-amzn-ErrorType"] = f"{exc.code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        self._log(operation, region, status, error, params, note)
        return _respond(start_response, status, body, headers)

    def _log(self, operation: str, region: str, status: int, error: str | None, params: dict, note: CallNote) -> None:
        with self.store.lock:
            self._seq += 1
            token = params.get("clientRequestToken")
            self.store.calls.append(
                CallRecord(
                    seq=self._seq,
                    time=self.clock.now(),
                    operation=operation,
                    region=region,
                    status=status,
                    error=error,
                    client_request_token=token if isinstance(token, str) else None,
                    target=note.target,
                    replayed=note.replayed,
                    fault=note.fault,
                )
            )


def _presigned_for_s3(environ: dict[str, Any]) -> bool:
    """A presigned S3 URL signs in the query string (``X-Amz-Credential=.../s3/aws4_request``), not a header."""
    return "/s3/aws4_request" in unquote(environ.get("QUERY_STRING", ""))


def read_body(environ: dict[str, Any]) -> bytes:
    """A WSGI request's body: its Content-Length, or to the end of a chunked or terminated stream."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        return stream.read(length)
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _respond(start_response: Any, status: int, body: dict, headers: dict[str, str]) -> list[bytes]:
    payload = json.dumps(body, default=_json_default).encode()
    reason = {200: "OK", 201: "Created", 202: "Accepted"}.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [("Content-Type", _JSON_TYPE), ("Content-Length", str(len(payload))), *headers.items()],
    )
    return [payload]


def _request_handler(log_requests: bool) -> type:
    """moto's handler (it keeps S3's underscored metadata headers), quiet unless asked: tests read stderr."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    if log_requests:
        return MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return QuietHandler


class Emulator:
    """Start and stop the endpoint around the code that uses it.

    ``speed`` is virtual seconds per wall second (0: frozen, move it with ``controls.advance``); ``seed`` makes ids
    and rate-based faults repeat exactly. ``port=0`` picks a free port.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        seed: int = 0,
        log_requests: bool = False,
    ) -> None:
        self.app = EmulatorApp(speed=speed, seed=seed)
        self._log_requests = log_requests
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def controls(self) -> Controls:
        return self.app.controls

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def client_environment(self, region: str = "us-east-1") -> dict[str, str]:
        """Environment for a subprocess whose unmodified boto3 must reach this endpoint with fake credentials."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }

    def _make_server(self) -> BaseWSGIServer:
        server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=_request_handler(self._log_requests)
        )
        server.daemon_threads = True  # type: ignore[attr-defined]
        return server

    def start(self) -> Emulator:
        """Bind (a free port unless one was given) and serve on a background thread."""
        if self._server is not None:
            return self
        self._server = self._make_server()
        server = self._server
        # A short poll interval makes stop() return in ~50 ms instead of werkzeug's 500 ms.
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="bedrock-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
