"""The terminal side: a compact rich table for the live view, plain lines for ``--once`` (logs, CI, grep).

Why two forms: a live table redraws in place and must stay narrow (long ARNs wrap mid-value in a cell), while a
snapshot printed once is read later, so every value goes on a line of its own, whole. Values are
:class:`~rich.text.Text` (never markup): names and failure messages may hold square brackets.

rich is imported inside the functions that draw: the module imports without the ``watch`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .job_state import Phase
from .snapshot import JobEntry, ModelEntry, WatchSnapshot
from .stack_resources import WAIT_MODE_LONG, WatchedResource

if TYPE_CHECKING:
    from rich.console import RenderableType

SPARK_CHARACTERS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24
_PHASE_MARK = {"Completed": "✓", "InProgress": "…", "NotStarted": "·", "Failed": "✗", "Stopping": "■", "Stopped": "■"}
_STYLE = {"COMPLETE": "green", "Completed": "green", "Active": "green", "FAILED": "red", "Failed": "red"}


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """``values`` as at most ``width`` block characters, low to high (longer series are averaged into buckets).

    >>> sparkline([3.0, 2.0, 1.0, 1.0])
    '█▅▁▁'
    """
    if not values:
        return ""
    if len(values) > width:
        buckets = [values[len(values) * i // width : len(values) * (i + 1) // width] for i in range(width)]
        values = [sum(b) / len(b) for b in buckets if b]
    low, high = min(values), max(values)
    top = len(SPARK_CHARACTERS) - 1
    if high == low:
        return SPARK_CHARACTERS[top // 2] * len(values)
    return "".join(SPARK_CHARACTERS[round((v - low) / (high - low) * top)] for v in values)


def moment(value: datetime | None) -> str:
    """A Bedrock or CloudFormation time in UTC to the second, e.g. ``2026-11-25 10:00:00Z``."""
    if value is None:
        return ""
    if value.tzinfo is not None:  # botocore parses times as aware; a naive one is taken as UTC
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def duration(start: datetime | None, end: datetime | None) -> str:
    """``1h 02m`` / ``4m 05s`` between two times (empty when either is unknown)."""
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def phase_line(phase: Phase) -> str:
    """``training  InProgress  started 2026-11-25 10:30:00Z`` or, once ended, with its end and how long it took."""
    text = f"{phase.name:<16} {phase.status:<11}"
    if phase.started is not None:
        text += f" started {moment(phase.started)}"
    if phase.finished and phase.updated is not None:
        text += f"  ended {moment(phase.updated)} ({duration(phase.started, phase.updated)})"
    return text.rstrip()


def phase_marks(phases: Sequence[Phase]) -> str:
    """``✓ validation ✓ data processing … training``: the live table's one-cell form."""
    return " ".join(f"{_PHASE_MARK.get(p.status, '?')} {p.name}" for p in phases)


def loss_summary(entry: JobEntry, width: int = SPARK_WIDTH) -> str:
    """``▇▅▃▂▁ 0.4120 at step 120 (epoch 1)`` plus the latest validation loss, or the entry's note."""
    metrics = entry.metrics
    if metrics is None or metrics.training is None or not metrics.training.rows:
        return entry.note
    training = metrics.training
    last = training.rows[-1]
    epoch = f" (epoch {last.epoch})" if last.epoch is not None else ""
    text = f"{sparkline(training.losses, width)} {last.loss:.4f} at step {last.step}{epoch}"
    if metrics.validation is not None and metrics.validation.rows:
        text += f"; validation {metrics.validation.rows[-1].loss:.4f}"
    return text


def cloudformation_status(resource: WatchedResource) -> str:
    """The resource's status and, in the Long mode, the status of the condition the stack waits on."""
    text = resource.status
    if resource.wait_mode == WAIT_MODE_LONG:
        text += f", stack waits: {resource.wait_status or 'not started'}"
    return text


def plain_lines(snapshot: WatchSnapshot, pictures: Mapping[str, Sequence[Path]] | None = None) -> list[str]:
    """The snapshot as lines, every value whole; ``pictures``: logical id -> files written for it."""
    stack = snapshot.stack
    lines = [f"stack {stack.name}  {stack.status}  (read {moment(snapshot.taken)})"]
    if stack.reason:
        lines.append(f"  reason  {stack.reason}")
    for name, value in stack.outputs.items():
        lines.append(f"  output {name}  {value}")
    for entry in snapshot.jobs:
        lines += _job_lines(entry, (pictures or {}).get(entry.resource.logical_id, ()))
    for model_entry in snapshot.models:
        lines += _model_lines(model_entry)
    return lines


