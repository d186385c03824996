"""Per-model hyperparameter checks from one data file, ``hyperparameters.json`` (the catalogue), next to this module.

Bedrock's API types ``hyperParameters`` as a map of strings, so its shape says nothing about which names a base model
takes or their ranges; a wrong one is only found when the job fails, minutes or hours later. The catalogue holds what
the Bedrock User Guide documents per model and customization type, each family citing its page. The same function
runs at synth (the constructs), before the provider calls Bedrock, and in the local emulator.

A base model the catalogue does not know (a new model, a custom model, a token) is not checked: the catalogue refuses
only what the documentation says Bedrock refuses. Example::

    problems("amazon.nova-micro-v1:0:128k", "FINE_TUNING", {"epochCount": "9"})
    # [Problem('hyperParameters.epochCount', 'must be between 1 and 5 for amazon.nova-micro-v1:0:128k ... (got 9)')]
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .shapes import Problem

CATALOGUE_FILE = Path(__file__).with_name("hyperparameters.json")
MEMBER = "hyperParameters"
_FOUNDATION_ARN = re.compile(r"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/(?P<id>.+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Family:
    """Models that share one documented table of hyperparameters."""

    name: str
    title: str
    source: str
    types: frozenset[str]
    refuse_unknown: bool
    hyperparameters: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Catalogue:
    families: Mapping[str, Family]
    #: customizable model id -> its family
    models: Mapping[str, Family]
    #: unversioned id -> the customizable, versioned id Bedrock resolves it to
    aliases: Mapping[str, str]
    rft: Mapping[str, Mapping[str, Any]]


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue, read once per process."""
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    families = {
        name: Family(
            name=name,
            title=entry["title"],
            source=entry["source"],
            types=frozenset(entry["types"]),
            refuse_unknown=entry["unknownNames"] == "refuse",
            hyperparameters=entry["hyperparameters"],
        )
        for name, entry in data["families"].items()
    }
    models = {model: families[name] for name, entry in data["families"].items() for model in entry["models"]}
    return Catalogue(families, models, data["aliases"]["ids"], data["rft"]["hyperparameters"])


def resolve_model_id(identifier: object) -> str | None:
    """The customizable foundation model id behind ``identifier`` (an id, versioned or not, or a foundation-model ARN),
    as Bedrock resolves it; None for anything else (a custom model, a token, a non-string)."""
    if not isinstance(identifier, str):
        return None
    match = _FOUNDATION_ARN.fullmatch(identifier)
    model_id = match.group("id") if match else identifier
    if model_id.startswith("arn:"):
        return None
    return catalogue().aliases.get(model_id, model_id)


def family_for(base_model: object) -> Family | None:
    """The catalogue family of a base model, None when the catalogue does not know it."""
    model_id = resolve_model_id(base_model)
    return catalogue().models.get(model_id) if model_id is not None else None


def problems(
    base_model: object,
    customization_type: object,
    hyper_parameters: object,
    *,
    is_unresolved: Callable[[object], bool] = lambda value: False,
    member: str = MEMBER,
) -> list[Problem]:
    """Every way ``hyper_parameters`` (the API's string map) breaks the documented table of ``base_model`` for
    ``customization_type``; empty when the model or type is not catalogued, or the map is not known yet."""
    family = family_for(base_model)
    kind = customization_type if isinstance(customization_type, str) else "FINE_TUNING"
    if family is None or kind not in family.types or not isinstance(hyper_parameters, Mapping):
        return []
    model_id = resolve_model_id(base_model)
    where = f"for {model_id} {kind}"  # the source page is in the catalogue; reasons are kept short
    found: list[Problem] = []
    documented = family.hyperparameters
    for name, value in hyper_parameters.items():
        spec = documented.get(name) if isinstance(name, str) else None
        if spec is None:
            if family.refuse_unknown:
                found.append(Problem(f"{member}.{name}", _unknown(str(name), documented, where)))
            continue
        if is_unresolved(value):
            continue
        rule = _value_problem(spec, value)
        if rule:
            found.append(Problem(f"{member}.{name}", f"{rule} {where} (got {value!r})"))
    return found


def _unknown(name: str, documented: Mapping[str, Any], where: str) -> str:
    close = difflib.get_close_matches(name, list(documented), n=3, cutoff=0.6)
    if close:
        return f"is not a hyperparameter {where}: did you mean {' or '.join(close)}?"
    return f"is not a hyperparameter {where}; valid names: {', '.join(sorted(documented))}"


def _value_problem(spec: Mapping[str, Any], value: object) -> str | None:
    """What is wrong with one value (Bedrock takes every hyperparameter as a string), or None."""
    if not isinstance(value, str):
        return f"must be a string (got {type(value).__name__})"
    text = value.strip()
    if text in spec.get("also", ()):
        return None
    kind = spec["type"]
    extra = f" or {' or '.join(spec['also'])}" if spec.get("also") else ""
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            return f"must be an integer{extra}"
        number: float = int(text)
    else:
        if not _FLOAT.fullmatch(text):
            return f"must be a number{extra}"
        number = float(text)
    low, high = spec.get("min"), spec.get("max")
    if (low is not None and number < low) or (high is not None and number > high):
        return f"must be {_range(low, high)}"
    return None


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_number(low)}" if low == high else f"between {_number(low)} and {_number(high)}"
    return f"at least {_number(low)}" if low is not None else f"at most {_number(high)}"


def _number(value: float | None) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)
