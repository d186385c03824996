"""``WaitMode``: how long a stack waits for a customization job, and what the job's attributes are then.

The provider applies the mode per resource (``WaitMode`` property; :mod:`bedrock_customization_provider.wait_modes`).
The attributes that exist only once training has ended cannot be wired from a mode that does not wait for it: asking
for one raises :class:`~.errors.AttributeUnavailableError` at synth time instead of failing a deploy later.
"""

from __future__ import annotations

from enum import StrEnum

from bedrock_customization_provider import contract


class WaitMode(StrEnum):
    """What ``cdk deploy`` waits for.

    - ``SHORT`` (default): the resource completes once the job has completed (every attribute available), within
      CloudFormation's custom-resource limit (``service_timeout``, at most 1 hour); a job still running then is
      stopped and the deployment fails saying so. Costs one Lambda invocation and one Bedrock read per minute.
    - ``NONE``: the resource completes as soon as the job has started; the stack does not wait for training (for
      pipelines with their own time limits). Only ``job_arn`` and ``job_name`` are available; the job keeps training
      after the deployment, and deleting the stack (or replacing the job) still stops it.
    """

    SHORT = contract.WAIT_MODE_SHORT
    NONE = contract.WAIT_MODE_NONE
