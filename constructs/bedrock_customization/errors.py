"""Every exception the construct library raises, in one place."""

from __future__ import annotations

from collections.abc import Sequence


class BedrockCustomizationError(Exception):
    """Base class of the library's errors."""


class InvalidPropsError(BedrockCustomizationError, ValueError):
    """A construct was given props that Bedrock (or the construct) would reject.

    Raised once per construct with every problem found, so a user fixes them all in one round instead of one synth
    per mistake (the way aws-cdk's ``Bucket`` reports an invalid bucket name)::

        Invalid CustomizationJob (MyStack/Deep/Job):
          - jobName must match pattern [a-zA-Z0-9](-*[a-zA-Z0-9\\+\\-\\.])* (argument job_name)
          - training_data and invocation_logs are mutually exclusive: set exactly one
    """

    def __init__(self, kind: str, path: str, problems: Sequence[str]) -> None:
        self.kind = kind
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"Invalid {kind} ({path}):\n{lines}")


class AttributeUnavailableError(BedrockCustomizationError, ValueError):
    """An attribute was asked for that the resource cannot have in the chosen wait mode (e.g. the custom model ARN of
    a job the stack does not wait for). Raised when the attribute is read, at synth time, naming the construct path."""

    def __init__(self, kind: str, path: str, attribute: str, why: str) -> None:
        self.kind = kind
        self.path = path
        self.attribute = attribute
        super().__init__(f"{kind} ({path}): {attribute} is not available: {why}")
