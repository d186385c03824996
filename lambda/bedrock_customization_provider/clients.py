"""The AWS clients the provider uses, created in one place and passed everywhere else.

Tests and the local driver reach other endpoints by changing the clients (botocore Stubber, ``AWS_ENDPOINT_URL``),
never the code. botocore's own retries are off for Bedrock: :mod:`.retry` is the one retry policy, bounded by the
Lambda's remaining time. In the Lambda, ``AWS_DATA_PATH`` makes the runtime's boto3 read the newest Bedrock model
shipped in the asset.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

#: One Bedrock attempt takes at most connect + read timeout: :mod:`.retry` starts none that could not end in time.
BEDROCK_CONNECT_TIMEOUT_SECONDS = 5
BEDROCK_READ_TIMEOUT_SECONDS = 30
BEDROCK_ATTEMPT_SECONDS = BEDROCK_CONNECT_TIMEOUT_SECONDS + BEDROCK_READ_TIMEOUT_SECONDS
_BEDROCK_CONFIG = Config(
    retries={"total_max_attempts": 1},
    connect_timeout=BEDROCK_CONNECT_TIMEOUT_SECONDS,
    read_timeout=BEDROCK_READ_TIMEOUT_SECONDS,
)
#: crhelper's EventBridge, Lambda and KMS calls (poll rule, target, permission, the URL's encryption) get botocore's
#: standard retries instead: a throttled PutRule must not fail a resource whose job already started.
_POLLING_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5}, connect_timeout=5, read_timeout=30)


class Clients:
    """Bedrock for the resources; EventBridge and Lambda for crhelper's scheduled polls, and KMS to encrypt the
    response URL in their inputs (:mod:`.poll_secret`); CloudFormation for the long wait (reading the function's own
    stack and signalling its wait conditions).

    Each client is built on first use: a cold start pays only for the ones its event needs (a job's Create in the
    long wait: Bedrock and EventBridge; a job event: CloudFormation and Bedrock), not for all five. Building a client
    parses its service model, which is most of a cold start after importing boto3 (``bench/synth.py`` measures it).
    """

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self._session = session

    @property
    def session(self) -> boto3.session.Session:
        return self._session or shared_session()

    @functools.cached_property
    def bedrock(self) -> Any:
        return self.session.client("bedrock", config=_BEDROCK_CONFIG)

    @functools.cached_property
    def events(self) -> Any:
        return self.session.client("events", config=_POLLING_CONFIG)

    @functools.cached_property
    def lambda_(self) -> Any:
        return self.session.client("lambda", config=_POLLING_CONFIG)

    @functools.cached_property
    def cloudformation(self) -> Any:
        return self.session.client("cloudformation", config=_POLLING_CONFIG)

    @functools.cached_property
    def kms(self) -> Any:
        return create_kms_client(self.session)


@functools.cache
def shared_session() -> boto3.session.Session:
    """One session per process: its loader parses each service model once (Bedrock's is large)."""
    return boto3.session.Session()


def create_clients(session: boto3.session.Session | None = None) -> Clients:
    """Clients from ``session`` (default: one shared boto3 session reading the environment), each built on first use."""
    return Clients(session)


def create_kms_client(session: boto3.session.Session | None = None) -> Any:
    """KMS for the poll inputs' response URLs, with the polls' retries (a throttled Encrypt must not fail a resource
    whose job already started)."""
    return (session or shared_session()).client("kms", config=_POLLING_CONFIG)
