"""``Custom::BedrockCustomizationResult``: the reader after a long wait, which gives the stack a finished resource.

In the long wait mode the job's own resource answers as soon as the job has started, and a wait condition holds the
stack until the job is final (:mod:`.reconcile` signals it). This resource comes after the condition: it reads the job
(or model) named by ``ResourceArn`` and answers SUCCESS with every attribute once it completed, or FAILED with the
service's failure message first (a signal carries no reason, so the stack event that names the cause is this one's).
Its Delete does nothing: the job's own resource owns the job and its model.

Physical id: the ARN it read (a replacement of the job changes ``ResourceArn``, so the reader is updated and reads the
new job). Should it find the resource not final yet (its condition was made before the resource was replaced, say),
it waits like the short mode, within its ServiceTimeout.
"""

from __future__ import annotations

import dataclasses
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
}
_BEDROCK_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:(?P<segment>[a-z-]+)/\S+$")


@dataclasses.dataclass(frozen=True)
class ResultKind:
    """Reads the resource kinds in ``readable`` (by their resource type)."""

    readable: Mapping[str, ResourceKind]
    resource_type: str = contract.RESULT_RESOURCE_TYPE

    def create(self, request: Request) -> Step:
        return self._answer(request, self._target(request))

    def update(self, request: Request) -> Step:
        return self._answer(request, self._target(request))

    def check(self, request: Request, physical_id: str, memo: Mapping[str, Any]) -> Step:
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
    def _target(request: Request) -> str:
        arn = str(request.properties.get(contract.RESULT_RESOURCE_ARN, ""))
        match = _BEDROCK_ARN.match(arn)
        if match is None or match.group("segment") not in ARN_SEGMENTS:
            raise InvalidPropertiesError(
                [f"{contract.RESULT_RESOURCE_ARN} must be a customization job or custom model ARN (got {arn[:200]!r})"]
            )
        return arn

    def _answer(self, request: Request, arn: str) -> Step:
        reading = self.read(arn)
        if not reading.final:
            return Pending(arn, began_at=reading.began_at)
        if reading.failure is not None:
            return Done(id_after_failure(request), failure=reading.failure)
        return Done(arn, dict(reading.attributes))
