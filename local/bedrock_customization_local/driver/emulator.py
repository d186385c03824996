"""Starting and steering the local Bedrock emulator from the driver.

Why a thin adapter: the emulator is another part's package with its own API; the driver needs five things from it
(an endpoint, its clock, its control API, its state dump, a route for the services the driver answers itself) and
keeps that dependency in this one file. It runs in the driver's process on a background thread; the provider reaches
it over HTTP like any endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bedrock_customization_local.emulator import Controls, Emulator

from .clock import AcceleratedClock


@dataclass
class EmulatorHandle:
    emulator: Emulator

    @property
    def endpoint_url(self) -> str:
        return self.emulator.endpoint_url

    @property
    def controls(self) -> Controls:
        """Scenarios, faults, the clock, state dumps (see ``bedrock_customization_local.emulator.Controls``)."""
        return self.emulator.controls

    @property
    def clock(self) -> AcceleratedClock:
        virtual = self.emulator.app.clock
        return AcceleratedClock(now=virtual.now, speed=lambda: virtual.speed)

    def state(self) -> dict[str, Any]:
        return self.controls.state()

    def route_service(self, signing_name: str, app: Any) -> None:
        """Answer requests signed for ``signing_name`` with the WSGI ``app`` (see ``EmulatorApp.route_service``)."""
        self.emulator.app.route_service(signing_name, app)

    def unroute_service(self, signing_name: str) -> None:
        self.emulator.app.unroute_service(signing_name)

    def stop(self) -> None:
        self.emulator.stop()


def start_emulator(*, speed: float, seed: int = 0) -> EmulatorHandle:
    return EmulatorHandle(Emulator(speed=speed, seed=seed).start())
