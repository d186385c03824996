"""A CloudFormation template file, JSON or YAML, as the dict CloudFormation works on.

Why the driver reads YAML itself: plain CloudFormation users (no CDK app, ``docs/cloudformation.md``) write YAML with
the short intrinsic forms (``!Ref``, ``!GetAtt A.B``, ``!Sub``, ``!ImportValue``...). Each tag becomes the long form
(``{"Fn::Sub": ...}``) exactly as CloudFormation reads it, so the rest of the driver sees one template format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import DriverError

#: Short forms whose argument is kept as written (a scalar, a list or a map), under the long name.
_FUNCTIONS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
)


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's tags (no arbitrary Python objects: a template is untrusted input)."""


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _function(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _node_value(loader, node)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):  # !GetAtt Resource.Attribute (the attribute may itself contain dots)
        logical_id, _, attribute = value.partition(".")
        value = [logical_id, attribute]
    return {"Fn::GetAtt": value}


for _name in _FUNCTIONS:
    _TemplateLoader.add_constructor(f"!{_name}", _function(f"Fn::{_name}"))
_TemplateLoader.add_constructor("!Ref", _function("Ref"))
_TemplateLoader.add_constructor("!Condition", _function("Condition"))
_TemplateLoader.add_constructor("!GetAtt", _get_att)


def load_template(path: Path) -> dict[str, Any]:
    """The template in ``path`` (JSON, or YAML with CloudFormation's short forms)."""
    text = path.read_text()
    try:
        template = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_TemplateLoader)
    except (ValueError, yaml.YAMLError) as exc:
        raise DriverError(f"{path}: not a CloudFormation template: {exc}") from exc
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise DriverError(f"{path}: not a CloudFormation template (no Resources section)")
    return template
