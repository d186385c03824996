"""The Lambda entry point (``contract.HANDLER``): one provider function for every Bedrock resource of a stack.

It is invoked three ways, told apart by the event's shape: a CloudFormation request or one of crhelper's polls
(:class:`~.cfn_resource.BedrockResource`), or one of the long wait's triggers, a Bedrock job event or the stack's
scheduled poll (:func:`~.reconcile.reconcile`). Anything else is logged and ignored: it is not a request, so there is
no response URL to answer.

Importing it imports the protocol only: each resource kind, the reconciler and the on-failure answer are imported
when an event first needs them (:mod:`.registry`), so a cold start does not pay for the ones its event does not use.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract, logs, registry, served_stack, waiting
from .cfn_resource import BedrockResource
from .clients import Clients, create_clients
from .lifecycle import ResourceKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """What lives as long as the Lambda container: the clients and the crhelper resource."""

    clients: Clients
    resource: BedrockResource

    def waited_kinds(self, context: Any) -> Mapping[str, ResourceKind]:
        """The kinds a long wait can wait for (:data:`.registry.WAITED`), over a Bedrock client bounded by this
        invocation's time (the deployment, throughput and import kinds emit no events: the long wait's scheduled poll
        reads them). Each is built, its module imported, on first lookup."""
        return registry.Kinds(self.clients, context, registry.WAITED)


@functools.cache
def runtime() -> Runtime:
    """Built on first use, from the environment (clear with ``runtime.cache_clear()`` to rebuild)."""
    clients = create_clients()

    def kinds(context: Any) -> Mapping[str, ResourceKind]:
        return registry.Kinds(clients, context)

    resource = BedrockResource(
        kinds=kinds,
        clients=clients,
        poll_interval_minutes=waiting.poll_interval_minutes(),
        ssl_verify=os.environ.get(contract.ENV_RESPONSE_CA_BUNDLE) or None,
    )
    return Runtime(clients, resource)


def main(event: dict, context: Any) -> None:
    """Handle one CloudFormation custom-resource event, one of crhelper's polls, or a long-wait trigger."""
    logs.install_redaction()
    if not isinstance(event, dict):
        logger.error("Ignored an event that is not a JSON object (%s)", type(event).__name__)
        return
    current = runtime()  # first: crhelper's constructor sets up logging, and a line logged before it is lost
    if "RequestType" not in event and registry.load("reconcile:is_trigger")(event):  # a request is never a trigger
        _reconcile(event, context)
        return
    poll = " (poll)" if event.get("CrHelperPoll") else ""
    logger.info(
        "%s%s %s %s request %s",
        event.get("RequestType"),
        poll,
        event.get("ResourceType"),
        event.get("LogicalResourceId"),
        event.get("RequestId"),
    )
    current.resource(event, context)


def _reconcile(event: dict, context: Any) -> None:
    own = os.environ.get(contract.ENV_STACK_ID, "")
    logger.info("%s event %s", event.get("detail-type"), event.get("id"))
    if not own.startswith("arn:"):
        logger.error("%s is not set: this function cannot know which stack's waits to signal", contract.ENV_STACK_ID)
        return
    current = runtime()
    served = served_stack.served_stack() or own
    registry.load("reconcile:reconcile")(
        event,
        stack_id=served_stack.stack_to_read(served),
        rule_name=served_stack.wait_rule_name(own),
        cloudformation=current.clients.cloudformation,
        events=current.clients.events,
        kinds=current.waited_kinds(context),
    )


def on_failure_destination(event: dict, context: Any) -> None:
    """``contract.ON_FAILURE_HANDLER``: the provider's on-failure destination, a second function of the same asset.

    Lambda gives it the record of an event the provider dropped; a CloudFormation request still waiting is answered
    FAILED (:mod:`.on_failure`), so the stack does not wait out the resource's ServiceTimeout.
    """
    logs.install_redaction()
    logging.getLogger().setLevel(logging.INFO)
    clients = create_clients()
    outcome = registry.load("on_failure:answer_dropped_request")(
        event,
        stack_id=served_stack.served_stack(),
        cloudformation=clients.cloudformation,
        events=clients.events,
        ssl_verify=os.environ.get(contract.ENV_RESPONSE_CA_BUNDLE) or None,
    )
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    request_id = request_context.get("requestId") if isinstance(request_context, dict) else None
    logger.info("Dropped-event record %s: %s", request_id, outcome)
