"""``Custom::BedrockCustomizationResult``: the reader after a long wait, which gives the stack a finished resource.

In the long wait mode the job's own resource answers as soon as the job has started, and a wait condition holds the
stack until the job is final (:mod:`.reconcile` signals it). This resource comes after the condition: it reads the job
(or model) named by ``ResourceArn`` and answers SUCCESS with every attribute once it completed, or FAILED with the
service's failure message first (a signal carries no reason, so the stack event that names the cause is this one's).
Its Delete does nothing: the job's own resource owns the job and its model.

Physical id: the ARN it read (a replacement of the job changes ``ResourceArn``, so the reader is updated and reads the
new job). Should it find the resource not final yet (its condition was made before the resource was replaced, say),
it waits like the short mode, within its ServiceTimeout.

A group's check is the same resource type given ``ResourceArns`` (every member of one wait condition): it reads each
and answers SUCCESS (attribute ``Count``) or FAILED with the first failure's message first, so a failed job fails the
stack even when nothing reads its attributes (per-job readers exist only for jobs whose attributes are used). Its
physical id is a digest of the ARNs; while members are not final, its polls carry only those ARNs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from . import contract
from .errors import InvalidPropertiesError
from .lifecycle import Done, Pending, Reading, Request, ResourceKind, Step, id_after_failure

#: Which resource type made an ARN, by the ARN's resource segment (``arn:aws:bedrock:<region>:<account>:<segment>/``).
ARN_SEGMENTS = {
    "model-customization-job": contract.JOB_RESOURCE_TYPE,
    "custom-model": contract.MODEL_RESOURCE_TYPE,
    "custom-model-deployment": contract.DEPLOYMENT_RESOURCE_TYPE,
    "provisioned-model": contract.THROUGHPUT_RESOURCE_TYPE,
    "model-import-job": contract.MODEL_IMPORT_RESOURCE_TYPE,
}
_BEDROCK_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:(?P<segment>[a-z-]+)/\S+$")


@dataclasses.dataclass(frozen=True)
class ResultKind:
    """Reads the resource kinds in ``readable`` (by their resource type)."""

    readable: Mapping[str, ResourceKind]
    resource_type: str = contract.RESULT_RESOURCE_TYPE

    def create(self, request: Request) -> Step:
        return self._answer(request, self._targets(request))

    def update(self, request: Request) -> Step:
        return self._answer(request, self._targets(request))

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
        pending = memo.get(_PENDING)
        if isinstance(pending, list):  # a check's poll: its physical id is the check's, the memo names what to read
            return self._answer_all(request, [str(arn) for arn in pending], physical_id)
        return self._answer(request, physical_id)

    def read(self, physical_id: str) -> Reading:
        """The state of the resource ``physical_id`` names (the reader's physical id is the ARN it reads)."""
        match = _BEDROCK_ARN.match(physical_id)
        of = ARN_SEGMENTS.get(match.group("segment")) if match else None
        if of is None or of not in self.readable:
            return Reading(final=True, failure=f"{physical_id[:200]} is not a job or custom model ARN.")
        return self.readable[of].read(physical_id)

    def give_up(self, request: Request, physical_id: str, why: str, memo: Mapping[str, Any]) -> Done:
        # Nothing to stop: the resource that owns the job (or model) stops it in the rollback.
        return Done(id_after_failure(request), failure=f"{physical_id} is not final yet: {why}")

    def delete(self, request: Request, memo: Mapping[str, Any]) -> Step:
        return Done(request.physical_id)

    @staticmethod
    def _targets(request: Request) -> str | list[str]:
        """The reader's ARN, or the check's list of ARNs."""
        if contract.RESULT_RESOURCE_ARNS in request.properties:
            arns = request.properties[contract.RESULT_RESOURCE_ARNS]
            if not isinstance(arns, list) or not arns:
                raise InvalidPropertiesError(
                    [f"{contract.RESULT_RESOURCE_ARNS} must be a non-empty list of job or custom model ARNs"]
                )
            return [_checked_arn(contract.RESULT_RESOURCE_ARNS, arn) for arn in arns]
        return _checked_arn(contract.RESULT_RESOURCE_ARN, request.properties.get(contract.RESULT_RESOURCE_ARN, ""))

    def _answer(self, request: Request, target: str | list[str]) -> Step:
        if isinstance(target, list):
            return self._answer_all(request, target, check_id(request))
        reading = self.read(target)
        if not reading.final:
            return Pending(target, began_at=reading.began_at)
        if reading.failure is not None:
            return Done(id_after_failure(request), failure=reading.failure)
        return Done(target, dict(reading.attributes))

    def _answer_all(self, request: Request, arns: list[str], physical_id: str) -> Step:
        """The check: every member final and completed, or the first failure (Bedrock's message first)."""
        readings = [(arn, self.read(arn)) for arn in arns]
        pending = [arn for arn, reading in readings if not reading.final]
        if pending:
            began = [r.began_at for _, r in readings if r.began_at is not None]
            return Pending(physical_id, memo={_PENDING: pending}, began_at=min(began) if began else None)
        failures = [reading.failure for _, reading in readings if reading.failure is not None]
        if failures:
            more = f" ({len(failures) - 1} more of the {len(arns)} resources of this wait failed too)"
            return Done(id_after_failure(request), failure=failures[0] + (more if len(failures) > 1 else ""))
        return Done(physical_id, {ATTR_COUNT: str(len(arns))})


#: The check's memo key: the members not final yet (all a poll needs: polls carry no properties).
_PENDING = "pending"
#: The check's attribute: how many members it read.
ATTR_COUNT = "Count"


def check_id(request: Request) -> str:
    """A check's physical id: a digest of the ARNs it reads (a changed member makes a new one; Delete does nothing)."""
    arns = request.properties.get(contract.RESULT_RESOURCE_ARNS) or []
    digest = hashlib.sha256("\n".join(str(a) for a in arns).encode()).hexdigest()[:16]
    return f"{request.logical_id[:200]}-{digest}"


def _checked_arn(name: str, arn: Any) -> str:
    text = str(arn)
    match = _BEDROCK_ARN.match(text)
    if match is None or match.group("segment") not in ARN_SEGMENTS:
        raise InvalidPropertiesError([f"{name} must hold customization job or custom model ARNs (got {text[:200]!r})"])
    return text
