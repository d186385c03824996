"""Which module holds each resource type's kind, imported when a request first needs it.

A cold start imports only the protocol: :mod:`.handler`, crhelper and :mod:`.cfn_resource`. A kind's module comes
with its rules, the botocore shapes, the pattern compiler and the hyperparameter catalogue. It is imported when the
first request of its type (or the first long-wait read) looks it up. A container that only serves jobs never imports
the deployment's module. :data:`KINDS` is the one map of them, ``"module:Class"`` by resource type, in this package.
``bench/synth.py`` measures the cold start.

Example::

    kinds = Kinds(clients, context)
    kinds[contract.JOB_RESOURCE_TYPE]  # imports .job_resource, builds JobKind over a RetryingClient
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from . import contract

if TYPE_CHECKING:
    from .clients import Clients
    from .lifecycle import ResourceKind

#: What a kind's constructor takes: Bedrock, retried within the invocation's time (:mod:`.retry`).
BEDROCK: Final = "bedrock"
#: What a kind's constructor takes: the kinds of :data:`WAITED`, which it reads.
WAITED_KINDS: Final = "waited"
#: What a kind's constructor takes: EventBridge.
EVENTS: Final = "events"

#: Resource type -> ("module:Class" of its kind, what its constructor takes). The order is the one an error lists.
KINDS: Final[Mapping[str, tuple[str, str]]] = {
    contract.JOB_RESOURCE_TYPE: ("job_resource:JobKind", BEDROCK),
    contract.MODEL_RESOURCE_TYPE: ("model_resource:ModelKind", BEDROCK),
    contract.DEPLOYMENT_RESOURCE_TYPE: ("deployment_resource:DeploymentKind", BEDROCK),
    contract.THROUGHPUT_RESOURCE_TYPE: ("throughput_resource:ThroughputKind", BEDROCK),
    contract.MODEL_IMPORT_RESOURCE_TYPE: ("model_import_resource:ModelImportKind", BEDROCK),
    contract.RESULT_RESOURCE_TYPE: ("result_resource:ResultKind", WAITED_KINDS),
    contract.WAIT_START_RESOURCE_TYPE: ("wait_start:WaitStartKind", EVENTS),
}
#: The kinds a long wait can wait for: the ones over Bedrock. Deployments, throughputs and imports emit no events,
#: so the long wait's scheduled poll reads them.
WAITED: Final = tuple(resource_type for resource_type, (_, takes) in KINDS.items() if takes == BEDROCK)


def load(target: str) -> Any:
    """The module ``"module"`` of this package, or the object ``"module:name"`` in it, imported on first use."""
    module, _, name = target.partition(":")
    loaded = importlib.import_module(f"{__package__}.{module}")
    return getattr(loaded, name) if name else loaded


class Kinds(Mapping[str, "ResourceKind"]):
    """One invocation's resource kinds by resource type (``only``: those of these types). A kind is built on first
    lookup, its module imported then; the kinds of one invocation share one retried Bedrock client."""

    def __init__(self, clients: Clients, context: Any, only: tuple[str, ...] = tuple(KINDS)) -> None:
        self._invocation = _Invocation(clients, context)
        self._types = only

    @classmethod
    def _of(cls, invocation: _Invocation, only: tuple[str, ...]) -> Kinds:
        kinds = cls.__new__(cls)
        kinds._invocation, kinds._types = invocation, only
        return kinds

    @property
    def waited(self) -> Kinds:
        """The kinds of :data:`WAITED`, of the same invocation."""
        return Kinds._of(self._invocation, WAITED)

    def __getitem__(self, resource_type: str) -> ResourceKind:
        if resource_type not in self._types:
            raise KeyError(resource_type)
        return self._invocation.kind(resource_type)

    def __contains__(self, resource_type: object) -> bool:
        return resource_type in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)


class _Invocation:
    """What one invocation's kinds are built from, and the kinds built so far."""

    def __init__(self, clients: Clients, context: Any) -> None:
        self.clients = clients
        self.context = context
        self.built: dict[str, ResourceKind] = {}

    def kind(self, resource_type: str) -> ResourceKind:
        if resource_type not in self.built:
            target, takes = KINDS[resource_type]
            self.built[resource_type] = load(target)(self._argument(takes))
        return self.built[resource_type]

    def _argument(self, takes: str) -> Any:
        if takes == BEDROCK:
            return self.bedrock
        if takes == WAITED_KINDS:
            return Kinds._of(self, WAITED)
        return self.clients.events

    @functools.cached_property
    def bedrock(self) -> Any:
        """Bedrock for this invocation: every call retried, none started that could not end in the time left."""
        retry = load("retry")
        return retry.RetryingClient(self.clients.bedrock, retry.Deadline.from_context(self.context))
