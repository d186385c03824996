"""Bedrock's service model, read the way botocore reads it, without importing botocore.

The constructs validate requests at synth time against Bedrock's botocore model (:mod:`.shapes`). Importing
``botocore.loaders`` and ``botocore.model`` for that pulls in urllib3 and most of botocore (about 150 ms of a synth),
although all they do here is read one JSON file and follow shape references. This module does just that:

- the *locator* finds and reads the model as ``botocore.loaders.create_loader(AWS_DATA_PATH)`` does: the same search
  paths in the same order, the same choice of API version, ``.json`` before ``.json.gz``, and the ``sdk`` extras
  merged in (:func:`search_paths`, :func:`latest_version`, :func:`model_dir`, :func:`load_description`);
- the *shape layer* exposes the few attributes of ``botocore.model`` shapes that the validator and the constructs
  read (``name``, ``type_name``, ``metadata``, ``required_members``, ``members``, ``member``, ``key``, ``value``,
  ``enum``), with the same values (tests/unit/test_service_model.py compares every shape of every input tree the
  library uses with botocore's).

In the Lambda nothing changes: ``AWS_DATA_PATH`` points at the asset's copy of the model, which this locator reads
first, as botocore does.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

SERVICE_NAME = "bedrock"
#: The model file's name without extension (botocore's ``type_name``).
SERVICE_TYPE = "service-2"
#: botocore's ``Loader.BUILTIN_EXTRAS_TYPES``: ``<type>.<extras>-extras.json`` files merged over the model.
EXTRAS_TYPES = ("sdk",)
#: botocore's ``JSONFileLoader`` tries the extensions in this order, so a plain ``.json`` wins over ``.json.gz``.
_OPENERS: Mapping[str, Callable[..., Any]] = {".json": open, ".json.gz": gzip.open}
#: botocore.model.Shape.METADATA_ATTRS: the model keys a shape exposes as ``metadata``.
METADATA_ATTRS = (
    "required",
    "min",
    "max",
    "pattern",
    "sensitive",
    "enum",
    "idempotencyToken",
    "error",
    "exception",
    "endpointdiscoveryid",
    "retryable",
    "document",
    "union",
    "contextParam",
    "clientContextParams",
    "requiresLength",
)


class ModelNotFoundError(LookupError):
    """No search path holds the service's model (botocore raises ``UnknownServiceError``/``DataNotFoundError``)."""


# --- locator ---------------------------------------------------------------------------------------------------------
def builtin_data_path() -> str | None:
    """botocore's own ``data`` folder (``Loader.BUILTIN_DATA_PATH``), found without importing botocore."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(next(iter(spec.submodule_search_locations)), "data")


def search_paths(aws_data_path: str | None = None) -> list[str]:
    """Where botocore looks for models, first match first: each entry of ``aws_data_path`` (the ``AWS_DATA_PATH``
    value, ``os.pathsep``-separated, ``~`` and variables expanded), then ``~/.aws/models``, then botocore's data.

    The functions below take these paths; where they are left out, the defaults without ``AWS_DATA_PATH`` are used
    (``botocore.loaders.Loader()``); :func:`load` takes the ``AWS_DATA_PATH`` value."""
    paths = []
    if aws_data_path is not None:
        paths = [os.path.expanduser(os.path.expandvars(p)) for p in aws_data_path.split(os.pathsep)]
    paths.append(os.path.join(os.path.expanduser("~"), ".aws", "models"))
    builtin = builtin_data_path()
    if builtin is not None:
        paths.append(builtin)
    return paths


def _existing(paths: Iterable[str]) -> Iterator[str]:
    return (path for path in paths if os.path.isdir(path))


def _has_file(stem: str) -> bool:
    return any(os.path.isfile(stem + ext) for ext in _OPENERS)


def api_versions(service: str, paths: Iterable[str]) -> list[str]:
    """Every API version of ``service`` that has a model file in any search path, sorted (``list_api_versions``)."""
    versions = set()
    for path in _existing(paths):
        service_dir = os.path.join(path, service)
        if os.path.isdir(service_dir):
            versions.update(v for v in os.listdir(service_dir) if _has_file(os.path.join(service_dir, v, SERVICE_TYPE)))
    return sorted(versions)


def latest_version(service: str = SERVICE_NAME, paths: Iterable[str] | None = None) -> str:
    """The newest API version across all search paths, as botocore picks it (the greatest folder name)."""
    versions = api_versions(service, search_paths() if paths is None else paths)
    if not versions:
        raise ModelNotFoundError(f"no {SERVICE_TYPE} model of {service} in any of the botocore data paths")
    return versions[-1]


def model_dir(service: str = SERVICE_NAME, paths: Iterable[str] | None = None) -> Path:
    """The folder the newest model is read from: the first search path holding that version's model file."""
    paths = list(search_paths() if paths is None else paths)
    name = os.path.join(service, latest_version(service, paths))
    for path in _existing(paths):
        if _has_file(os.path.join(path, name, SERVICE_TYPE)):
            return Path(path, name)
    raise ModelNotFoundError(name)  # pragma: no cover - latest_version found it in one of these paths


