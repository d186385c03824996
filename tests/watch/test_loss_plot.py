"""The loss picture: files written at the documented size; what it shows is read from matplotlib's objects."""

from __future__ import annotations

from bedrock_customization.watch.loss_plot import (
    DPI,
    EPOCH_LABEL,
    FIGURE_INCHES,
    TRAINING_LABEL,
    VALIDATION_LABEL,
    plot_loss,
)
from bedrock_customization.watch.training_metrics import parse_metrics
from PIL import Image

TRAINING = "step_number,epoch_number,training_loss,perplexity\n" + "".join(
    f"{step},{step // 5},{3.0 - step * 0.1:.2f},{10 - step * 0.3:.2f}\n" for step in range(10)
)
VALIDATION = "step_number,epoch_number,validation_loss,perplexity\n4,0,2.7,14.9\n9,1,2.4,11.0\n"


def test_the_plot_writes_png_and_svg_of_the_documented_size(tmp_path):
    plot = plot_loss("FineTune: job-1 (InProgress)", parse_metrics(TRAINING), None, tmp_path / "out", "FineTune-loss")
    assert plot.png == tmp_path / "out" / "FineTune-loss.png" and plot.png.stat().st_size > 0
    assert plot.svg.read_text().lstrip().startswith("<?xml") and "<svg" in plot.svg.read_text()
    with Image.open(plot.png) as image:
        assert image.format == "PNG"
        assert image.size == (int(FIGURE_INCHES[0] * DPI), int(FIGURE_INCHES[1] * DPI))


def test_the_axes_show_steps_loss_the_title_and_a_legend_of_each_curve(tmp_path):
    plot = plot_loss("FineTune: job-1 (Completed)", parse_metrics(TRAINING), parse_metrics(VALIDATION), tmp_path, "x")
    axes = plot.axes
    assert axes.get_title() == "FineTune: job-1 (Completed)"
    assert axes.get_xlabel() == "step" and axes.get_ylabel() == "loss"
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == [TRAINING_LABEL, EPOCH_LABEL, VALIDATION_LABEL]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert list(lines[TRAINING_LABEL].get_xdata()) == list(range(10))
    assert list(lines[TRAINING_LABEL].get_ydata())[:2] == [3.0, 2.9]
    # per-epoch means sit at each epoch's last step
    assert list(lines[EPOCH_LABEL].get_xdata()) == [4, 9]
    assert list(lines[EPOCH_LABEL].get_ydata()) == [sum(3.0 - s * 0.1 for s in range(5)) / 5, 2.3]
    assert list(lines[VALIDATION_LABEL].get_ydata()) == [2.7, 2.4]
    assert plot.figure.axes == [axes]


def test_without_validation_or_epochs_only_the_training_curve_is_drawn(tmp_path):
    plot = plot_loss("t", parse_metrics("step_number,training_loss\n0,2.0\n1,1.5\n"), None, tmp_path, "t")
    assert [text.get_text() for text in plot.axes.get_legend().get_texts()] == [TRAINING_LABEL]


def test_with_no_rows_the_picture_says_no_metrics_yet(tmp_path):
    plot = plot_loss("t", parse_metrics("step_number,training_loss\n"), None, tmp_path, "t")
    assert plot.axes.get_legend() is None
    assert [text.get_text() for text in plot.axes.texts] == ["no metrics yet"]
    assert plot.png.exists() and plot.svg.exists()
