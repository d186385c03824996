"""The Lambda entry point (``contract.HANDLER``): one provider function for every Bedrock resource of a stack."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract, logs, waiting
from .cfn_resource import BedrockResource
from .clients import Clients, create_clients
from .job_resource import JobKind
from .lifecycle import ResourceKind
from .model_resource import ModelKind
from .retry import Deadline, RetryingClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """What lives as long as the Lambda container: the clients and the crhelper resource."""

    clients: Clients
    resource: BedrockResource


@functools.cache
def runtime() -> Runtime:
    """Built on first use, from the environment (clear with ``runtime.cache_clear()`` to rebuild)."""
    clients = create_clients()

    def kinds(context: Any) -> Mapping[str, ResourceKind]:
        bedrock = RetryingClient(clients.bedrock, Deadline.from_context(context))
        return {contract.JOB_RESOURCE_TYPE: JobKind(bedrock), contract.MODEL_RESOURCE_TYPE: ModelKind(bedrock)}

    resource = BedrockResource(
        kinds=kinds,
        events_client=clients.events,
        lambda_client=clients.lambda_,
        poll_interval_minutes=waiting.poll_interval_minutes(),
        ssl_verify=os.environ.get(contract.ENV_RESPONSE_CA_BUNDLE) or None,
    )
    return Runtime(clients, resource)


def main(event: dict, context: Any) -> None:
    """Handle one CloudFormation custom-resource event (or one of crhelper's scheduled polls)."""
    logs.install_redaction()
    poll = " (poll)" if event.get("CrHelperPoll") else ""
    logger.info(
        "%s%s %s %s request %s",
        event.get("RequestType"),
        poll,
        event.get("ResourceType"),
        event.get("LogicalResourceId"),
        event.get("RequestId"),
    )
    runtime().resource(event, context)
