"""What the constructs that make a model invocable share: :class:`~.deployment.CustomModelDeployment`,
:class:`~.throughput.ProvisionedThroughput` and :class:`~.model_import.ModelImport`.

Each is one custom resource of the stack's provider with the same conventions as jobs and custom models: attributes
are tokens read from the resource (or from its reader after a long wait), attributes that do not exist yet in the
chosen wait mode are refused at synth, and ``cdk.Tags.of(...)`` reaches the Bedrock resource.

Imported models (what a model import job makes) are not custom models in Bedrock's API: their ARNs are
``...:imported-model/<id>``, and the patterns of CreateCustomModelDeployment's ``modelArn``
(``...:custom-model/...``) and CreateProvisionedModelThroughput's ``modelId`` (a custom or foundation model, an id or
a name) accept none of them. So an imported model given to a deployment or a throughput is refused at synth with
what to do instead (invoke it on demand with its ARN), not left for Bedrock to refuse after minutes of deploying.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy, TagManager
from aws_cdk import aws_iam as iam
from constructs import Construct

from .errors import AttributeUnavailableError
from .jsii_interfaces import BEDROCK_MODEL, implements
from .long_wait import LongWait, add_waited_resource
from .references import ModelInput, model_identifier
from .stack_provider import StackProvider
from .tagging import attach_tag_manager
from .validation import is_unresolved
from .wait_mode import WaitMode

#: What invoking a served or imported model needs (InvokeModel also authorizes Converse; the stream action
#: ConverseStream): the Bedrock user guide's "Prerequisites for running model inference".
INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


@implements(BEDROCK_MODEL)
class ImportedModelReference:
    """The model a :class:`~.model_import.ModelImport` imported: invoke it on demand with its ARN as ``modelId``.

    It is an ``aws_bedrock.IModel`` (its ARN scopes IAM grants), but not a custom model: a deployment or a
    provisioned throughput refuses it at synth (the module docstring says why).

    Example::

        imported = ModelImport(stack, "Llama", model_data=S3Location(bucket, "llama-3-8b/")).imported_model
        imported.model_arn  # arn:aws:bedrock:<region>:<account>:imported-model/<id> (a token)
    """

    #: Marks what a deployment or throughput must refuse (checked without a round trip to the jsii kernel).
    is_imported_model = True

    def __init__(self, model_arn: str, model_name: str = "") -> None:
        self._model_arn = model_arn
        self._model_name = model_name

    @property
    def model_arn(self) -> str:
        return self._model_arn

    @property
    def model_name(self) -> str:
        return self._model_name


def is_imported(model: object) -> bool:
    """An imported model (or the import itself) given where a custom model is expected; an ARN string when it names
    an ``imported-model``."""
    if isinstance(model, str):
        return not is_unresolved(model) and ":imported-model/" in model
    return bool(getattr(model, "is_imported_model", False))


def served_model_problems(model: object, operation: str, member: str) -> list[str]:
    """Why ``model`` cannot be served by ``operation`` (argument ``model``, API member ``member``), if it cannot."""
    if is_imported(model):
        return [
            f"model is an imported model: {operation}'s {member} accepts custom models only (imported-model ARNs "
            "match none of its patterns, so Bedrock would refuse it after the deploy started); invoke an imported "
            "model on demand with its ARN as modelId instead (ModelImport.grant_invoke) (argument model)"
        ]
    if getattr(model, "wait_mode", None) is WaitMode.NONE:  # a CustomModel the stack does not wait for
        return [
            "model is a CustomModel with wait_mode=WaitMode.NONE: it is still Creating when this resource starts, "
            f"and {operation} needs an Active model; use WaitMode.SHORT or WaitMode.LONG on the model (argument model)"
        ]
    return []


def model_arn_of(model: ModelInput) -> str:
    """A custom model's ARN (a string as given)."""
    return model if isinstance(model, str) else model.model_arn


