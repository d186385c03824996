"""Coerce and validate Bedrock requests from Bedrock's own botocore service model.

Both sides use this module: the constructs validate at synth time, the provider restores the types CloudFormation
stringified and validates again at run time. Every rule comes from the shape tree (required members, types, lengths,
counts, value ranges, patterns, enums, unions), so a new Bedrock field or constraint needs no code here.

The model is found and read as botocore's own loader does, ``AWS_DATA_PATH`` first (in the Lambda the asset ships the
newest Bedrock model in ``botocore-data/`` and points ``AWS_DATA_PATH`` at it), but by :mod:`.service_model`, which
does not import botocore: the constructs use this module at synth time, where botocore would only cost start-up time.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from . import linear_regex
from . import service_model as model
from .service_model import ListShape, MapShape, Shape, StringShape, StructureShape

SERVICE_NAME = "bedrock"
_INTEGER_TYPES = frozenset({"integer", "long"})
_FLOAT_TYPES = frozenset({"float", "double"})
#: Longest pattern or value echoed in a problem message: CloudFormation shows only ~256 characters of a reason.
_ECHO_LIMIT = 60
#: A value longer than this is not matched against its pattern when its shape sets no maximum length (the service
#: refuses such requests anyway; the longest maximum in Bedrock's model is 2,048).
MAX_PATTERN_INPUT = 4096
#: Values up to this length have their pattern matches memoized (:func:`_matches`); longer ones are matched each time.
_MEMO_VALUE_LIMIT = 1024


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (a path into the request) and what (the rule, useful words first)."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path} {self.rule}"


@functools.cache
def service_model() -> model.ServiceModel:
    """Bedrock's service model, loaded once per process from botocore's data path (``AWS_DATA_PATH`` first)."""
    return model.load(SERVICE_NAME, os.environ.get("AWS_DATA_PATH"))


def input_shape(operation: str) -> StructureShape:
    """The input structure of a Bedrock operation, e.g. ``input_shape("CreateModelCustomizationJob")``."""
    shape = service_model().input_shape(operation)
    if shape is None:  # pragma: no cover - every operation we use has an input
        raise ValueError(f"Bedrock operation {operation} takes no input")
    return shape


# --- coercion --------------------------------------------------------------------------------------------------------
def coerce_request(operation: str, request: dict) -> dict:
    """Return a copy of ``request`` with CloudFormation's stringified numbers and booleans restored.

    CloudFormation passes every scalar in custom resource properties as a string: ``"3"`` becomes ``3`` where the shape
    says integer, ``"true"`` becomes ``True`` where it says boolean. A value that does not parse is kept as it is, so
    validation reports it with its path. Members the shape does not know (provider keys) are copied unchanged. A
    member whose value is null is left out: validation reads null as absent, so the request Bedrock gets must too (a
    ``"customModelTags": null`` sent on would fail in botocore, not with the field's rule).
    """
    return _coerce(input_shape(operation), request)


def _coerce(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members
        return {k: _coerce(members[k], v) if k in members else v for k, v in value.items() if v is not None}
    if kind == "list" and isinstance(value, list):
        return [_coerce(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _coerce(shape.value, v) for k, v in value.items()}
    if isinstance(value, str):
        return _coerce_scalar(kind, value)
    return value


def _coerce_scalar(kind: str, text: str) -> Any:
    try:
        if kind in _INTEGER_TYPES:
            return int(text.strip())
        if kind in _FLOAT_TYPES:
            return float(text.strip())
    except ValueError:
        return text
    if kind == "boolean" and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    return text


# --- validation ------------------------------------------------------------------------------------------------------
def validate_request(
    operation: str,
    request: dict,
    *,
    is_unresolved: Callable[[object], bool] = lambda v: False,
    ignore: Collection[str] = (),
) -> list[Problem]:
    """Every way ``request`` breaks the input shape of ``operation``; empty when it is valid.

    ``is_unresolved(value)`` marks values that are not known yet (CDK tokens): they and everything below them are
    skipped. ``ignore`` names top-level members that are not validated at all (provider keys, and members the
    provider fills in itself such as ``clientRequestToken``, which also stop counting as required).
    """
    validator = _Validator(is_unresolved)
    shape = input_shape(operation)
    if not isinstance(request, Mapping):
        return [Problem("(request)", f"must be an object (got {_type_word(request)})")]
    top = {k: v for k, v in request.items() if k not in ignore}
    validator.structure(shape, top, "", skip_required=frozenset(ignore))
    return validator.problems


class _Validator:
    """Walks a value along its shape and collects problems; one instance per validation."""

    def __init__(self, is_unresolved: Callable[[object], bool]) -> None:
        self.is_unresolved = is_unresolved
        self.problems: list[Problem] = []

    def add(self, path: str, rule: str) -> None:
        self.problems.append(Problem(path or "(request)", rule))

    def value(self, shape: Shape, value: Any, path: str) -> None:
        if self.is_unresolved(value):
            return
        kind = shape.type_name
        if kind == "structure":
            self.structure(shape, value, path)
        elif kind == "list":
            self.list(shape, value, path)
        elif kind == "map":
            self.map(shape, value, path)
        elif kind == "string":
            self.string(shape, value, path)
        elif kind in _INTEGER_TYPES or kind in _FLOAT_TYPES:
            self.number(shape, value, path)
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.add(path, f"must be a boolean (got {_type_word(value)})")
        elif kind == "blob":
            if not isinstance(value, str | bytes | bytearray):
                self.add(path, f"must be a string (got {_type_word(value)})")
        elif kind == "timestamp" and not _is_timestamp(value):
            self.add(path, f"must be a timestamp (got {_type_word(value)})")
        # "document" and anything newer: any JSON value is accepted.

    def structure(
        self, shape: StructureShape, value: Any, path: str, skip_required: frozenset[str] = frozenset()
    ) -> None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be an object (got {_type_word(value)})")
            return
        members = shape.members
        present = [k for k, v in value.items() if v is not None]
        for name in shape.metadata.get("required", []):
            if name not in skip_required and value.get(name) is None:
                self.add(_join(path, name), "is required")
        for name in present:
            if name not in members:
                self.add(_join(path, name), _unknown_member_rule(name, members))
        if shape.metadata.get("union"):
            known = [k for k in present if k in members]
            if len(known) != 1:
                got = ", ".join(known) if known else "none"
                self.add(path, f"must set exactly one of {', '.join(members)} (got {got})")
        for name in present:
            if name in members:
                self.value(members[name], value[name], _join(path, name))

    def list(self, shape: ListShape, value: Any, path: str) -> None:
        if not isinstance(value, list | tuple):
            self.add(path, f"must be a list (got {_type_word(value)})")
            return
        self.count(shape, len(value), path, "item")
        for index, item in enumerate(value):
            self.value(shape.member, item, f"{path}[{index}]")

    def map(self, shape: MapShape, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be an object (got {_type_word(value)})")
            return
        self.count(shape, len(value), path, "entry", plural="entries")
        for key, item in value.items():
            item_path = f"{path}[{_quote(key)}]"
            if not self.is_unresolved(key):
                before = len(self.problems)
                self.value(shape.key, key, item_path)
                for i in range(before, len(self.problems)):  # say it is the key that breaks the rule
                    self.problems[i] = Problem(item_path, f"key {self.problems[i].rule}")
            self.value(shape.value, item, item_path)

    def count(self, shape: Shape, count: int, path: str, noun: str, plural: str = "") -> None:
        plural = plural or f"{noun}s"
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and count < low:
            self.add(path, f"must have at least {low} {noun if low == 1 else plural} (got {count})")
        if high is not None and count > high:
            self.add(path, f"must have at most {high} {noun if high == 1 else plural} (got {count})")

    def string(self, shape: StringShape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.add(path, f"must be a string (got {_type_word(value)})")
            return
        meta = shape.metadata
        low, high = meta.get("min"), meta.get("max")
        length_ok = True
        if low is not None and len(value) < low:
            self.add(path, f"must be at least {low} character{'' if low == 1 else 's'} (got {len(value)})")
            length_ok = False
        if high is not None and len(value) > high:
            self.add(path, f"must be at most {high} characters (got {len(value)})")
            length_ok = False
        enum = shape.enum
        if enum and value not in enum:
            shown = "" if meta.get("sensitive") else f" (got {_echo(value)})"
            self.add(path, f"must be one of {', '.join(enum)}{shown}")
        pattern = meta.get("pattern")
        # lengths first: a value of the wrong length is not matched at all (the matcher is linear, but a 10 MB
        # value still costs 10 MB of steps)
        if pattern and length_ok and len(value) <= MAX_PATTERN_INPUT and not _matches(pattern, value):
            self.add(path, f"must match pattern {_echo(pattern)}")

    def number(self, shape: Shape, value: Any, path: str) -> None:
        integral = shape.type_name in _INTEGER_TYPES
        allowed = (int,) if integral else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            word = "an integer" if integral else "a number"
            self.add(path, f"must be {word} (got {_type_word(value)} {_echo(repr(value))})")
            return
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self.add(path, f"must be at least {low} (got {value})")
        if high is not None and value > high:
            self.add(path, f"must be at most {high} (got {value})")


@functools.cache
def _compiled(pattern: str) -> linear_regex.Pattern | None:
    try:
        return linear_regex.compile_pattern(pattern)
    except linear_regex.UnsupportedPattern:  # a pattern that cannot be matched in linear time is not enforced here
        return None


def _matches(pattern: str, value: str) -> bool:
    """Patterns in AWS service models are full-match regexes (Java semantics; ``^``/``$`` are often left out).

    Matched by :mod:`.linear_regex`, never by ``re``: several of Bedrock's patterns backtrack exponentially in
    ``re`` on hostile values (a job name of dashes and one bad character)."""
    # memoized: a match costs ~0.5 ms in pure Python and an app of 100 jobs repeats the same ARNs, URIs and models
    if len(value) <= _MEMO_VALUE_LIMIT:
        return _memoized_matches(pattern, value)
    return _full_match(pattern, value)


def _full_match(pattern: str, value: str) -> bool:
    regex = _compiled(pattern)
    return regex is None or regex.fullmatch(value)


#: Bounded, and only for values up to _MEMO_VALUE_LIMIT characters: at most ~4 MB of keys however many values come.
_memoized_matches = functools.lru_cache(maxsize=4096)(_full_match)


def _unknown_member_rule(name: str, members: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(members), n=1)
    return f"is not a known member (did you mean {close[0]}?)" if close else "is not a known member"


def _is_timestamp(value: Any) -> bool:
    return not isinstance(value, bool) and (isinstance(value, str | int | float) or hasattr(value, "isoformat"))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _quote(key: Any) -> str:
    return f'"{key}"' if isinstance(key, str) else str(key)


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 3] + "..."


def _type_word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__
