"""A job's loss curve: training loss per step, its mean per epoch, and validation loss where Bedrock wrote it.

Why matplotlib's object API (a :class:`~matplotlib.figure.Figure` on an Agg canvas) and not pyplot: no display, no
global figure state, nothing to close; the command may run in CI or over SSH. The figure and axes are returned, so
tests read the labels, title and legend from them instead of comparing pixels.

matplotlib is imported inside :func:`plot_loss`: the module imports without the ``watch`` extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .training_metrics import MetricsSeries

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Size of the picture: 10 x 5.5 inches at 100 dots per inch, a 1000 x 550 PNG.
FIGURE_INCHES = (10.0, 5.5)
DPI = 100
X_LABEL = "step"
Y_LABEL = "loss"
TRAINING_LABEL = "training loss (per step)"
EPOCH_LABEL = "training loss (epoch mean)"
VALIDATION_LABEL = "validation loss"


@dataclass(frozen=True)
class LossPlot:
    figure: Figure
    axes: Axes
    png: Path
    svg: Path


def plot_loss(
    title: str,
    training: MetricsSeries | None,
    validation: MetricsSeries | None,
    out_dir: Path,
    stem: str,
) -> LossPlot:
    """Draw the curves and write ``<stem>.png`` and ``<stem>.svg`` into ``out_dir`` (created if needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if training is not None and training.rows:
        axes.plot(training.steps, training.losses, color="tab:blue", linewidth=1.0, alpha=0.6, label=TRAINING_LABEL)
        means = training.epoch_means()
        if means:
            axes.plot(
                [m.last_step for m in means],
                [m.mean_loss for m in means],
                color="tab:blue",
                marker="o",
                linewidth=2.0,
                label=EPOCH_LABEL,
            )
    if validation is not None and validation.rows:
        axes.plot(
            validation.steps, validation.losses, color="tab:orange", marker="s", linewidth=1.5, label=VALIDATION_LABEL
        )
    axes.set_title(title)
    axes.set_xlabel(X_LABEL)
    axes.set_ylabel(Y_LABEL)
    axes.grid(True, alpha=0.3)
    if axes.lines:
        axes.legend(loc="upper right")
    else:
        axes.text(0.5, 0.5, "no metrics yet", transform=axes.transAxes, ha="center", va="center", color="gray")
    figure.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    # savefig writes the figure's own size (no bbox_inches="tight"), so the PNG is exactly FIGURE_INCHES x DPI.
    figure.savefig(png, format="png", dpi=DPI)
    figure.savefig(svg, format="svg")
    return LossPlot(figure, axes, png, svg)
