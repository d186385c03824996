"""Custom models as values: what a job produces, what :class:`~bedrock_customization.CustomModel` registers, and
models imported by ARN all satisfy :class:`ICustomModel` and aws-cdk's ``aws_bedrock.IModel``.

So a job's output model can be passed wherever aws-cdk takes a Bedrock model, or as the ``base_model`` of another
customization job (iterative fine-tuning).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .jsii_interfaces import BEDROCK_MODEL, implements


@runtime_checkable
class ICustomModel(Protocol):
    """A Bedrock custom model: its ARN and name (tokens when the model is created by the same stack)."""

    @property
    def model_arn(self) -> str: ...

    @property
    def model_name(self) -> str: ...


@implements(BEDROCK_MODEL)
class CustomModelReference:
    """A custom model known by ARN (and name): a job's output or an existing model.

    Example::

        model = CustomModel.from_model_arn("arn:aws:bedrock:us-east-1:111122223333:custom-model/abcdefghijkl")
    """

    def __init__(self, model_arn: str, model_name: str = "") -> None:
        self._model_arn = model_arn
        self._model_name = model_name

    @property
    def model_arn(self) -> str:
        return self._model_arn

    @property
    def model_name(self) -> str:
        return self._model_name
