"""``jsii.implements`` for interfaces whose module is imported only when jsii first reads them.

Why: ``aws_cdk.aws_bedrock`` takes 30-45 ms to import (2.9 MB of bytecode, hundreds of L1 classes), and this library
needs it only to declare that its models implement ``aws_bedrock.IModel``. jsii reads a class's interfaces
(``__jsii_ifaces__``) when it creates an object of the class in its kernel (a construct's constructor, or an object
handed to an aws-cdk API), never before; so a stack of jobs whose models nothing hands to aws-cdk never imports the
module, while a model given to, say, ``BedrockInvokeModel`` is declared an ``IModel`` exactly as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TypeVar

import jsii

T = TypeVar("T", bound=type)


class _Interfaces:
    """A class's ``__jsii_ifaces__``: the interfaces known when it was defined, then those named by module and name,
    imported at the first read (jsii reads it as a class attribute, which calls :meth:`__get__`)."""

    def __init__(self, known: list[type], named: tuple[str, ...]) -> None:
        self._known = known
        self._named = named
        self._loaded: list[type] | None = None

    def __get__(self, instance: object, owner: type | None = None) -> list[type]:
        if self._loaded is None:
            self._loaded = [*self._known, *(_load(name) for name in self._named)]
        return list(self._loaded)  # a copy: a subclass's jsii.implements adds to what it reads


def _load(name: str) -> type:
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def implements(*interfaces: type | str) -> Callable[[T], T]:
    """``jsii.implements(*interfaces)``, where an interface given as ``"module.Name"``
    (``"aws_cdk.aws_bedrock.IModel"``) is imported when jsii first needs the class's interfaces, not when the class
    is defined."""

    def decorate(cls: T) -> T:
        known = [i for i in interfaces if isinstance(i, type)]
        cls = jsii.implements(*known)(cls)  # jsii's own bookkeeping (type, proxy class, typeguard's protocol attrs)
        named = tuple(i for i in interfaces if isinstance(i, str))
        cls.__jsii_ifaces__ = _Interfaces(list(cls.__jsii_ifaces__), named)  # type: ignore[attr-defined]
        return cls

    return decorate


#: aws-cdk's interface of a Bedrock model (anything with a ``model_arn``), named for :func:`implements`.
BEDROCK_MODEL = "aws_cdk.aws_bedrock.IModel"

__all__ = ["BEDROCK_MODEL", "implements"]