def model_id_of(model: ModelInput) -> str:
    """A foundation model's id or any other model's ARN (:func:`~.references.model_identifier`)."""
    return model_identifier(model)


def is_foundation_model(model: object) -> bool:
    """An ``aws_bedrock.FoundationModel`` (it has a ``model_id``; custom models do not)."""
    return not isinstance(model, str) and isinstance(getattr(model, "model_id", None), str)


def grant_invoke(grantee: iam.IGrantable, resource_arns: list[str]) -> iam.Grant:
    return iam.Grant.add_to_principal(grantee=grantee, actions=INVOKE_ACTIONS, resource_arns=resource_arns)


class ServedResource(Construct):
    """The parts of the three constructs that differ only by name: attributes by wait mode, tags, the resource.

    Subclasses set :attr:`_kind` and :attr:`_resource_type`, and call :meth:`_add_resource` once validated."""

    _kind = "resource"
    _resource_type = ""
    _operation = ""
    #: The attributes that exist when the resource has started (all that WaitMode.NONE gives).
    _started: Collection[str] = ()

    def _prepare_tags(self, explicit: Mapping[str, tuple[str, Mapping[str, str] | None]]) -> None:
        # Tags applied with cdk.Tags.of(...) join the explicit ones (see :attr:`tags`).
        self._tags: TagManager | None = None
        self._explicit_tags = dict(explicit)

    def _add_resource(
        self,
        provider: StackProvider,
        properties: dict[str, Any],
        *,
        in_place: Collection[str],
        wait_mode: WaitMode,
        wait_timeout: Duration | None,
        service_timeout: Duration,
        removal_policy: RemovalPolicy,
        service_role: iam.Role | None = None,
    ) -> None:
        """The custom resource for ``properties`` (the API request) and, in ``LONG``, the wait that follows it: the
        same for every served kind but its type and the members it changes in place."""
        resource, long_wait = add_waited_resource(
            self,
            provider,
            resource_type=self._resource_type,
            properties=properties,
            in_place=frozenset(in_place),
            wait_mode=wait_mode,
            wait_timeout=wait_timeout,
            service_timeout=service_timeout,
            removal_policy=removal_policy,
            service_role=service_role,
        )
        self._resource = resource
        #: LONG mode: the wait condition and the reader that follow the resource (None in the other modes).
        self.long_wait: LongWait | None = long_wait
        #: How the stack waits for the resource (see :class:`WaitMode`).
        self.wait_mode = wait_mode

    @property
    def tags(self) -> TagManager:
        """Tags applied with ``cdk.Tags.of(...)``; rendered on the Bedrock resource.

        Created on first read (the Tags aspect reads it when tags are applied): see :mod:`.tagging`."""
        if self._tags is None:
            resource = getattr(self, "_resource", None)  # absent when the arguments were refused
            self._tags = attach_tag_manager(self, resource, self._resource_type, self._operation, self._explicit_tags)
        return self._tags

    def _attribute(self, name: str, attribute: str) -> str:
        if self.wait_mode is WaitMode.NONE and attribute not in self._started:
            available = ", ".join(self._python_names(self._started))
            raise AttributeUnavailableError(
                self._kind,
                self.node.path,
                name,
                f"with wait_mode=WaitMode.NONE the stack completes when the {self._kind} has started; only "
                f"{available} exist then. Use WaitMode.SHORT or WaitMode.LONG to wait for it.",
            )
        return self.completion.get_att_string(attribute)

    @staticmethod
    def _python_names(attributes: Collection[str]) -> list[str]:
        names = []
        for attribute in attributes:
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in attribute).lstrip("_")
            names.append(snake)
        return names

    @property
    def resource(self) -> CustomResource:
        """The custom resource (for dependencies and overrides)."""
        return self._resource

    @property
    def completion(self) -> CustomResource:
        """The resource that completes when the stack has stopped waiting: the reader after the wait (LONG), else
        the resource itself. Depend on it to order something after the resource is ready."""
        return self.long_wait.result if self.long_wait is not None else self._resource


def without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
