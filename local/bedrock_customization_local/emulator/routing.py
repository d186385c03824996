"""Turn an HTTP request into (operation, params) the way Bedrock's rest-json front end does.

Routes are built from every Bedrock operation's ``http.method`` + ``requestUri`` template in the botocore model, so the
emulator recognises each call the SDK can make (and answers the ones it does not implement with a clear error instead
of a wrong one). Members bound to the URI, query string and headers are read back into the same dict the SDK was
given, typed from the input shape, so a single validator checks all of them.

The raw request URI is matched, not PATH_INFO: an ARN identifier arrives percent-encoded (``/`` as ``%2F``) and must
stay one path segment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.model import Shape
from botocore.utils import parse_timestamp

from .errors import BedrockError
from .service_model import service_model

_TEMPLATE_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    regex: re.Pattern[str]
    literal_chars: int


@cache
def routes() -> tuple[Route, ...]:
    model = service_model()
    built = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?", 1)[0]
        pattern = ""
        last = 0
        for match in _TEMPLATE_PARAM.finditer(path):
            pattern += re.escape(path[last : match.start()])
            param = match.group(1)
            if param.endswith("+"):
                pattern += f"(?P<{_group(param[:-1])}>.+)"
            else:
                pattern += f"(?P<{_group(param)}>[^/]+)"
            last = match.end()
        pattern += re.escape(path[last:])
        literal = len(_TEMPLATE_PARAM.sub("", path))
        built.append(Route(name, http["method"].upper(), re.compile(pattern + "/?"), literal))
    # The most specific template wins: /custom-models/create-custom-model before /custom-models/{modelIdentifier}.
    built.sort(key=lambda route: -route.literal_chars)
    return tuple(built)


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


@dataclass
class ParsedRequest:
    operation: str
    params: dict[str, Any]


def parse(method: str, raw_uri: str, headers: dict[str, str], body: bytes) -> ParsedRequest:
    """Match the route and collect the operation's input members from URI, query, headers and JSON body."""
    split = urlsplit(raw_uri)
    path = split.path or "/"
    method = method.upper()
    for route in routes():
        match = route.regex.fullmatch(path)
        if match and route.method == method:
            break
    else:
        raise BedrockError("UnknownOperationException", f"No Bedrock operation matches {method} {path}", status=404)
    operation = service_model().operation_model(route.operation)
    shape = operation.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return ParsedRequest(route.operation, params)
    query = parse_qs(split.query, keep_blank_values=True)
    uri_values = {key: unquote(value) for key, value in match.groupdict().items()}
    lower_headers = {key.lower(): value for key, value in headers.items()}
    for member_name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", member_name)
        if location == "uri":
            if _group(wire_name) in uri_values:
                params[member_name] = uri_values[_group(wire_name)]
        elif location == "querystring":
            if wire_name in query:
                values = query[wire_name]
                if member.type_name == "list":
                    params[member_name] = [_typed(member.member, v, member_name) for v in values]
                else:
                    params[member_name] = _typed(member, values[0], member_name)
        elif location == "header" and wire_name.lower() in lower_headers:
            params[member_name] = _typed(member, lower_headers[wire_name.lower()], member_name)
    if body.strip():
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise BedrockError("SerializationException", f"Request body is not valid JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise BedrockError("SerializationException", "Request body must be a JSON object")
        for member_name, member in shape.members.items():
            if member.serialization.get("location") is None and member_name in document:
                params[member_name] = document[member_name]
    return ParsedRequest(route.operation, params)


def _typed(shape: Shape, raw: str, member_name: str) -> Any:
    """Query/header strings back to the shape's type; an unparsable value fails like Bedrock's front end does."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        if kind == "timestamp":
            return parse_timestamp(raw).astimezone(UTC)
    except (ValueError, TypeError) as exc:
        raise BedrockError(
            "ValidationException",
            f"1 validation error detected: Value '{raw}' at '{member_name}' failed to satisfy constraint: "
            f"Member must be of type {kind}",
        ) from exc
    return raw
