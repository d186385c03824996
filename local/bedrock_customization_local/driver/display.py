"""Progress of a stack operation: a live ``rich`` table on a terminal, plain lines everywhere else (CI, pipes).

Why it reads the emulator: CloudFormation only knows "IN_PROGRESS" for an hour; what a person wants to see is the
job itself (validation, data processing, training) moving, which is Bedrock's ``statusDetails``. The display
matches each resource to its newest job by name (the provider puts the logical id in generated names) or by its
physical id, and shows the phases.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .stack import JOB_TYPE, MODEL_TYPE, StackEvent

PHASES = (("validationDetails", "validation"), ("dataProcessingDetails", "data"), ("trainingDetails", "training"))
_STYLE = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow"}
_PHASE_MARK = {"Completed": "✓", "InProgress": "…", "NotStarted": "·", "Failed": "✗", "Stopping": "■", "Stopped": "■"}


@dataclass
class _Row:
    logical_id: str
    resource_type: str
    status: str = "PENDING"
    reason: str = ""
    physical_id: str = ""
    detail: str = ""


@dataclass
class ProgressDisplay:
    """An :class:`~.stack.Observer`; ``plain=None`` picks rich on a terminal, lines otherwise."""

    state: Any  # callable returning the emulator's state dump
    console: Console = field(default_factory=Console)
    plain: bool | None = None
    refresh_seconds: float = 0.25
    _rows: dict[str, _Row] = field(default_factory=dict)
    _stack_status: str = ""
    _live: Live | None = None
    _last_refresh: float = 0.0
    _title: str = ""
    _started: float = 0.0

    def __post_init__(self) -> None:
        if self.plain is None:
            self.plain = not self.console.is_terminal

    # --- lifecycle ----------------------------------------------------------------------------------------------
    def begin(self, title: str) -> None:
        """Start a section (one stack operation)."""
        self._title = title
        self._started = time.monotonic()
        self._rows.clear()
        if self.plain:
            self._say(f"== {title}", highlight=False)
            return
        self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=8, transient=False)
        self._live.start()

    def end(self) -> None:
        self._refresh_jobs(force=True)
        if self._live is not None:
            self._live.refresh()
            self._live.stop()
            self._live = None
        self._say(f"   ({time.monotonic() - self._started:.1f} s)", style="dim", highlight=False)

    def _say(self, message: str, **kwargs: Any) -> None:
        # Plain lines are for logs: never wrapped at the console width.
        self.console.print(message, soft_wrap=True, **kwargs)

    # --- Observer -----------------------------------------------------------------------------------------------
    def stack_status(self, status: str) -> None:
        self._stack_status = status
        if self.plain:
            self._say(f"   stack {status}", highlight=False)

    def resource_status(self, event: StackEvent) -> None:
        row = self._rows.setdefault(event.logical_id, _Row(event.logical_id, event.resource_type))
        row.status, row.reason = event.status, event.reason
        if event.physical_id:
            row.physical_id = event.physical_id
        if self.plain:
            reason = f" ({event.reason})" if event.reason else ""
            self._say(f"   {event.logical_id:<32} {event.status}{reason}", highlight=False)
        self._refresh_jobs(force=True)

    def idle(self) -> None:
        self._refresh_jobs()

    # --- job details --------------------------------------------------------------------------------------------
    def _refresh_jobs(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_refresh < self.refresh_seconds:
            return
        self._last_refresh = now
        state = self.state()
        for row in self._rows.values():
            detail = self._detail(row, state)
            if detail != row.detail:
                row.detail = detail
                if self.plain and detail:
                    self._say(f"   {row.logical_id:<32}   {detail}", highlight=False)

    @staticmethod
    def _detail(row: _Row, state: dict[str, Any]) -> str:
        if row.resource_type == JOB_TYPE:
            candidates = [j for j in state.get("jobs", []) if row.logical_id in (j.get("jobName") or "")]
            candidates.sort(key=lambda j: j.get("creationTime") or "")
            job = candidates[-1] if candidates else None
            if job is None:
                job = next((j for j in state.get("jobs", []) if j["jobArn"] == row.physical_id), None)
            if job is None:
                return ""
            details = job.get("statusDetails") or {}
            phases = " ".join(
                f"{_PHASE_MARK.get(details.get(key, {}).get('status', ''), '?')} {label}" for key, label in PHASES
            )
            return f"job {job['status']}: {phases}"
        if row.resource_type == MODEL_TYPE:
            models = [m for m in state.get("models", []) if row.logical_id in (m.get("modelName") or "")]
            models.sort(key=lambda m: m.get("creationTime") or "")
            model = models[-1] if models else None
            if model is None:
                model = next((m for m in state.get("models", []) if m["modelArn"] == row.physical_id), None)
            return f"model {model['modelStatus']}" if model else ""
        return ""

    def _render(self) -> Group:
        table = Table(expand=False, show_edge=False, pad_edge=False)
        table.add_column("resource")
        table.add_column("status")
        table.add_column("Bedrock")
        for row in self._rows.values():
            style = next((s for word, s in _STYLE.items() if row.status.endswith(word)), "")
            status = Text(row.status, style=style)
            if row.reason:
                status.append(f"\n{row.reason[:100]}", style="dim")
            table.add_row(row.logical_id, status, row.detail)
        header = Text(f"{self._title}  ", style="bold")
        header.append(
            self._stack_status, style=next((s for w, s in _STYLE.items() if self._stack_status.endswith(w)), "")
        )
        return Group(header, table)
