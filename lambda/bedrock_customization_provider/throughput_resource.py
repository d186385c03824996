"""``Custom::BedrockProvisionedThroughput``: provisioned throughput for a base or custom model.

Physical id: the provisioned model ARN. Attributes: see :data:`~.contract.THROUGHPUT_ATTRIBUTES`. Statuses: Creating
-> InService | Failed; an update goes Updating -> InService | Failed.

What changes in place (UpdateProvisionedModelThroughput; API reference and User Guide "Modify a Provisioned
Throughput", https://docs.aws.amazon.com/bedrock/latest/userguide/prov-thru-edit.html): the name
(``provisionedModelName`` -> ``desiredProvisionedModelName``), the model (``modelId`` -> ``desiredModelId``: only for a
throughput of a custom model, and only to the base model it was customized from or another custom model of the same
base; Bedrock refuses anything else, and the request fails with its message), and ``tags``. ``modelUnits`` and
``commitmentDuration`` cannot change after purchase: a change buys a new throughput (CloudFormation then deletes the
old one).

Delete: a throughput with a commitment cannot be deleted before its term ends (DeleteProvisionedModelThroughput's
documentation); Bedrock's refusal fails the Delete with its message and the term's end. Constructs default to
RemovalPolicy Retain for a committed throughput, so the stack's deletion leaves it (and its bill) to the user.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import contract, listing, rules
from .errors import ProviderError, error_code, error_message, none_if_not_found
from .lifecycle import Reading, Request, attributes, creation_time, failure
from .serving_resource import ServingKind

CREATING = "Creating"
IN_SERVICE = "InService"
UPDATING = "Updating"
FAILED = "Failed"


class ThroughputKind(ServingKind):
    """The provisioned throughput resource over a Bedrock client (usually a :class:`~.retry.RetryingClient`)."""

    resource_type = contract.THROUGHPUT_RESOURCE_TYPE
    operation = rules.THROUGHPUT_OPERATION
    name_member = "provisionedModelName"
    in_place = contract.THROUGHPUT_IN_PLACE_MEMBERS
    noun = "provisioned throughput"
    purpose = "throughput"
    attr_arn = contract.ATTR_PROVISIONED_MODEL_ARN
    attr_name = contract.ATTR_PROVISIONED_MODEL_NAME

    def start(self, api_request: Mapping[str, Any]) -> str:
        return self.bedrock.create_provisioned_model_throughput(**api_request)["provisionedModelArn"]

    def find(self, identifier: str) -> dict[str, Any] | None:
        return none_if_not_found(self.bedrock.get_provisioned_model_throughput, provisionedModelId=identifier)

    def recent(self, name_contains: str, since: datetime.datetime) -> list[dict[str, Any]]:
        return listing.recent_by_name(
            self.bedrock.list_provisioned_model_throughputs,
            "provisionedModelSummaries",
            name_contains=name_contains,
            created_after=since,
        )

    def reading(self, description: Mapping[str, Any], *, updating: bool) -> Reading:
        return throughput_reading(description)

    def busy(self, description: Mapping[str, Any]) -> bool:
        return description.get("status") in (CREATING, UPDATING)

    def update_in_place(self, request: Request) -> bool:
        props, old = request.properties, request.old_properties
        changes = {}
        if props.get("provisionedModelName") != old.get("provisionedModelName") and props.get("provisionedModelName"):
            changes["desiredProvisionedModelName"] = props["provisionedModelName"]
        if props.get("modelId") != old.get("modelId"):
            changes["desiredModelId"] = props["modelId"]
        if not changes:
            return False
        try:
            self.bedrock.update_provisioned_model_throughput(provisionedModelId=request.physical_id, **changes)
        except ClientError as exc:
            if error_code(exc) != "ValidationException" or "desiredModelId" not in changes:
                raise
            raise ProviderError(
                f"{error_message(exc)} (UpdateProvisionedModelThroughput: a throughput's model can change only from "
                "a custom model to the base model it was customized from or to another custom model of that base; "
                "to serve another model, buy a new throughput: change its modelUnits or name it anew in a new "
                "resource)"
            ) from exc
        return True

    def remove(self, request: Request, arn: str, description: Mapping[str, Any]) -> None:
        try:
            self.bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceNotFoundException":
                return
            expires = description.get("commitmentExpirationTime")
            committed = isinstance(expires, datetime.datetime) and expires > datetime.datetime.now(datetime.UTC)
            if code in ("ValidationException", "ConflictException") and committed:
                raise ProviderError(
                    f"{error_message(exc)} (provisioned throughput {description.get('provisionedModelName')} has a "
                    f"{description.get('commitmentDuration')} commitment until {expires.isoformat()}: Bedrock deletes "
                    "no throughput before its term ends. Set RemovalPolicy to Retain to leave it to its term, or "
                    "delete it after then.)"
                ) from exc
            raise

    def arn_of(self, description: Mapping[str, Any]) -> str:
        return str(description["provisionedModelArn"])

    def name_of(self, description: Mapping[str, Any]) -> str:
        return str(description.get("provisionedModelName") or "")


def throughput_reading(description: Mapping[str, Any]) -> Reading:
    """A throughput's state from GetProvisionedModelThroughput: final once InService or Failed."""
    status = str(description.get("status", CREATING))
    if status in (CREATING, UPDATING):
        return Reading(final=False, began_at=creation_time(description) if status == CREATING else None)
    if status == IN_SERVICE:
        return Reading(final=True, attributes=throughput_attributes(description))
    name = str(description.get("provisionedModelName", description.get("provisionedModelArn")))
    return Reading(
        final=True, failure=failure(description, "provisioned throughput", name, status, "The throughput failed.")
    )


def throughput_attributes(description: Mapping[str, Any]) -> dict[str, str]:
    """The resource's attributes from GetProvisionedModelThroughput; every one present (empty when unknown)."""
    return attributes(
        {
            contract.ATTR_PROVISIONED_MODEL_ARN: description.get("provisionedModelArn"),
            contract.ATTR_PROVISIONED_MODEL_NAME: description.get("provisionedModelName"),
            contract.ATTR_MODEL_ARN: description.get("modelArn"),
            contract.ATTR_MODEL_UNITS: description.get("modelUnits"),
            contract.ATTR_COMMITMENT_EXPIRATION_TIME: description.get("commitmentExpirationTime"),
            contract.ATTR_STATUS: status_of(description),
        }
    )


def status_of(description: Mapping[str, Any]) -> str:
    return str(description.get("status", ""))
