"""Collects validation problems for one construct and raises them together.

Three sources feed it: the Bedrock API contract, checked generically by the provider's shape validator
(:mod:`bedrock_customization_provider.shapes`, the same code the Lambda runs); the provider's semantic rules of the
API (:mod:`bedrock_customization_provider.rules`, e.g. exactly one training data source), run on the same rendered
request; and the construct-level rules about Python arguments the API does not have (ranges of provider keys,
argument types). Values that are CDK tokens are not
known at synth time and are skipped; the provider validates them again at deploy time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from aws_cdk import Token
from bedrock_customization_provider import shapes

from .errors import InvalidPropsError


def is_unresolved(value: object) -> bool:
    """True for values CDK only knows at deploy time (tokens, or strings/lists that embed one)."""
    return Token.is_unresolved(value)


def argument_for(path: str, arguments: Mapping[str, str]) -> str | None:
    """The argument behind an API path: the entry of ``arguments`` with the longest path prefix of ``path``."""
    matches = [p for p in arguments if path == p or path.startswith((f"{p}.", f"{p}["))]
    return arguments[max(matches, key=len)] if matches else None


class ProblemCollector:
    """One construct's problems, in the order found."""

    def __init__(self, kind: str, path: str) -> None:
        self.kind = kind
        self.path = path
        self.problems: list[str] = []

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def check_request(
        self,
        operation: str,
        request: Mapping[str, object],
        *,
        ignore: Collection[str] = (),
        arguments: Mapping[str, str] | None = None,
    ) -> None:
        """Validate ``request`` against the API's input shape; name the Python argument behind each problem
        (``arguments`` maps API paths such as ``customizationConfig.rftConfig`` to argument names)."""
        problems = shapes.validate_request(operation, dict(request), is_unresolved=is_unresolved, ignore=ignore)
        self.add_api_problems(problems, arguments)

    def add_api_problems(self, problems: Iterable[shapes.Problem], arguments: Mapping[str, str] | None = None) -> None:
        """Problems found on the API request (by the shape or by the provider's semantic rules), each naming the
        Python argument behind its path."""
        for problem in problems:
            argument = argument_for(problem.path, arguments or {})
            self.add(f"{problem} (argument {argument})" if argument else str(problem))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidPropsError(self.kind, self.path, self.problems)
