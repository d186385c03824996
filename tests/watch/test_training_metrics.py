"""Bedrock's metric CSVs are parsed while a job writes them: columns by name, partial last lines dropped."""

from __future__ import annotations

import pytest
from bedrock_customization.watch.errors import MetricsFormatError
from bedrock_customization.watch.training_metrics import parse_metrics

BEDROCK_TRAINING = "step_number,epoch_number,training_loss,perplexity\n0,0,2.50,12.18\n1,0,2.10,8.17\n2,1,1.70,5.47\n"


def test_bedrocks_training_file_gives_every_step_in_order():
    series = parse_metrics(BEDROCK_TRAINING)
    assert series.loss_column == "training_loss"
    assert series.steps == [0, 1, 2]
    assert series.losses == [2.5, 2.1, 1.7]
    assert [row.epoch for row in series.rows] == [0, 0, 1]
    assert series.rows[0].perplexity == 12.18
    assert series.skipped == () and series.ignored_columns == ()


def test_the_validation_file_uses_its_validation_loss_column():
    series = parse_metrics("step_number,epoch_number,validation_loss,perplexity\n0,0,2.9,18.2\n4,1,2.2,9.0\n")
    assert series.loss_column == "validation_loss"
    assert series.losses == [2.9, 2.2] and series.steps == [0, 4]


def test_reordered_columns_are_found_by_name_and_case_and_spaces_do_not_matter():
    series = parse_metrics(" Perplexity ,TRAINING_LOSS, step_number ,epoch_number\n9.0,2.2,0,0\n7.0,1.9,1,0\n")
    assert series.steps == [0, 1] and series.losses == [2.2, 1.9]
    assert [row.perplexity for row in series.rows] == [9.0, 7.0]


def test_extra_columns_are_ignored_and_reported():
    series = parse_metrics("step_number,learning_rate,epoch_number,training_loss,grad_norm\n0,1e-5,0,2.5,0.9\n")
    assert series.losses == [2.5]
    assert series.ignored_columns == ("learning_rate", "grad_norm")


def test_missing_optional_columns_leave_epoch_and_perplexity_empty():
    series = parse_metrics("step_number,training_loss\n0,2.5\n1,2.0\n")
    assert series.losses == [2.5, 2.0]
    assert all(row.epoch is None and row.perplexity is None for row in series.rows)
    assert series.epoch_means() == []


def test_blank_lines_and_a_crlf_file_are_read_as_bedrock_meant():
    series = parse_metrics("\r\nstep_number,epoch_number,training_loss\r\n\r\n0,0,2.5\r\n\r\n1,0,2.0\r\n\r\n")
    assert series.steps == [0, 1]
    assert series.skipped == ()


def test_a_partially_written_last_line_is_dropped_and_said():
    # GIVEN a file cut mid-line while Bedrock writes it (no newline after the last line)
    series = parse_metrics(BEDROCK_TRAINING + "3,1,1.4")
    # THEN the complete rows are kept and the cut one is skipped with the reason
    assert series.steps == [0, 1, 2]
    ((line, why),) = series.skipped
    assert line == 5 and "partially written last line" in why


def test_a_last_line_cut_inside_the_loss_is_dropped():
    series = parse_metrics("step_number,training_loss\n0,2.5\n1,")
    assert series.steps == [0]
    assert "partially written last line" in series.skipped[0][1]


def test_a_broken_line_in_the_middle_is_skipped_not_fatal():
    series = parse_metrics("step_number,training_loss\n0,2.5\n1,oops\n2,2.0\n")
    assert series.steps == [0, 2]
    assert series.skipped == ((3, "training_loss 'oops' is not a number"),)


def test_an_empty_file_has_no_rows():
    assert parse_metrics("").rows == ()
    assert parse_metrics("\n\n").rows == ()


def test_a_header_alone_has_no_rows_and_knows_its_loss_column():
    series = parse_metrics("step_number,epoch_number,training_loss,perplexity\n")
    assert series.rows == () and series.loss_column == "training_loss"
    assert series.last is None


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("epoch_number,training_loss,perplexity", "no step_number column"),
        ("step_number,epoch_number,perplexity", "no training_loss or validation_loss or loss column"),
        ("a,b", "no step_number and no training_loss or validation_loss or loss column"),
    ],
)
def test_a_file_without_step_or_loss_column_is_refused_naming_the_file_and_what_it_has(header, missing):
    with pytest.raises(MetricsFormatError, match=missing) as caught:
        parse_metrics(f"{header}\n1,2,3\n", source="s3://b/k.csv")
    assert "s3://b/k.csv is not a Bedrock metrics file" in str(caught.value)
    assert f"line 1 has: {header.replace(',', ', ')}" in str(caught.value)


def test_epoch_means_average_each_epochs_steps_at_its_last_step():
    means = parse_metrics(BEDROCK_TRAINING).epoch_means()
    assert [(m.epoch, m.last_step, m.steps) for m in means] == [(0, 1, 2), (1, 2, 1)]
    assert means[0].mean_loss == pytest.approx(2.3)
    assert means[1].mean_loss == pytest.approx(1.7)
