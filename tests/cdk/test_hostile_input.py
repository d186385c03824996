"""Hostile values at synth: the service model's patterns are matched in linear time (bedrock_customization_provider.
linear_regex), so a job name built to make a backtracking matcher run for hours is refused like any other bad name."""

from __future__ import annotations

import pytest
from bedrock_customization import CustomizationJob, InvalidPropsError


@pytest.mark.parametrize("name", ["a" + "-" * 61 + "!", "a" + "-" * 30 + "!"])
def test_a_backtracking_job_name_is_refused_naming_the_argument(make_stack, name):
    with pytest.raises(InvalidPropsError, match=r"(?s)TestStack/Job.*jobName must be a valid job name.*job_name"):
        CustomizationJob(
            make_stack(),
            "Job",
            base_model="amazon.nova-micro-v1:0:128k",
            training_data="s3://b-1/t.jsonl",
            output_data="s3://b-1/o/",
            job_name=name,
        )
