"""The accelerated clock the driver shares with the emulator.

Why one clock: a job's duration (emulator), crhelper's poll rate (``rate(1 minute)``), Lambda's retry delays and
CloudFormation's ServiceTimeout must all be measured in the same virtual seconds, or a "30-minute" job would race a
"one-hour" timeout unfairly. The emulator owns virtual time; the driver reads it and converts waits to wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


class AcceleratedClock:
    """Virtual time read from ``now`` (the emulator's clock), running ``speed`` virtual seconds per wall second."""

    def __init__(self, now: Callable[[], datetime], speed: Callable[[], float]) -> None:
        self._now = now
        self._speed = speed

    def now(self) -> float:
        """Virtual epoch seconds."""
        return self._now().timestamp()

    def to_wall(self, virtual_seconds: float) -> float:
        """How long ``virtual_seconds`` take in wall seconds (0 when the clock is frozen: tests advance it)."""
        speed = self._speed()
        return virtual_seconds / speed if speed > 0 else 0.0
