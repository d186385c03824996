"""A local Amazon Bedrock control plane (model customization) that behaves like Bedrock, with moto behind it.

Start it around the code that needs it; boto3 reaches it unmodified through ``endpoint_url`` / ``AWS_ENDPOINT_URL``::

    from bedrock_emulator import Emulator, JobScenario

    with Emulator(speed=0) as emu:
        emu.controls.add_job_scenario(JobScenario(outcome="fail", failure_message="bad data"), prefix="broken-")
        bedrock = boto3.client("bedrock", endpoint_url=emu.endpoint_url)
        ...
        emu.controls.advance(6 * 3600)      # the six-hour job is done
        assert len(emu.controls.state()["jobs"]) == 1

Other processes steer it through :class:`ControlClient` (HTTP under ``/_emulator/``); ``python -m bedrock_emulator``
runs it standalone.
"""

from __future__ import annotations

from .controls import ControlClient, ControlError, Controls
from .faults import FaultRule
from .scenarios import JobScenario, ModelScenario
from .server import Emulator

__all__ = ["ControlClient", "ControlError", "Controls", "Emulator", "FaultRule", "JobScenario", "ModelScenario"]
