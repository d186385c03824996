"""A virtual clock, so a six-hour customization job finishes in seconds of wall time.

Job and model lifecycles are computed from this clock's ``now()`` and never from the wall clock. Tests freeze it
(``speed=0``) and move it with :meth:`VirtualClock.advance`, which makes them deterministic; the demo runs it fast
(``speed=1000``: one wall second is about 17 virtual minutes). Thread-safe: the server answers requests on many threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """Virtual time = start + (wall seconds elapsed x speed) + explicit advances."""

    def __init__(
        self,
        *,
        speed: float = 1.0,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0 (got {speed})")
        self._lock = threading.Lock()
        self._monotonic = monotonic
        now = start or datetime.now(UTC)
        # Bedrock reports milliseconds; keeping the clock on whole milliseconds makes round trips compare equal.
        self._base_virtual = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._base_real = monotonic()
        self._speed = float(speed)

    def _rebase(self) -> datetime:
        real = self._monotonic()
        self._base_virtual += timedelta(seconds=(real - self._base_real) * self._speed)
        self._base_real = real
        return self._base_virtual

    def now(self) -> datetime:
        with self._lock:
            real = self._monotonic()
            return self._base_virtual + timedelta(seconds=(real - self._base_real) * self._speed)

    def advance(self, seconds: float) -> datetime:
        """Jump forward (never back: Bedrock's timestamps only grow)."""
        if seconds < 0:
            raise ValueError(f"cannot move the clock backwards (got {seconds} s)")
        with self._lock:
            self._rebase()
            self._base_virtual += timedelta(seconds=seconds)
            return self._base_virtual

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0 (got {speed})")
        with self._lock:
            self._rebase()
            self._speed = float(speed)

    def describe(self) -> dict:
        return {"now": iso(self.now()), "speed": self._speed}


def iso(value: datetime) -> str:
    """ISO 8601 with milliseconds and ``Z``: the form Bedrock's rest-json timestamps take on the wire."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
