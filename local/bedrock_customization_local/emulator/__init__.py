"""A local Amazon Bedrock control plane (model customization) that behaves like Bedrock, with moto behind it.

Start it around the code that needs it; boto3 reaches it unmodified through ``endpoint_url`` / ``AWS_ENDPOINT_URL``::

    from bedrock_customization_local.emulator import Emulator, JobScenario

    with Emulator(speed=0) as emu:
        emu.controls.add_job_scenario(JobScenario(outcome="fail", failure_message="bad data"), prefix="broken-")
        bedrock = boto3.client("bedrock", endpoint_url=emu.endpoint_url)
        ...
        emu.controls.advance(6 * 3600)      # the six-hour job is done
        assert len(emu.controls.state()["jobs"]) == 1

Other processes steer it through :class:`ControlClient` (HTTP under ``/_emulator/``);
``python -m bedrock_customization_local.emulator`` (or ``bedrock-customization-emulator``) runs it standalone.
"""

from __future__ import annotations

from .._extras import require_local_extra

require_local_extra("bedrock_customization_local.emulator")  # before the imports that need the extra

from .controls import ControlClient, ControlError, Controls  # noqa: E402
from .faults import FaultRule  # noqa: E402
from .scenarios import DeploymentScenario, ImportScenario, JobScenario, ModelScenario, ThroughputScenario  # noqa: E402
from .server import Emulator  # noqa: E402

__all__ = [
    "ControlClient",
    "ControlError",
    "Controls",
    "DeploymentScenario",
    "Emulator",
    "FaultRule",
    "ImportScenario",
    "JobScenario",
    "ModelScenario",
    "ThroughputScenario",
]
