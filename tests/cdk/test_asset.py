"""The provider asset: staged without Docker or network, holding the provider, crhelper and Bedrock's botocore model
but no boto3/botocore code, and byte-for-byte reproducible (same asset hash every synth)."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import botocore
import botocore.loaders
import pytest
from bedrock_customization import CustomizationJob
from bedrock_customization.asset import bedrock_model_dir, build_asset, package_dir, staged_asset_dir
from bedrock_customization_provider import contract


@pytest.fixture(scope="module")
def asset() -> Path:
    return staged_asset_dir()


def test_asset_holds_the_provider_package(asset):
    # every module of the provider package, as found by importlib (works from a checkout or a wheel)
    source = package_dir("bedrock_customization_provider")
    expected = {p.relative_to(source) for p in source.rglob("*.py") if "__pycache__" not in p.parts}
    copied = {p.relative_to(asset / "bedrock_customization_provider") for p in asset.rglob("*.py")
              if p.is_relative_to(asset / "bedrock_customization_provider")}  # fmt: skip
    assert {Path("__init__.py"), Path("contract.py"), Path("shapes.py")} <= expected
    assert copied == expected


def test_asset_holds_crhelper(asset):
    assert (asset / "crhelper" / "__init__.py").is_file()
    assert (asset / "crhelper" / "resource_helper.py").is_file()


def test_asset_holds_bedrocks_botocore_model_where_aws_data_path_points(asset):
    version = bedrock_model_dir().name
    model_dir = asset / contract.BOTOCORE_DATA_DIR / "bedrock" / version
    assert sorted(p.name for p in model_dir.iterdir()) == ["endpoint-rule-set-1.json.gz", "service-2.json.gz"]
    # botocore, pointed only at the asset's data folder, loads Bedrock's model from it
    loader = botocore.loaders.Loader(
        extra_search_paths=[str(asset / contract.BOTOCORE_DATA_DIR)], include_default_search_paths=False
    )
    model = loader.load_service_model("bedrock", "service-2")
    assert "CreateCustomModel" in model["operations"]


def test_the_model_folder_is_the_newest_bedrock_version_of_the_installed_botocore():
    # the folder botocore's own loader picks, found without importing botocore
    newest = botocore.loaders.Loader().determine_latest_version("bedrock", "service-2")
    assert bedrock_model_dir() == Path(botocore.__file__).parent / "data" / "bedrock" / newest
    assert (bedrock_model_dir() / "service-2.json.gz").is_file()


def test_asset_carries_no_sdk_and_no_caches(asset):
    top_level = {p.name for p in asset.iterdir()}
    assert top_level == {"bedrock_customization_provider", "crhelper", contract.BOTOCORE_DATA_DIR}
    everything = list(asset.rglob("*"))
    assert not [p for p in everything if p.name in ("boto3", "botocore", "__pycache__") or p.suffix == ".pyc"]


def test_asset_is_deterministic(tmp_path):
    first = build_asset(tmp_path / "one")
    second = build_asset(tmp_path / "two")
    assert cdk.FileSystem.fingerprint(str(first)) == cdk.FileSystem.fingerprint(str(second))


def test_asset_hash_is_stable_across_synths():
    # GIVEN two synths whose assets are staged independently, into different folders (as two processes would:
    # the staged folder is cached per process, so the cache is cleared before each synth)
    def synth_once() -> tuple[Path, str]:
        staged_asset_dir.cache_clear()
        stack = cdk.Stack(cdk.App(), "S")
        CustomizationJob(
            stack,
            "Job",
            base_model="amazon.nova-micro-v1:0:128k",
            training_data="s3://b-1/t",
            output_data="s3://b-1/o/",
        )
        functions = cdk.assertions.Template.from_stack(stack).find_resources("AWS::Lambda::Function")
        # the provider and its on-failure destination run the same asset
        (key,) = {function["Properties"]["Code"]["S3Key"] for function in functions.values()}
        return staged_asset_dir(), key

    # WHEN each synthesizes the provider function
    first_dir, first_key = synth_once()
    second_dir, second_key = synth_once()
    # THEN the function's code has the same asset hash both times, though it was staged twice
    assert first_dir != second_dir
    assert first_key == second_key


def test_the_model_is_shipped_without_documentation_at_any_depth_and_otherwise_unchanged():
    import gzip
    import json

    from bedrock_customization.asset import without_documentation

    model = {
        "documentation": "top",
        "shapes": {
            "A": {"type": "structure", "documentation": "a", "members": {"x": {"shape": "S", "documentation": "x"}}},
            "L": {"type": "list", "member": {"shape": "A"}, "documentation": "l"},
            "E": {"type": "string", "enum": ["documentation", "other"]},  # a value named so stays
        },
        "operations": [{"name": "Op", "documentation": "op", "errors": [{"shape": "A", "documentation": "e"}]}],
    }
    stripped = json.loads(gzip.decompress(without_documentation(gzip.compress(json.dumps(model).encode()))))
    assert stripped == {
        "shapes": {
            "A": {"type": "structure", "members": {"x": {"shape": "S"}}},
            "L": {"type": "list", "member": {"shape": "A"}},
            "E": {"type": "string", "enum": ["documentation", "other"]},
        },
        "operations": [{"name": "Op", "errors": [{"shape": "A"}]}],
    }
    # no timestamp and no compressor choice in the bytes: the same input gives the same asset hash
    shipped = without_documentation(gzip.compress(json.dumps(model).encode(), mtime=12345))
    assert shipped[4:8] == b"\0\0\0\0"  # gzip's MTIME field
    assert shipped[10] & 0b110 == 0  # the first deflate block is stored (BTYPE 00): no compressor's choices
