"""What a job can start from: a foundation model or a model an earlier job produced, never a CustomModel (a model
registered from artifacts, ``custom-model/imported/...``), whichever way it is passed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from bedrock_customization import CustomizationJob, CustomModel, InvalidPropsError
from bedrock_customization_provider import contract

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/nova-micro-sft/1"
IMPORTED_ARN = "arn:aws:bedrock:us-east-1:111122223333:custom-model/imported/abcdefghijkl"
DATA = {"training_data": "s3://b-1/t.jsonl", "output_data": "s3://b-1/o/"}

PASSED_AS: dict[str, Callable[[CustomModel], Any]] = {
    "the construct": lambda model: model,
    "its model_arn": lambda model: model.model_arn,
    "its model_name": lambda model: model.model_name,
    "a reference to its ARN": lambda model: CustomModel.from_model_arn(model.model_arn),
}


@pytest.mark.parametrize("passed_as", PASSED_AS)
def test_a_registered_custom_model_is_refused_as_a_base_model(make_stack, passed_as):
    # GIVEN a model registered from a SageMaker AI model package
    stack = make_stack()
    nova = CustomModel(stack, "Nova", model_package_arn=PACKAGE)
    # WHEN it is the base of a job THEN synth refuses it, naming the model and the base models allowed
    with pytest.raises(InvalidPropsError, match=re.escape("Invalid CustomizationJob (TestStack/Refine)")) as error:
        CustomizationJob(stack, "Refine", base_model=PASSED_AS[passed_as](nova), **DATA)
    (problem,) = error.value.problems
    assert problem.startswith(
        "base_model is the CustomModel TestStack/Nova, a model registered from model artifacts: Bedrock can serve it "
        "but not customize it further. Use a foundation model id"
    )
    assert "a model an earlier customization job produced" in problem


def test_an_imported_model_arn_string_is_refused_by_its_pattern_in_words(make_stack):
    stack = make_stack()
    with pytest.raises(InvalidPropsError) as error:
        CustomizationJob(stack, "Refine", base_model=IMPORTED_ARN, **DATA)
    (problem,) = error.value.problems
    assert "    - a custom model registered from model artifacts (custom-model/imported/...) cannot be customized" in (
        problem
    )


def test_a_jobs_model_and_a_foundation_model_are_accepted_bases(make_stack, synthesize, q):
    # GIVEN the passing cases: a foundation model, and the model an earlier job produced
    stack = make_stack()
    first = CustomizationJob(stack, "First", base_model="amazon.nova-micro-v1:0:128k", **DATA)
    CustomizationJob(stack, "Second", base_model=first.model, **DATA)
    CustomizationJob(
        stack,
        "ByArn",
        base_model="arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl",
        **DATA,
    )
    template = synthesize(stack)
    first_id, _ = q.one(template, contract.JOB_RESOURCE_TYPE, "First")
    assert q.job_properties(template, "Second")["baseModelIdentifier"]["Fn::GetAtt"][1] == (
        contract.ATTR_CUSTOM_MODEL_ARN
    )
    assert first_id