def _resource_lines(resource: WatchedResource) -> list[str]:
    lines = [f"  {resource.logical_id}  {resource.resource_type}  {resource.status}"]
    if resource.reason:
        lines.append(f"    reason           {resource.reason}")
    if resource.wait_mode == WAIT_MODE_LONG:
        lines.append(
            f"    wait mode        Long: the stack waits on {resource.wait_condition} "
            f"({resource.wait_status or 'not started'})"
        )
    else:
        lines.append("    wait mode        Short or None (not Long; the WaitMode property is only in the template)")
    return lines


def _job_lines(entry: JobEntry, pictures: Sequence[Path]) -> list[str]:
    lines = _resource_lines(entry.resource)
    job = entry.job
    if job is not None and not job.error:
        lines.append(f"    job              {job.status}  {job.name}")
        lines.append(f"    job arn          {job.arn}")
        lines += [f"    {phase_line(phase)}" for phase in job.phases]
        attributes = (
            ("output model arn", job.output_model_arn),
            ("output model", job.output_model_name),
            ("end time", moment(job.ended)),
            ("failure message", job.failure_message),
            ("training loss", "" if job.training_loss is None else f"{job.training_loss}"),
            ("validation loss", "" if job.validation_loss is None else f"{job.validation_loss}"),
        )
        lines += [f"    {name:<16} {value}" for name, value in attributes if value]
    if entry.metrics is not None and entry.metrics.training is not None and entry.metrics.training.rows:
        lines.append(f"    loss             {loss_summary(entry, width=SPARK_WIDTH)}")
        lines.append(f"    metrics          {entry.metrics.location.uri}")
    if entry.note:
        lines.append(f"    note             {entry.note}")
    lines += [f"    picture          {path}" for path in pictures]
    return lines


def _model_lines(entry: ModelEntry) -> list[str]:
    lines = _resource_lines(entry.resource)
    model = entry.model
    if model is not None and not model.error:
        lines.append(f"    model            {model.status}  {model.name}")
        lines.append(f"    model arn        {model.arn}")
        attributes = (
            ("customization", model.customization_type),
            ("created", moment(model.created)),
            ("failure message", model.failure_message),
        )
        lines += [f"    {name:<16} {value}" for name, value in attributes if value]
    if entry.note:
        lines.append(f"    note             {entry.note}")
    return lines


def render(snapshot: WatchSnapshot, *, interval: float | None = None) -> RenderableType:
    """The live view: a header, one table row per resource, then the notes (access problems, "no metrics yet")."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    stack = snapshot.stack
    header = Text(f"{stack.name}  ", style="bold")
    header.append(stack.status, style=_style(stack.status))
    refresh = f", every {interval:g} s; Ctrl-C stops" if interval else ""
    header.append(f"   read {moment(snapshot.taken)}{refresh}", style="dim")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("resource", overflow="fold")
    table.add_column("CloudFormation")
    table.add_column("Bedrock")
    table.add_column("phases")
    table.add_column("training loss")
    notes: list[Text] = []
    for entry in snapshot.jobs:
        job = entry.job
        status = job.status if job is not None and not job.error else ""
        phases = phase_marks(job.phases) if job is not None else ""
        has_curve = entry.metrics is not None and entry.metrics.training is not None and entry.metrics.training.rows
        table.add_row(
            Text(entry.resource.logical_id),
            Text(cloudformation_status(entry.resource), style=_style(entry.resource.status)),
            Text(status, style=_style(status)),
            Text(phases),
            Text(loss_summary(entry) if has_curve else ""),
        )
        if entry.note:
            notes.append(Text(f"{entry.resource.logical_id}: {entry.note}", style="red" if entry.unreadable else "dim"))
        if job is not None and job.failure_message:
            notes.append(Text(f"{entry.resource.logical_id}: {job.failure_message}", style="red"))
    for model_entry in snapshot.models:
        model = model_entry.model
        status = model.status if model is not None and not model.error else ""
        table.add_row(
            Text(model_entry.resource.logical_id),
            Text(cloudformation_status(model_entry.resource), style=_style(model_entry.resource.status)),
            Text(status, style=_style(status)),
            Text("custom model"),
            Text(""),
        )
        if model_entry.note:
            style = "red" if model_entry.unreadable else "dim"
            notes.append(Text(f"{model_entry.resource.logical_id}: {model_entry.note}", style=style))
    return Group(header, table, *notes)


def _style(status: str) -> str:
    return next((style for word, style in _STYLE.items() if status.endswith(word)), "yellow" if status else "")
