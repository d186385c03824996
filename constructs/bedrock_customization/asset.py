"""The provider function's code, staged at synth time without Docker and without network access.

The asset holds exactly three things:

* the ``bedrock_customization_provider`` package (found through importlib, so this works from a source checkout and
  from an installed wheel alike),
* the installed ``crhelper`` package (the provider's one third-party dependency, pinned in pyproject.toml),
* Bedrock's botocore service model under ``<contract.BOTOCORE_DATA_DIR>/bedrock/<api-version>/``; the function sets
  ``AWS_DATA_PATH`` to it, so the runtime's older boto3 knows the newest Bedrock operations and fields.

boto3/botocore themselves are not copied: the Lambda runtime provides them. Files are copied in sorted order with
their bytes unchanged, so the same inputs always give the same asset hash; what the function never reads is left out:
bytecode caches, the typing stubs and ``py.typed`` markers (only type checkers read them) and the ``documentation``
strings of Bedrock's model (botocore reads them only for ``help()``; they were a third of the zipped asset).
"""

from __future__ import annotations

import atexit
import functools
import gzip
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bedrock_customization_provider import contract, service_model

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

PROVIDER_PACKAGE = "bedrock_customization_provider"
THIRD_PARTY_PACKAGES = ("crhelper",)
#: Files of Bedrock's botocore model the provider needs: the API itself and its endpoint rules.
BOTOCORE_MODEL_FILES = ("service-2.json.gz", "endpoint-rule-set-1.json.gz")
#: The model file whose ``documentation`` strings are left out (:func:`without_documentation`).
_DOCUMENTED_MODEL_FILE = "service-2.json.gz"
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".pyi")
_SKIPPED_NAMES = frozenset({"py.typed"})


def package_dir(name: str) -> Path:
    """Where an importable package lives, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed as a package; run `pip install -e '.[dev]'`")
    return Path(next(iter(spec.submodule_search_locations)))


def bedrock_model_dir() -> Path:
    """The folder of the newest Bedrock API version in the installed botocore (found without importing botocore).

    Only botocore's own ``data`` folder is searched: the asset ships the model of the installed SDK, not one from
    ``AWS_DATA_PATH`` or ``~/.aws/models`` on the machine that synthesizes (which may lack the endpoint rules)."""
    builtin = service_model.builtin_data_path()
    if builtin is None:
        raise ModuleNotFoundError("botocore is not installed; run `pip install -e '.[dev]'`")
    return service_model.model_dir("bedrock", [builtin])


def build_asset(target: Path) -> Path:
    """Stage the asset into the empty folder ``target`` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (PROVIDER_PACKAGE, *THIRD_PARTY_PACKAGES):
        _copy_tree(package_dir(name), target / name)
    model_dir = bedrock_model_dir()
    dest = target / contract.BOTOCORE_DATA_DIR / "bedrock" / model_dir.name
    dest.mkdir(parents=True, exist_ok=True)
    for file_name in BOTOCORE_MODEL_FILES:
        if file_name == _DOCUMENTED_MODEL_FILE:
            (dest / file_name).write_bytes(without_documentation((model_dir / file_name).read_bytes()))
        else:
            shutil.copyfile(model_dir / file_name, dest / file_name)
    return target


def without_documentation(model_gz: bytes) -> bytes:
    """A gzipped botocore model without its ``documentation`` strings, every other key and value unchanged.

    Written as gzip's stored blocks (level 0) with no timestamp, so no compressor's matching choices are in the bytes
    the asset hash is computed from; the asset's zip compresses it (Bedrock's: about 30 KB, from 97 KB with docs).
    """

    def without_docs(pairs: list[tuple[str, object]]) -> dict[str, object]:
        # dropped as each object is parsed (json's own loop, no second walk of the model: 10 ms a synth, from 17)
        return {key: value for key, value in pairs if key != "documentation"}

    model = json.loads(gzip.decompress(model_gz), object_pairs_hook=without_docs)
    text = json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return gzip.compress(text, compresslevel=0, mtime=0)


@functools.cache
def staged_asset_dir() -> Path:
    """The asset staged once per process (every stack of an app shares it; CDK copies it into cdk.out at synth,
    so the staging folder is removed when the process exits)."""
    staging = Path(tempfile.mkdtemp(prefix="bedrock-customization-asset-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    return build_asset(staging)


def provider_code() -> lambda_.Code:
    from aws_cdk import aws_lambda as lambda_

    return lambda_.Code.from_asset(str(staged_asset_dir()))


def _copy_tree(source: Path, dest: Path) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if (
            _SKIPPED_DIRS.intersection(relative.parts)
            or path.suffix in _SKIPPED_SUFFIXES
            or path.name in _SKIPPED_NAMES
        ):
            continue
        if path.is_dir():
            (dest / relative).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / relative)
