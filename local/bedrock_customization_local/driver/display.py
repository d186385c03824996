"""Progress of a stack operation: a live ``rich`` table on a terminal, plain lines everywhere else (CI, pipes).

Why it reads the emulator: CloudFormation only knows "IN_PROGRESS" for an hour; what a person wants to see is the
job itself (validation, data processing, training) moving, which is Bedrock's ``statusDetails``. The display
matches each resource to its newest job by name (the provider puts the logical id in generated names) or by its
physical id, and shows the phases.

Why every value goes out as a :class:`~rich.text.Text`: reasons, names, tags and ids come from templates, provider
responses, Bedrock and logs, and rich's markup would eat anything in square brackets (a provider message quoting the
pattern ``bedrock:[a-z0-9-]{1,20}:`` showed as ``bedrock:{1,20}:``). Markup is used only for the driver's own words.

Why a details section: ARNs and URLs are longer than a terminal line; in a table cell they wrap mid-value. The live
table keeps to short columns, and each long value is printed after the operation on a line of its own, never wrapped
by rich (a terminal may fold it visually; copied, it is whole).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .responses import presigned_url_kind
from .stack import JOB_TYPE, MODEL_TYPE, StackEvent

PHASES = (("validationDetails", "validation"), ("dataProcessingDetails", "data"), ("trainingDetails", "training"))
_STYLE = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow"}
_PHASE_MARK = {"Completed": "✓", "InProgress": "…", "NotStarted": "·", "Failed": "✗", "Stopping": "■", "Stopped": "■"}
#: A reason longer than this is shortened in the live table (with "…"); the details section prints it whole.
LIVE_REASON_CHARS = 100
#: What the cleanup's Delete of a resource's old physical id means, by the event's status: the resource was replaced
#: by an update (the stack keeps the new physical id), or a rollback removed the replacement it had made.
_REPLACED = {
    "DELETE_IN_PROGRESS": "replaced (deleting the old physical id)",
    "DELETE_COMPLETE": "replaced (old physical id deleted)",
    "DELETE_FAILED": "replaced (deleting the old physical id FAILED)",
}
_REPLACEMENT_ROLLED_BACK = {
    "DELETE_IN_PROGRESS": "rolled back (deleting the replacement)",
    "DELETE_COMPLETE": "rolled back (replacement deleted)",
    "DELETE_FAILED": "rolled back (deleting the replacement FAILED)",
}


def status_style(status: str) -> str:
    """The colour of a CloudFormation status (its suffix decides)."""
    return next((style for word, style in _STYLE.items() if status.endswith(word)), "")


def say(console: Console, text: str | Text, style: str = "") -> None:
    """Print one line literally (no markup, no highlighting) and never wrapped by rich: plain lines are for logs,
    and a value cut in two cannot be searched for or copied."""
    line = text if isinstance(text, Text) else Text(text, style=style)
    console.print(line, soft_wrap=True)


def shown_value(value: Any) -> str:
    """A value as the details show it: a presigned URL (a wait condition handle's physical id) is a credential in
    the URL and stays out of the output."""
    text = value if isinstance(value, str) else str(value)
    kind = presigned_url_kind(text)
    return f"({kind}, not shown)" if kind else text


def print_mapping(
    console: Console,
    title: str,
    mapping: Mapping[str, Any],
    *,
    plain: bool,
    columns: tuple[str, str] = ("key", "value"),
    indent: int = 3,
) -> None:
    """A mapping (tags, call counts) as a table: rich on a terminal, aligned ``key  value`` lines in plain mode
    (logs are read by grep, not by eye, so no box characters)."""
    pad = " " * indent
    if plain:
        say(console, f"{pad}{title}")
        width = max((len(str(k)) for k in mapping), default=0)
        for key, value in mapping.items():
            say(console, f"{pad}  {key!s:<{width}}  {value}")
        if not mapping:
            say(console, f"{pad}  (none)")
        return
    table = Table(title=Text(title), title_justify="left", show_edge=False, pad_edge=False)
    table.add_column(columns[0], style="bold")
    table.add_column(columns[1], overflow="fold")
    for key, value in mapping.items():
        table.add_row(Text(str(key)), Text(str(value)))
    if not mapping:
        table.add_row(Text("(none)", style="dim"), Text(""))
    console.print(Padding(table, (0, 0, 0, indent)))


def print_outputs(console: Console, outputs: Mapping[str, Any], *, plain: bool) -> None:
    """The stack's outputs, one aligned line each, never wrapped by rich: outputs are mostly ARNs, which a table
    cell would cut mid-value."""
    if not outputs:
        return
    say(console, "   stack outputs", style="" if plain else "bold")
    width = max(len(name) for name in outputs)
    for name, value in outputs.items():
        line = Text(f"     {name:<{width}}  ", style="" if plain else "dim")
        line.append(shown_value(value))
        say(console, line)


@contextmanager
def activity(console: Console, label: str, *, plain: bool) -> Iterator[None]:
    """Show that something slow runs (``cdk synth``): a spinner on a terminal; in plain mode a line before and one
    after with the time it took (a log then says where the minutes went)."""
    started = time.monotonic()
    if plain:
        say(console, f"   {label} ...")
        yield
        say(console, f"   {label}: done in {time.monotonic() - started:.1f} s")
        return
    with console.status(Text(f"{label} ...")):
        yield
    say(console, f"   {label}: done in {time.monotonic() - started:.1f} s", style="dim")


@dataclass
class _Row:
    logical_id: str
    resource_type: str
    status: str = "PENDING"
    reason: str = ""
    physical_id: str = ""
    detail: str = ""
    #: "replaced (old physical id deleted)" and the like, when the last events were an update's cleanup.
    note: str = ""
    old_physical_ids: list[str] = field(default_factory=list)

    @property
    def shown_status(self) -> str:
        return self.note or self.status


@dataclass
class ProgressDisplay:
    """An :class:`~.stack.Observer`; ``plain=None`` picks rich on a terminal, lines otherwise."""

    state: Callable[[], dict[str, Any]]  # the emulator's state dump
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
        self._stack_status = ""
        if self.plain:
            self._say(f"== {title}")
            return
        self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=8, transient=False)
        self._live.start()

    def end(self, attributes: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Close the section: the final table, then the details (physical ids, ``attributes`` per logical id, e.g.
        each resource's response ``Data``, and whole reasons), then the time taken."""
        self._refresh_jobs(force=True)
        if self._live is not None:
            self._live.refresh()
            self._live.stop()
            self._live = None
        self._print_details(attributes or {})
        self._say(f"   ({time.monotonic() - self._started:.1f} s)", style="dim")

    def _say(self, message: str | Text, style: str = "") -> None:
        """One line; unstyled in plain mode, which stays free of escape codes even on a terminal (``--plain``)."""
        line = message if isinstance(message, Text) else Text(message, style=style)
        say(self.console, Text(line.plain) if self.plain else line)

    # --- Observer -----------------------------------------------------------------------------------------------
    def stack_status(self, status: str) -> None:
        self._stack_status = status
        if self.plain:
            self._say(f"   stack {status}")

    def resource_status(self, event: StackEvent) -> None:
        row = self._rows.setdefault(event.logical_id, _Row(event.logical_id, event.resource_type))
        note = self._cleanup_note(row, event)
        if note:
            # The old physical id goes; the resource keeps its new id and the status its update ended with.
            row.note = note
            if event.physical_id not in row.old_physical_ids:
                row.old_physical_ids.append(event.physical_id)
            if event.reason:
                row.reason = event.reason
        else:
            row.status, row.reason, row.note = event.status, event.reason, ""
            if event.physical_id:
                row.physical_id = event.physical_id
        if self.plain:
            reason = f" ({event.reason})" if event.reason else ""
            self._say(f"   {event.logical_id:<32} {note or event.status}{reason}")
        self._refresh_jobs(force=True)

    def _cleanup_note(self, row: _Row, event: StackEvent) -> str:
        """How to call a Delete of a physical id the resource no longer has, during an update: CloudFormation's
        event says DELETE_COMPLETE, which under UPDATE_COMPLETE reads as if the resource were gone."""
        if not (event.status.startswith("DELETE_") and self._stack_status.startswith("UPDATE")):
            return ""
        if not (row.physical_id and event.physical_id and event.physical_id != row.physical_id):
            return ""
        wording = _REPLACEMENT_ROLLED_BACK if "ROLLBACK" in self._stack_status else _REPLACED
        return wording.get(event.status, "")

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
                    self._say(f"   {row.logical_id:<32}   {detail}")

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
        table.add_column("resource", overflow="fold")  # folded, never cut: a logical id is searched for
        table.add_column("status", max_width=60)
        table.add_column("Bedrock")
        for row in self._rows.values():
            status = Text(row.shown_status, style=status_style(row.status))
            if row.reason:
                reason = row.reason
                if len(reason) > LIVE_REASON_CHARS:
                    reason = reason[: LIVE_REASON_CHARS - 1] + "… (whole in the details)"
                status.append(f"\n{reason}", style="dim")
            table.add_row(Text(row.logical_id), status, Text(row.detail))
        header = Text(f"{self._title}  ", style="bold")
        header.append(self._stack_status, style=status_style(self._stack_status))
        return Group(header, table)

    # --- details ------------------------------------------------------------------------------------------------
    def _print_details(self, attributes: Mapping[str, Mapping[str, Any]]) -> None:
        """Long values, one per line, after the progress: the physical id of each resource the stack still has
        (a deleted one's is of no further use), the replaced ids, the attributes given, and whole failure reasons."""
        entries: list[tuple[_Row, list[tuple[str, str]]]] = []
        for row in self._rows.values():
            lines: list[tuple[str, str]] = []
            if row.physical_id and row.status != "DELETE_COMPLETE":
                lines.append(("physical id", shown_value(row.physical_id)))
            lines += [("replaced id", shown_value(old)) for old in row.old_physical_ids]
            if row.status != "DELETE_COMPLETE":
                lines += [(str(k), shown_value(v)) for k, v in (attributes.get(row.logical_id) or {}).items()]
            if row.reason and (row.status.endswith("FAILED") or row.note):
                lines.append(("reason", row.reason))
            if lines:
                entries.append((row, lines))
        if not entries:
            return
        self._say("   details", style="bold")
        width = max(len(key) for _, lines in entries for key, _ in lines)
        for row, lines in entries:
            head = Text(f"   {row.logical_id}", style="bold")
            head.append(f"  {row.resource_type}  ", style="dim")
            head.append(row.shown_status, style=status_style(row.status))
            self._say(head)
            for key, value in lines:
                line = Text(f"     {key:<{width}}  ", style="dim")
                line.append(value)
                self._say(line)
