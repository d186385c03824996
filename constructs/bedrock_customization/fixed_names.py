"""Fixed Bedrock names, unique per stack at synth.

Bedrock names jobs and custom models uniquely per account and Region, so two resources of one stack given the same
fixed name synthesize fine and then collide at deploy, the second failing after the first has started training. The
constructs register the fixed names they are given here, per stack, and refuse a name already taken, naming both
construct paths. A job's ``custom_model_name`` and a ``CustomModel``'s ``model_name`` share one namespace, as they do in
Bedrock. Names that are tokens (known only at deploy) and generated names are not registered.

Cheap by design: a dict per stack on the Python side; a construct's path is read only when there is a collision.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from constructs import IConstruct

from .lookups import cached, stack_of
from .validation import ProblemCollector, is_unresolved

#: The namespace of each argument: what Bedrock keeps unique.
NAMESPACES = {"job_name": "job", "custom_model_name": "custom model", "model_name": "custom model"}

_taken: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], tuple[IConstruct, str]]] = weakref.WeakKeyDictionary()


def _names(scope: IConstruct) -> dict[tuple[str, str], tuple[IConstruct, str]]:
    return cached(_taken, stack_of(scope), dict)


def check_unique(problems: ProblemCollector, scope: IConstruct, names: Mapping[str, object]) -> None:
    """Report each fixed name of ``names`` (argument -> value) that another construct of the stack already has;
    ``scope`` is the new construct's parent (its stack is the one checked)."""
    taken = _names(scope)
    for argument, name in names.items():
        if not isinstance(name, str) or is_unresolved(name):
            continue
        namespace = NAMESPACES[argument]
        holder = taken.get((namespace, name))
        if holder is not None:
            other, other_argument = holder
            problems.add(
                f"{argument} {name!r} is already the {other_argument} of {other.node.path} in this stack: Bedrock "
                f"{namespace} names are unique per account and Region, so the second would fail at deploy. Give "
                "each its own name, or leave it unset to have one generated"
            )


def register(scope: IConstruct, owner: IConstruct, names: Mapping[str, object]) -> None:
    """Record ``owner``'s fixed names (once its arguments have been accepted)."""
    taken = _names(scope)
    for argument, name in names.items():
        if isinstance(name, str) and not is_unresolved(name):
            taken.setdefault((NAMESPACES[argument], name), (owner, argument))
