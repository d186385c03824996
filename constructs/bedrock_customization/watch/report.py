"""A small Markdown report next to the pictures: the stack, each job's state and attributes, its loss curve.

Why Markdown: it renders on GitHub, in a CI job summary and in an editor preview, and the images it links sit in the
same folder, so the folder can be archived or attached as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .live_view import cloudformation_status, moment, phase_line
from .loss_plot import LossPlot
from .snapshot import JobEntry, ModelEntry, WatchSnapshot

REPORT_NAME = "report.md"


def write_report(snapshot: WatchSnapshot, out_dir: Path, plots: Mapping[str, LossPlot]) -> Path:
    """Write ``report.md`` into ``out_dir``; ``plots``: logical id -> the job's pictures (in ``out_dir``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    path.write_text(render_report(snapshot, out_dir, plots), encoding="utf-8")
    return path


def render_report(snapshot: WatchSnapshot, out_dir: Path, plots: Mapping[str, LossPlot]) -> str:
    stack = snapshot.stack
    lines = [
        f"# {stack.name}: customization jobs",
        "",
        f"Read {moment(snapshot.taken)} by `bedrock-customization watch`. Stack status: **{stack.status}**.",
        "",
        "| resource | type | CloudFormation | Bedrock |",
        "|---|---|---|---|",
    ]
    for entry in snapshot.jobs:
        job = entry.job
        status = job.status if job is not None and not job.error else "(unknown)"
        lines.append(_row(entry.resource.logical_id, "job", cloudformation_status(entry.resource), status))
    for model_entry in snapshot.models:
        model = model_entry.model
        status = model.status if model is not None and not model.error else "(unknown)"
        lines.append(_row(model_entry.resource.logical_id, "custom model", model_entry.resource.status, status))
    if stack.outputs:
        lines += ["", "## Outputs", "", "| output | value |", "|---|---|"]
        lines += [_row(name, f"`{value}`") for name, value in stack.outputs.items()]
    for entry in snapshot.jobs:
        lines += ["", *_job_section(entry, out_dir, plots.get(entry.resource.logical_id))]
    for model_entry in snapshot.models:
        lines += ["", *_model_section(model_entry)]
    problems = snapshot.problems
    if problems:
        lines += ["", "## Could not read", "", *[f"- {_cell(p)}" for p in problems]]
    return "\n".join(lines) + "\n"


def _job_section(entry: JobEntry, out_dir: Path, plot: LossPlot | None) -> list[str]:
    resource, job = entry.resource, entry.job
    lines = [f"## {resource.logical_id}", ""]
    facts: list[tuple[str, str]] = [
        ("CloudFormation", cloudformation_status(resource)),
        ("wait mode", resource.wait_mode),
    ]
    if job is not None and not job.error:
        facts += [
            ("job", f"`{job.name}` ({job.status})"),
            ("job ARN", f"`{job.arn}`"),
            ("output model ARN", f"`{job.output_model_arn}`" if job.output_model_arn else ""),
            ("output model", f"`{job.output_model_name}`" if job.output_model_name else ""),
            ("end time", moment(job.ended)),
            ("failure message", job.failure_message),
            ("training loss (Bedrock)", "" if job.training_loss is None else str(job.training_loss)),
            ("validation loss (Bedrock)", "" if job.validation_loss is None else str(job.validation_loss)),
        ]
    if entry.metrics is not None:
        facts.append(("metrics", f"`{entry.metrics.location.uri}`"))
        training = entry.metrics.training
        if training is not None and training.rows:
            last = training.rows[-1]
            facts.append(("last step", f"{last.step}: training loss {last.loss:.4f}"))
    if entry.note:
        facts.append(("note", entry.note))
    lines += [f"- **{name}**: {_cell(value)}" for name, value in facts if value]
    if job is not None and job.phases:
        lines += ["", "Phases:", "", *[f"- `{phase_line(phase)}`" for phase in job.phases]]
    if plot is not None:
        png, svg = _relative(plot.png, out_dir), _relative(plot.svg, out_dir)
        lines += ["", f"![{resource.logical_id} loss]({png})", "", f"[SVG]({svg})"]
    if entry.metrics is not None and entry.metrics.training is not None:
        means = entry.metrics.training.epoch_means()
        if means:
            lines += ["", "| epoch | steps | mean training loss |", "|---|---|---|"]
            lines += [_row(str(m.epoch), str(m.steps), f"{m.mean_loss:.4f}") for m in means]
    return lines


def _model_section(entry: ModelEntry) -> list[str]:
    resource, model = entry.resource, entry.model
    lines = [f"## {resource.logical_id} (custom model)", ""]
    facts: list[tuple[str, str]] = [("CloudFormation", resource.status), ("wait mode", resource.wait_mode)]
    if model is not None and not model.error:
        facts += [
            ("model", f"`{model.name}` ({model.status})"),
            ("model ARN", f"`{model.arn}`"),
            ("created", moment(model.created)),
            ("failure message", model.failure_message),
        ]
    if entry.note:
        facts.append(("note", entry.note))
    lines += [f"- **{name}**: {_cell(value)}" for name, value in facts if value]
    return lines


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    """One line, with the pipe escaped (a failure message may hold either)."""
    return " ".join(text.split()).replace("|", "\\|")


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
