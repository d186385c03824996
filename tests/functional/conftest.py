"""The real crhelper flow on JSON events, with AWS only at the HTTP boundary.

- Bedrock, EventBridge and Lambda are botocore clients with a Stubber (every request checked against the model).
- KMS (which seals the response URL in every poll input) is a fake on the same botocore hooks a Stubber uses: it
  answers Encrypt and Decrypt as KMS does (opaque ciphertexts, bound to their key and encryption context), so every
  poll setup and every poll is answered without each test queueing it; :meth:`FakeKms.refuse` orders a failure.
- CloudFormation's side is a real HTTPS server on 127.0.0.1 with a self-signed certificate, trusted through
  ``CFN_RESPONSE_CA_BUNDLE`` exactly as the local driver does; it records each PUT to the response URL.
- The Lambda context is a small object with Lambda's interface.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import os
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from bedrock_customization_provider import contract, handler, poll_secret
from botocore.awsrequest import AWSResponse
from botocore.stub import ANY, Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

EVENTS = Path(__file__).resolve().parent.parent / "events"
ACCOUNT = "123456789012"
FUNCTION_NAME = "BedrockCustomizationProvider"
STACK_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/demo-stack/5b6a3a40-ab12-11ee-9f4e-0a1b2c3d4e5f"
RULE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bedrock-cr-poll-rule"
SIGNATURE = "X-Amz-Signature=c2VjcmV0LXNpZ25hdHVyZS1kby1ub3QtbG9n"
POLL_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


# --- CloudFormation's response endpoint ------------------------------------------------------------------------------
@dataclass
class ResponseServer:
    url: str
    ca_bundle: str
    received: list[dict] = field(default_factory=list)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="session")
def response_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResponseServer]:
    cert_path, key_path = _self_signed(tmp_path_factory.mktemp("tls"))
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append({"path": self.path, "body": json.loads(body)})
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{server.server_address[1]}/cloudformation-response/{ACCOUNT}?{SIGNATURE}"
    yield ResponseServer(url=url, ca_bundle=str(cert_path), received=received)
    server.shutdown()
    server.server_close()


# --- Lambda's context ------------------------------------------------------------------------------------------------
class LambdaContext:
    """The attributes and method of Lambda's context object the provider and crhelper use."""

    function_name = FUNCTION_NAME
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION_NAME}"
    aws_request_id = "11111111-2222-3333-4444-555555555555"
    memory_limit_in_mb = 256

    def __init__(self, remaining_ms: int = 900_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


# --- KMS --------------------------------------------------------------------------------------------------------------
class FakeKms:
    """KMS Encrypt and Decrypt for one botocore client, answered in place of the HTTP call (botocore's
    ``before-call`` hook, as Stubber does) after botocore has validated the request against KMS's model.

    A ciphertext is random bytes remembered with its key, plaintext and encryption context; Decrypt gives the
    plaintext back only for that ciphertext with exactly that context (else ``InvalidCiphertextException``) and, when
    a KeyId is named, that key (else ``IncorrectKeyException``), as KMS does.
    """

    def __init__(self, client: Any) -> None:
        self._sealed: dict[bytes, tuple[str, bytes, dict[str, str]]] = {}
        self._refusals: list[tuple[str, str, str]] = []
        client.meta.events.register("before-parameter-build.kms.*", self._keep_params)
        client.meta.events.register("before-call.kms.*", self._answer)

    def refuse(self, operation: str, code: str, message: str = "refused") -> None:
        """The next ``operation`` (``Encrypt`` or ``Decrypt``) fails with ``code``."""
        self._refusals.append((operation, code, message))

    @property
    def pending_refusals(self) -> list[tuple[str, str, str]]:
        return list(self._refusals)

    @staticmethod
    def _keep_params(params: dict, context: dict, **_: Any) -> None:
        context["fake_kms_params"] = copy.deepcopy(params)

    def _answer(self, model: Any, context: dict, **_: Any) -> tuple[AWSResponse, dict]:
        params = context["fake_kms_params"]
        for i, (operation, code, message) in enumerate(self._refusals):
            if operation == model.name:
                del self._refusals[i]
                return self._error(code, message)
        if model.name == "Encrypt":
            blob = b"\x01fake-kms" + os.urandom(48)
            self._sealed[blob] = (params["KeyId"], params["Plaintext"], dict(params.get("EncryptionContext") or {}))
            return self._ok(
                {"CiphertextBlob": blob, "KeyId": params["KeyId"], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
            )
        if model.name == "Decrypt":
            sealed = self._sealed.get(params["CiphertextBlob"])
            if sealed is None or sealed[2] != dict(params.get("EncryptionContext") or {}):
                return self._error("InvalidCiphertextException", "")
            if params.get("KeyId") not in (None, sealed[0]):
                return self._error("IncorrectKeyException", "The key ID in the request does not identify a CMK")
            return self._ok({"Plaintext": sealed[1], "KeyId": sealed[0], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
        raise AssertionError(f"the fake KMS does not answer {model.name}")

    @staticmethod
    def _ok(body: dict) -> tuple[AWSResponse, dict]:
        return AWSResponse(None, 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    @staticmethod
    def _error(code: str, message: str) -> tuple[AWSResponse, dict]:
        error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse(None, 400, {}, None), error


# --- the harness -----------------------------------------------------------------------------------------------------
class Harness:
    """Drives ``handler.main`` and holds the stubs; ``invoke`` returns the response CloudFormation received, if any."""

    def __init__(self, server: ResponseServer) -> None:
        self.server = server
        runtime = handler.runtime()
        self.runtime = runtime
        self.bedrock = Stubber(runtime.clients.bedrock)
        self.events = Stubber(runtime.clients.events)
        self.lambda_ = Stubber(runtime.clients.lambda_)
        self.cloudformation = Stubber(runtime.clients.cloudformation)
        self.kms = FakeKms(runtime.resource.kms_client)  # the client that seals and unseals poll inputs
        self.calls: dict[str, list[dict]] = {}
        clients = runtime.clients
        kms = runtime.resource.kms_client
        for client in (clients.bedrock, clients.events, clients.lambda_, clients.cloudformation, kms):
            client.meta.events.register("before-parameter-build.*.*", self._record)
        # EventBridge answers PutRule with the ARN of the rule it was asked for (the stub's is a placeholder): the
        # provider checks that a poll names its own rule
        clients.events.meta.events.register("after-call.events.PutRule", self._real_rule_arn)
        self.context = LambdaContext()

    def _real_rule_arn(self, parsed: dict, **_: Any) -> None:
        if "RuleArn" in parsed:
            parsed["RuleArn"] = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{self.calls['PutRule'][-1]['Name']}"

    def _record(self, params: dict, model: Any, **_: Any) -> None:
        self.calls.setdefault(model.name, []).append(copy.deepcopy(params))

    def event(self, name: str, **changes: Any) -> dict:
        """``tests/events/<name>.json`` with the response URL of the local server; top-level keys replaced."""
        event = json.loads((EVENTS / f"{name}.json").read_text())
        event["ResponseURL"] = self.server.url
        event.update(changes)
        return event

    def mark(self) -> None:
        """Answers from now on are what :meth:`wait_for_response` and :meth:`responses_since_mark` look at."""
        self._mark = len(self.server.received)

    def invoke_quietly(self, event: dict) -> None:
        """``handler.main`` on ``event`` with no check of the answers (for tests that read them as they come)."""
        handler.main(copy.deepcopy(event), self.context)

    def wait_for_response(self, timeout: float) -> dict:
        """The first answer CloudFormation received since :meth:`invoke_quietly` began (waits up to ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.server.received) <= self._mark and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.server.received[self._mark]["body"]

    def responses_since_mark(self) -> int:
        return len(self.server.received) - self._mark

    def invoke(self, event: dict) -> dict | None:
        before = len(self.server.received)
        handler.main(copy.deepcopy(event), self.context)
        after = self.server.received[before:]
        assert len(after) <= 1, after
        return after[0]["body"] if after else None

    # crhelper's poll machinery, as EventBridge and Lambda answer it
    def expect_poll_setup(self) -> None:
        self.events.add_response(
            "put_rule",
            {"RuleArn": RULE_ARN},
            {"Name": ANY, "ScheduleExpression": ANY, "State": "ENABLED", "Description": ANY},
        )
        self.lambda_.add_response("add_permission", {"Statement": "{}"})
        self.events.add_response("put_targets", {"FailedEntryCount": 0, "FailedEntries": []})

    def expect_poll_teardown(self) -> None:
        self.events.add_response("remove_targets", {"FailedEntryCount": 0, "FailedEntries": []})
        self.lambda_.add_response("remove_permission", {})
        self.events.add_response("delete_rule", {})

    def poll_event(self) -> dict:
        """The input crhelper gave the EventBridge target: what the next scheduled poll delivers (its response URL
        sealed with the poll key)."""
        return json.loads(self.calls["PutTargets"][-1]["Targets"][0]["Input"])

    def aged(self, poll: dict, seconds: int) -> dict:
        """``poll`` as the provider would have sealed it ``seconds`` earlier (its StartedAt that much older). A poll
        altered in place does not decrypt: every field of it is bound to its sealed response URL."""
        if poll_secret.CIPHERTEXT_KEY not in poll:  # a template from before the poll key: nothing is sealed
            return {
                **poll,
                "CrHelperData": {**poll["CrHelperData"], "StartedAt": poll["CrHelperData"]["StartedAt"] - seconds},
            }
        secret = poll_secret.PollSecret(self.runtime.resource.kms_client, POLL_KEY_ARN)
        plain = secret.unseal(poll)
        plain["CrHelperData"]["StartedAt"] -= seconds
        return secret.seal(plain)

    POLL_KEY_ARN = POLL_KEY_ARN

    # Bedrock answers and ARNs, for the tests (test modules cannot import conftest)
    JOB_ARN = property(lambda self: JOB_ARN)
    NEW_JOB_ARN = property(lambda self: NEW_JOB_ARN)
    MODEL_ARN = property(lambda self: MODEL_ARN)
    IMPORTED_MODEL_ARN = property(lambda self: IMPORTED_MODEL_ARN)
    NEW_IMPORTED_MODEL_ARN = property(lambda self: NEW_IMPORTED_MODEL_ARN)

    @staticmethod
    def job_description(status: str, **extra: Any) -> dict:
        return job_description(status, **extra)

    @staticmethod
    def model_description(status: str, **extra: Any) -> dict:
        return model_description(status, **extra)

    def assert_done(self) -> None:
        for stub in (self.bedrock, self.events, self.lambda_, self.cloudformation):
            stub.assert_no_pending_responses()
        assert not self.kms.pending_refusals, f"KMS refusals never used: {self.kms.pending_refusals}"


@pytest.fixture
def harness(response_server: ResponseServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setenv(contract.ENV_RESPONSE_CA_BUNDLE, response_server.ca_bundle)
    monkeypatch.setenv(contract.ENV_POLL_INTERVAL_MINUTES, "1")
    monkeypatch.setenv(contract.ENV_RETRY_BASE_DELAY_SECONDS, "0.001")
    monkeypatch.setenv(contract.ENV_STACK_ID, STACK_ID)  # the stack of tests/events/*.json: the one served
    monkeypatch.setenv(contract.ENV_POLL_KEY_ARN, POLL_KEY_ARN)  # polls carry the response URL sealed with it
    handler.runtime.cache_clear()
    h = Harness(response_server)
    with h.bedrock, h.events, h.lambda_, h.cloudformation:
        yield h
        h.assert_done()
    handler.runtime.cache_clear()


# --- Bedrock answers -------------------------------------------------------------------------------------------------
JOB_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/amazon.titan-text-express-v1:0:8k/abcdef123456"
NEW_JOB_ARN = (
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/amazon.titan-text-express-v1:0:8k/fedcba654321"
)
MODEL_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/0a1b2c3d4e5f"
IMPORTED_MODEL_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/imported/abcdef654321"
NEW_IMPORTED_MODEL_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/imported/123456fedcba"


def job_description(status: str, arn: str = JOB_ARN, **extra: Any) -> dict:
    """A GetModelCustomizationJob answer (the members the output shape requires, plus ``extra``); created just now
    unless ``creationTime`` says otherwise (it anchors the wait budget)."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    answer = {
        "jobArn": arn,
        "jobName": "demo-stack-FineTuneJob1A2B3C4D-0123456789ab",
        "outputModelName": "demo-custom-model",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/demo-stack-BedrockRole",
        "status": status,
        "creationTime": now,
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k",
        "trainingDataConfig": {"s3Uri": "s3://demo-bucket/train/data.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://demo-bucket/validation/data.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://demo-bucket/output/"},
    }
    answer.update(extra)
    return answer


def model_description(status: str, arn: str = IMPORTED_MODEL_ARN, **extra: Any) -> dict:
    """A GetCustomModel answer, created just now unless ``creationTime`` says otherwise."""
    answer = {
        "modelArn": arn,
        "modelName": "demo-stack-NovaModelE5F6A7B8-0123456789ab",
        "creationTime": datetime.datetime.now(datetime.UTC).replace(microsecond=0),
        "modelStatus": status,
        "customizationType": "IMPORTED",
    }
    answer.update(extra)
    return answer