def _load_json(stem: str, paths: Iterable[str]) -> Any:
    """The first file ``<path>/<stem>.json`` or ``.json.gz`` in search order (``Loader.load_data``), else None."""
    for path in _existing(paths):
        for ext, opener in _OPENERS.items():
            file = os.path.join(path, stem) + ext
            if os.path.isfile(file):
                with opener(file, "rb") as stream:
                    return json.loads(stream.read().decode("utf-8"))
    return None


def load_description(service: str = SERVICE_NAME, paths: Iterable[str] | None = None) -> dict[str, Any]:
    """The newest model of ``service`` as a dict, extras merged: ``Loader.load_service_model(service, "service-2")``."""
    paths = list(search_paths() if paths is None else paths)
    version = latest_version(service, paths)
    model = _load_json(os.path.join(service, version, SERVICE_TYPE), paths)
    if model is None:  # pragma: no cover - only if the file went away since latest_version saw it
        raise ModelNotFoundError(os.path.join(service, version, SERVICE_TYPE))
    for extras_type in EXTRAS_TYPES:
        extras = _load_json(os.path.join(service, version, f"{SERVICE_TYPE}.{extras_type}-extras"), paths)
        if extras is not None and "merge" in extras:
            _deep_merge(model, extras["merge"])
    return model


def _deep_merge(base: dict, extra: dict) -> None:
    """botocore.utils.deep_merge: ``extra`` over ``base`` in place, dicts merged key by key, anything else replaced."""
    for key, value in extra.items():
        if key in base and isinstance(base[key], dict) and isinstance(value, dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


# --- shapes ----------------------------------------------------------------------------------------------------------
class Shape:
    """A shape of the model, with the attributes of ``botocore.model.Shape`` that this library reads.

    A member that adds traits to its shape reference (``{"shape": "String", "idempotencyToken": true}``) gets its own
    shape object with the traits merged over the named shape's, as in botocore; plain references share one object.
    Treat every attribute as read-only: shapes and their ``metadata`` are shared and cached.
    """

    def __init__(self, name: str, model: Mapping[str, Any], model_of: ServiceModel) -> None:
        self.name = name
        self.type_name: str = model["type"]
        self._model = model
        self._service = model_of

    @functools.cached_property
    def metadata(self) -> dict[str, Any]:
        """Constraints and flags of the shape (min, max, pattern, enum, required, sensitive, union, ...)."""
        return {key: self._model[key] for key in METADATA_ATTRS if key in self._model}

    @functools.cached_property
    def required_members(self) -> list[str]:
        return self.metadata.get("required", [])

    def _resolve(self, key: str) -> Shape:
        return self._service.resolve_shape_ref(self._model[key])

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.name})>"


class StructureShape(Shape):
    @functools.cached_property
    def members(self) -> dict[str, Shape]:
        """Member name -> shape, in the model's order."""
        return {name: self._service.resolve_shape_ref(ref) for name, ref in self._model.get("members", {}).items()}


class ListShape(Shape):
    @functools.cached_property
    def member(self) -> Shape:
        return self._resolve("member")


class MapShape(Shape):
    @functools.cached_property
    def key(self) -> Shape:
        return self._resolve("key")

    @functools.cached_property
    def value(self) -> Shape:
        return self._resolve("value")


class StringShape(Shape):
    @functools.cached_property
    def enum(self) -> list[str]:
        return self.metadata.get("enum", [])


#: Like botocore's ShapeResolver.SHAPE_CLASSES: every other type is a plain Shape.
_SHAPE_CLASSES: dict[str, type[Shape]] = {
    "structure": StructureShape,
    "list": ListShape,
    "map": MapShape,
    "string": StringShape,
}


class ServiceModel:
    """A service description (the model file's dict) with its shapes built on first use and cached by name."""

    def __init__(self, description: Mapping[str, Any]) -> None:
        self._description = description
        self._shapes: dict[str, Shape] = {}

    def shape_for(self, name: str) -> Shape:
        """The shape named ``name`` (``KeyError`` if the model has none)."""
        shape = self._shapes.get(name)
        if shape is None:
            shape = self._shapes[name] = self._build(name, self._description["shapes"][name])
        return shape

    def resolve_shape_ref(self, ref: Mapping[str, Any]) -> Shape:
        """The shape a reference names; a reference with traits besides ``shape`` gets a copy with them merged."""
        name = ref["shape"]
        if len(ref) == 1:
            return self.shape_for(name)
        traits = {key: value for key, value in ref.items() if key != "shape"}
        return self._build(name, {**self._description["shapes"][name], **traits})

    def input_shape(self, operation: str) -> Shape | None:
        """The input shape of ``operation`` (``KeyError`` if there is no such operation, None if it takes none)."""
        ref = self._description["operations"][operation].get("input")
        return None if ref is None else self.resolve_shape_ref(ref)

    def _build(self, name: str, model: Mapping[str, Any]) -> Shape:
        return _SHAPE_CLASSES.get(model["type"], Shape)(name, model, self)


def load(service: str = SERVICE_NAME, aws_data_path: str | None = None) -> ServiceModel:
    """The newest model of ``service`` from the search paths ``aws_data_path`` starts (pass ``AWS_DATA_PATH``)."""
    return ServiceModel(load_description(service, search_paths(aws_data_path)))
