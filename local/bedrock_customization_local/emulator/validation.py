"""Server-side request validation, generic over the botocore input shape.

Bedrock rejects a bad request with one ValidationException listing every broken constraint in Coral's wording::

    2 validation errors detected: Value 'My Job!' at 'jobName' failed to satisfy constraint: Member must satisfy
    regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9\\+\\-\\.])*; Value null at 'roleArn' failed to satisfy
    constraint: Member must not be null

botocore checks only required members, types and minimums on the client; patterns, maximums and enums are the
server's job, so this is where a provider that skips its own validation finds out. The walk reads the shape tree
(required, type, min/max length/count/value, pattern with full match, enum, union) and knows no field by name.
Unknown members are ignored, as AWS JSON services do.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import Shape

from .errors import BedrockError

MAX_LISTED = 10  # Coral truncates long lists of problems as well; keep messages readable.


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return "'" + str(value)[:200] + "'"
    return f"'{value}'"


def problems(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Every broken constraint under ``value``, as Coral-worded sentences naming the member path."""
    found: list[str] = []
    _walk(shape, value, path, found)
    return found


def _fail(found: list[str], value: Any, path: str, rule: str) -> None:
    found.append(f"Value {_render(value)} at '{path}' failed to satisfy constraint: Member must {rule}")


def _walk(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            _fail(found, value, path, "be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                _fail(found, None, _join(path, name), "not be null")
        if meta.get("union"):
            present = [name for name in shape.members if value.get(name) is not None]
            if len(present) != 1:
                _fail(found, value, path, f"have exactly one member set (got {len(present)})")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _walk(member, value[name], _join(path, name), found)
        return
    if kind == "list":
        if not isinstance(value, list):
            _fail(found, value, path, "be a list")
            return
        _check_size(found, value, path, len(value), meta)
        for index, item in enumerate(value, start=1):
            _walk(shape.member, item, f"{path}.{index}.member", found)
        return
    if kind == "map":
        if not isinstance(value, dict):
            _fail(found, value, path, "be a map")
            return
        _check_size(found, value, path, len(value), meta)
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.{key}.key", found)
            _walk(shape.value, item, f"{path}.{key}.value", found)
        return
    if kind == "string":
        if not isinstance(value, str):
            _fail(found, value, path, "be a string")
            return
        _check_size(found, value, path, len(value), meta)
        if shape.enum and value not in shape.enum:
            _fail(found, value, path, f"satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = meta.get("pattern")
        if pattern and not _compiled(pattern).fullmatch(value):
            _fail(found, value, path, f"satisfy regular expression pattern: {pattern}")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(found, value, path, "be an integer")
            return
        _check_range(found, value, path, meta)
        return
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(found, value, path, "be a number")
            return
        _check_range(found, value, path, meta)
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            _fail(found, value, path, "be a boolean")
        return
    if kind == "timestamp":
        if not isinstance(value, datetime | int | float) or isinstance(value, bool):
            _fail(found, value, path, "be a timestamp")
        return
    # blob, document: nothing the model constrains that this emulator needs.


def _check_size(found: list[str], value: Any, path: str, size: int, meta: dict) -> None:
    if "min" in meta and size < meta["min"]:
        _fail(found, value, path, f"have length greater than or equal to {meta['min']}")
    if "max" in meta and size > meta["max"]:
        _fail(found, value, path, f"have length less than or equal to {meta['max']}")


def _check_range(found: list[str], value: float, path: str, meta: dict) -> None:
    if "min" in meta and value < meta["min"]:
        _fail(found, value, path, f"have value greater than or equal to {meta['min']}")
    if "max" in meta and value > meta["max"]:
        _fail(found, value, path, f"have value less than or equal to {meta['max']}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def validate(shape: Shape | None, params: dict) -> None:
    """Raise Bedrock's ValidationException when ``params`` break any constraint of the input ``shape``."""
    if shape is None:
        return
    found = problems(shape, params)
    if not found:
        return
    count = len(found)
    noun = "error" if count == 1 else "errors"
    raise BedrockError("ValidationException", f"{count} validation {noun} detected: " + "; ".join(found[:MAX_LISTED]))
