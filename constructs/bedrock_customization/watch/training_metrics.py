"""Bedrock's metric CSVs, parsed: ``step_wise_training_metrics.csv`` and ``validation_metrics.csv``.

Bedrock writes ``step_number,epoch_number,training_loss,perplexity`` (``validation_loss`` in the validation file),
one row per step from 0. Why tolerant: the file is read while a job writes it, and the column set is Bedrock's to
change, so columns are found by name in any order (extra ones ignored, epoch and perplexity optional), blank lines
are skipped, and a last line that is cut short or not a number yet is dropped rather than failing the whole read.
What is refused is a file that cannot be a metrics file: no step column or no loss column (:class:`MetricsFormatError`).

>>> series = parse_metrics("step_number,epoch_number,training_loss,perplexity\\n0,0,2.5,12.1\\n1,0,2.1,8.2\\n")
>>> [row.loss for row in series.rows]
[2.5, 2.1]
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from .errors import MetricsFormatError

STEP_COLUMN = "step_number"
EPOCH_COLUMN = "epoch_number"
PERPLEXITY_COLUMN = "perplexity"
#: The loss column, by file; a bare ``loss`` is accepted in either.
LOSS_COLUMNS = ("training_loss", "validation_loss", "loss")


@dataclass(frozen=True)
class MetricRow:
    step: int
    loss: float
    epoch: int | None = None
    perplexity: float | None = None


@dataclass(frozen=True)
class EpochMean:
    epoch: int
    #: The epoch's last step: where its mean is drawn on a per-step axis.
    last_step: int
    mean_loss: float
    steps: int


@dataclass(frozen=True)
class MetricsSeries:
    """One file's rows in file order; ``loss_column`` says which column the losses came from."""

    loss_column: str
    rows: tuple[MetricRow, ...] = ()
    #: Columns present but not used (Bedrock may add some).
    ignored_columns: tuple[str, ...] = ()
    #: Lines dropped: ``(line number, why)``; a partially written last line is the usual one.
    skipped: tuple[tuple[int, str], ...] = field(default_factory=tuple)

    @property
    def steps(self) -> list[int]:
        return [row.step for row in self.rows]

    @property
    def losses(self) -> list[float]:
        return [row.loss for row in self.rows]

    @property
    def last(self) -> MetricRow | None:
        return self.rows[-1] if self.rows else None

    def epoch_means(self) -> list[EpochMean]:
        """The mean loss of each epoch, in epoch order (empty when the file has no epoch column)."""
        by_epoch: dict[int, list[MetricRow]] = {}
        for row in self.rows:
            if row.epoch is not None:
                by_epoch.setdefault(row.epoch, []).append(row)
        return [
            EpochMean(epoch, max(r.step for r in rows), sum(r.loss for r in rows) / len(rows), len(rows))
            for epoch, rows in sorted(by_epoch.items())
        ]


def parse_metrics(text: str, *, source: str = "metrics file") -> MetricsSeries:
    """Parse one metrics CSV. An empty file (created, nothing written yet) or a header alone gives no rows.

    Raises :class:`MetricsFormatError` naming ``source`` and the columns found when the header has no
    ``step_number`` or no loss column.
    """
    lines = text.splitlines()
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        return MetricsSeries(loss_column="")
    header_number, header_line = numbered[0]
    header = [_column_name(name) for name in next(csv.reader([header_line]))]
    loss_column = next((name for name in LOSS_COLUMNS if name in header), None)
    if STEP_COLUMN not in header or loss_column is None:
        missing = [STEP_COLUMN] if STEP_COLUMN not in header else []
        if loss_column is None:
            missing.append(" or ".join(LOSS_COLUMNS))
        raise MetricsFormatError(
            f"{source} is not a Bedrock metrics file: no {' and no '.join(missing)} column "
            f"(line {header_number} has: {', '.join(header) or '(nothing)'})"
        )
    index = {name: header.index(name) for name in header}
    used = {STEP_COLUMN, loss_column, EPOCH_COLUMN, PERPLEXITY_COLUMN}
    ignored = tuple(name for name in header if name not in used)
    # A file still being written may end mid-line: only the last line may be cut (no newline after it yet). Such a
    # line with fewer values than the header is dropped; one with all of them is kept (nothing tells it apart).
    cut_last = bool(text) and not text.endswith(("\n", "\r"))
    rows: list[MetricRow] = []
    skipped: list[tuple[int, str]] = []
    body = numbered[1:]
    for position, (number, line) in enumerate(body):
        values = next(csv.reader([line]))
        partial = cut_last and position == len(body) - 1
        if partial and len(values) < len(header):
            skipped.append((number, f"partially written last line ({len(values)} of {len(header)} values)"))
            continue
        try:
            rows.append(_row(values, index, loss_column))
        except ValueError as exc:
            skipped.append((number, f"partially written last line ({exc})" if partial else str(exc)))
    return MetricsSeries(loss_column=loss_column, rows=tuple(rows), ignored_columns=ignored, skipped=tuple(skipped))


def _column_name(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def _row(values: list[str], index: dict[str, int], loss_column: str) -> MetricRow:
    def cell(name: str) -> str | None:
        position = index.get(name)
        if position is None:
            return None
        if position >= len(values) or not values[position].strip():
            raise ValueError(f"no {name} value")
        return values[position].strip()

    step_text, loss_text = cell(STEP_COLUMN), cell(loss_column)
    assert step_text is not None and loss_text is not None  # both columns exist: checked on the header
    step = _integer(step_text, STEP_COLUMN)
    loss = _number(loss_text, loss_column)
    epoch_text = _optional(cell, EPOCH_COLUMN)
    perplexity_text = _optional(cell, PERPLEXITY_COLUMN)
    return MetricRow(
        step=step,
        loss=loss,
        epoch=_integer(epoch_text, EPOCH_COLUMN) if epoch_text is not None else None,
        perplexity=_number(perplexity_text, PERPLEXITY_COLUMN) if perplexity_text is not None else None,
    )


def _optional(cell: object, name: str) -> str | None:
    """An optional column's value; a row that lacks it still counts (it is not the step or the loss)."""
    try:
        return cell(name)  # type: ignore[operator]
    except ValueError:
        return None


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} {text!r} is not a finite number")
    return value


def _integer(text: str, name: str) -> int:
    value = _number(text, name)
    if value != int(value):
        raise ValueError(f"{name} {text!r} is not a whole number")
    return int(value)


def to_csv(series: MetricsSeries) -> str:
    """The series back as Bedrock's CSV (tests and the emulator-free examples write files with it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([STEP_COLUMN, EPOCH_COLUMN, series.loss_column, PERPLEXITY_COLUMN])
    for row in series.rows:
        writer.writerow([row.step, "" if row.epoch is None else row.epoch, row.loss, row.perplexity or ""])
    return buffer.getvalue()
