"""Collects validation problems for one construct and raises them together.

Three sources feed it: the Bedrock API contract, checked generically by the provider's shape validator
(:mod:`bedrock_customization_provider.shapes`, the same code the Lambda runs); the provider's semantic rules of the
API (:mod:`bedrock_customization_provider.rules`, e.g. exactly one training data source), run on the same rendered
request; and the construct-level rules about Python arguments the API does not have (ranges of provider keys,
argument types). Values that are CDK tokens are not
known at synth time and are skipped; the provider validates them again at deploy time.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from aws_cdk import Token
from bedrock_customization_provider import shapes
from constructs import IConstruct

from .errors import InvalidPropsError
from .pattern_words import explain, show

#: aws-cdk-lib's core/lib/private/encoding: a string token holds "${Token[...]}" and a list token "#{Token[...]}", both
#: with this marker; a number token is a double whose high 32 bits carry 0xFBFF in their upper half.
_TOKEN_MARKER = "Token["
_DOUBLE_TOKEN_MARKER_BITS = 0xFBFF0000
#: One step of a problem's path: a member name, a list index or a quoted map key (``a.b[0]["k"]``).
_PATH_STEP = re.compile(r'([A-Za-z0-9_]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.')
_PATTERN_RULES = ("must match pattern", "key must match pattern")


def is_unresolved(value: object) -> bool:
    """True for values CDK only knows at deploy time (tokens, or strings/lists that embed one).

    The answer is ``Token.is_unresolved``'s (aws-cdk-lib's ``unresolved()``), but plain Python values are decided
    here, without a round trip to the jsii kernel: validating one job checks dozens of values, and at 100 jobs those
    round trips were a fifth of the synth. Only a string with the token marker, or an object from the kernel, is
    asked.
    """
    if isinstance(value, str):
        return _TOKEN_MARKER in value and Token.is_unresolved(value)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        try:
            high = struct.unpack("<II", struct.pack("<d", float(value)))[1]
        except OverflowError:
            return False
        return (high & 0xFFFF0000) == _DOUBLE_TOKEN_MARKER_BITS
    if isinstance(value, list | tuple):
        return (
            len(value) == 1
            and isinstance(value[0], str)
            and _TOKEN_MARKER in value[0]
            and Token.is_unresolved(list(value))
        )
    if isinstance(value, dict):
        return False  # a mapping is resolvable only as a kernel object with resolve(); tokens inside are not asked
    return Token.is_unresolved(value)


def argument_for(path: str, arguments: Mapping[str, str]) -> str | None:
    """The argument behind an API path: the entry of ``arguments`` with the longest path prefix of ``path``."""
    matches = [p for p in arguments if path == p or path.startswith((f"{p}.", f"{p}["))]
    return arguments[max(matches, key=len)] if matches else None


class ProblemCollector:
    """One construct's problems, in the order found.

    ``scope``: the construct (or its path). Its path is read only when there is a problem to report: reading it is
    two round trips to the jsii kernel, and a valid construct never needs it.
    """

    def __init__(self, kind: str, scope: IConstruct | str) -> None:
        self.kind = kind
        self._scope = scope
        self.problems: list[str] = []

    @property
    def path(self) -> str:
        return self._scope if isinstance(self._scope, str) else self._scope.node.path

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
        self.add_api_problems(problems, arguments, operation=operation, request=request)

    def add_api_problems(
        self,
        problems: Iterable[shapes.Problem],
        arguments: Mapping[str, str] | None = None,
        *,
        operation: str | None = None,
        request: Mapping[str, object] | None = None,
    ) -> None:
        """Problems found on the API request (by the shape or by the provider's semantic rules), each naming the
        Python argument behind its path. Given the ``operation`` and ``request``, a broken pattern is reported with
        the value and, for the common members, the rules in words (:mod:`.pattern_words`)."""
        for problem in problems:
            argument = argument_for(problem.path, arguments or {})
            headline, details = str(problem), []
            if operation is not None and request is not None and problem.rule.startswith(_PATTERN_RULES):
                headline, details = describe_pattern_problem(operation, request, problem)
            named = f"{headline} (argument {argument})" if argument else headline
            self.add("\n".join([named, *(f"    - {line}" for line in details)]))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidPropsError(self.kind, self.path, self.problems)


def describe_pattern_problem(
    operation: str, request: Mapping[str, object], problem: shapes.Problem
) -> tuple[str, list[str]]:
    """A broken pattern as a headline with the value, and detail lines: the rules in words where the shape is one of
    :data:`.pattern_words.EXPLAINED`, then the whole pattern (the shape's message cuts it at 60 characters)."""
    found = _shape_and_value(operation, request, problem.path, key=problem.rule.startswith("key "))
    if found is None:
        return str(problem), []
    shape, value = found
    pattern = shape.metadata.get("pattern", "")
    secret = bool(shape.metadata.get("sensitive"))
    shown = "" if secret else f" (value: {show(value)})"
    explained = None if secret else explain(shape.name, value)
    subject = f"{problem.path} key" if problem.rule.startswith("key ") else problem.path
    if explained is None:
        return f"{subject} must match pattern {pattern}{shown}", []
    what, rules = explained
    return f"{subject} must be {what}{shown}", [*rules, f"Bedrock's pattern ({shape.name}): {pattern}"]


def _shape_and_value(operation: str, request: Mapping[str, object], path: str, *, key: bool) -> tuple[Any, str] | None:
    """The shape and string value at ``path`` (a map's key itself when ``key``), or None if the path is not found."""
    shape: Any = shapes.input_shape(operation)
    value: Any = request
    for match in _PATH_STEP.finditer(path):
        name, index, quoted = match.groups()
        if name is not None and shape.type_name == "structure" and isinstance(value, Mapping):
            shape, value = shape.members.get(name), value.get(name)
        elif index is not None and shape.type_name == "list" and isinstance(value, list | tuple):
            shape, value = shape.member, value[int(index)] if int(index) < len(value) else None
        elif quoted is not None and shape.type_name == "map" and isinstance(value, Mapping):
            map_key = quoted[1:-1]  # the shape quotes a key as it is, unescaped
            if key:
                shape, value = shape.key, map_key
            else:
                shape, value = shape.value, value.get(map_key)
        elif name is None and index is None and quoted is None:
            continue  # the "." between steps
        else:
            return None
        if shape is None:
            return None
    return (shape, value) if isinstance(value, str) else None
