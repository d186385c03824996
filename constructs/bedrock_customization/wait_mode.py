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

    - ``LONG`` (default for jobs): the stack waits until the job has ended, up to ``wait_timeout`` (at most 12 hours,
      CloudFormation's limit for a wait condition); every attribute is available. The end is seen within seconds
      from Bedrock's job state-change events, or at the next one-minute poll if an event is lost. Costs two extra
      resources per job (a wait condition and a reader), two EventBridge rules and two Lambda permissions per stack,
      and while anything waits one invocation per minute plus one per job event. A job still running at the timeout
      is stopped and the stack rolls back; a failed job rolls it back with Bedrock's message.
    - ``SHORT``: the resource completes once the job has completed (every attribute available), within
      CloudFormation's custom-resource limit (``service_timeout``, at most 1 hour); a job still running then is
      stopped and the deployment fails saying so. Costs one Lambda invocation and one Bedrock read per minute, and
      one Lambda permission per waiting resource while it waits (Lambda's 20 KB policy quota: about 49 at once).
    - ``NONE``: the resource completes as soon as the job has started; the stack does not wait for training (for
      pipelines with their own time limits). Only ``job_arn`` and ``job_name`` are available; the job keeps training
      after the deployment, and deleting the stack (or replacing the job) still stops it.
    """

    LONG = contract.WAIT_MODE_LONG
    SHORT = contract.WAIT_MODE_SHORT
    NONE = contract.WAIT_MODE_NONE
