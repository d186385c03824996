"""One local "account": the emulator, the response endpoint, the Lambda service, EventBridge delivery and
CloudFormation's API for the driver's stacks, together.

Why a session object: every stack operation needs all of them, started in the right order and torn down even when
something fails; tests share one session per module and reset the emulator between cases instead of paying the
start-up again.

CloudFormation: the session routes the ``cloudformation`` signing name on the emulator's endpoint to
:class:`~.cloudformation_api.CloudFormationApi`, which answers from :attr:`LocalSession.stacks`, where
every :class:`~.stack.StackRunner` registers itself when it is made (the newest runner of a name wins).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from bedrock_customization_provider import contract
from botocore.config import Config
from botocore.exceptions import ClientError

from .clock import AcceleratedClock
from .cloudformation_api import CloudFormationApi, StackRegistry
from .emulator import EmulatorHandle, start_emulator
from .polls import PollScheduler
from .responses import ResponseEndpoint
from .runtime import LambdaService
from .template import FunctionSpec

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, which the emulator's credentials map to
#: Credentials the workers sign with; they only ever reach 127.0.0.1.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


@dataclass(frozen=True)
class SessionOptions:
    #: Virtual seconds per wall second (a one-minute poll rate every 0.1 s at 600).
    speed: float = 600.0
    #: Seed for the emulator's ids and rate-based faults.
    seed: int = 0
    #: First backoff delay the provider uses for retried calls (its RETRY_BASE_DELAY_SECONDS); short locally.
    retry_base_delay_seconds: float = 0.05
    #: Keep worker logs and certificates here (a temporary folder, removed at the end, when None).
    workdir: Path | None = None


class LocalSession:
    """Use as a context manager; ``lambdas``, ``polls``, ``responses`` and ``emulator`` are ready inside it."""

    def __init__(self, options: SessionOptions | None = None) -> None:
        self.options = options or SessionOptions()
        self.region = REGION
        self.account = ACCOUNT
        self._own_workdir = self.options.workdir is None
        self.workdir = Path(self.options.workdir or tempfile.mkdtemp(prefix="cfn-driver-"))
        self.emulator: EmulatorHandle | None = None
        self.responses: ResponseEndpoint | None = None
        self.lambdas: LambdaService | None = None
        self.polls: PollScheduler | None = None
        self.clock: AcceleratedClock | None = None
        #: The stacks CloudFormation's API answers for (runners register themselves).
        self.stacks = StackRegistry()
        self.cloudformation = CloudFormationApi(self.stacks)

    def __enter__(self) -> LocalSession:
        try:
            self.emulator = start_emulator(speed=self.options.speed, seed=self.options.seed)
            self.emulator.route_service("cloudformation", self.cloudformation)
            self.clock = self.emulator.clock
            self.responses = ResponseEndpoint(self.workdir, self.region)
            self.responses.start()
            self.lambdas = LambdaService(
                self.workdir,
                {
                    **FAKE_CREDENTIALS,
                    "AWS_REGION": self.region,
                    "AWS_DEFAULT_REGION": self.region,
                    "AWS_ENDPOINT_URL": self.emulator.endpoint_url,
                    contract.ENV_RESPONSE_CA_BUNDLE: str(self.responses.ca_bundle),
                    contract.ENV_RETRY_BASE_DELAY_SECONDS: str(self.options.retry_base_delay_seconds),
                },
                virtual_to_wall=self.clock.to_wall,
            )
            controls = self.emulator.controls
            self.polls = PollScheduler(
                self.client("events"),
                self.client("lambda"),
                self.lambdas,
                self.clock,
                drain_events=lambda: controls.drain_job_events(self.region),
            )
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.lambdas is not None:
            self.lambdas.close()
        if self.responses is not None:
            self.responses.close()
        if self.emulator is not None:
            self.emulator.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- AWS side -----------------------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client for the local endpoint (the same view of the world the provider has)."""
        assert self.emulator is not None
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.emulator.endpoint_url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )

    def register_function(self, spec: FunctionSpec) -> None:
        """Make the function exist where the protocol needs it: moto (for lambda:AddPermission) and the runtime,
        with the KMS keys its environment names (the provider encrypts its poll inputs with one) in moto, under the
        ids the template's ``Ref`` resolves to."""
        assert self.lambdas is not None and self.emulator is not None
        for key in spec.kms_keys:
            self.emulator.controls.ensure_kms_key(
                key.key_id, description=key.description, policy=key.policy, rotation=key.rotation, region=self.region
            )
        self.lambdas.register(spec)
        iam, lam = self.client("iam"), self.client("lambda")
        role_name = spec.role_arn.rsplit("/", 1)[-1]
        try:
            iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=_LAMBDA_TRUST)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
        try:
            lam.get_function(FunctionName=spec.name)
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        lam.create_function(
            FunctionName=spec.name,
            Runtime=spec.runtime,
            Role=f"arn:aws:iam::{self.account}:role/{role_name}",
            Handler=spec.handler,
            Code={"ZipFile": _placeholder_zip()},
            Timeout=spec.timeout_seconds,
            MemorySize=spec.memory_mb,
        )


_LAMBDA_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
    '"Action":"sts:AssumeRole"}]}'
)


def _placeholder_zip() -> bytes:
    """moto stores a function's code but never runs it here (the driver does, from the asset)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "run by bedrock_customization_local.driver from the synthesized asset\n")
    return buffer.getvalue()
