"""The botocore-free model reader (:mod:`bedrock_customization_provider.service_model`) against botocore itself.

The library validates with its own reader so that synth never imports botocore; these tests load the same data with
botocore (tests may) and require the same search paths, API version, file, dict and, for every shape of every input
tree the library validates, the same attributes.
"""

from __future__ import annotations

import gzip
import json
import os

import botocore.loaders
import botocore.model
import pytest
from bedrock_customization_provider import rules, service_model, shapes

#: Every operation whose input the constructs or the provider validate (rules.*_OPERATION, as the constructs use them).
OPERATIONS = sorted(value for name, value in vars(rules).items() if name.endswith("_OPERATION"))
#: The attributes of a shape the library reads (shapes.py, validation.py, tagging.py, the tests).
SCALAR_ATTRIBUTES = ("name", "type_name", "metadata", "required_members", "enum")
CHILD_ATTRIBUTES = ("members", "member", "key", "value")


def botocore_model(data_path: str | None = None) -> botocore.model.ServiceModel:
    description = botocore.loaders.create_loader(data_path).load_service_model("bedrock", "service-2")
    return botocore.model.ServiceModel(description, "bedrock")


def assert_same_tree(ours: object, theirs: object, path: str, seen: set[str]) -> int:
    """Compare two shapes attribute by attribute, then their children; returns how many shapes were compared."""
    for attribute in (*SCALAR_ATTRIBUTES, *CHILD_ATTRIBUTES):
        assert hasattr(ours, attribute) == hasattr(theirs, attribute), f"{path}: {attribute}"
    for attribute in SCALAR_ATTRIBUTES:
        if hasattr(theirs, attribute):
            assert getattr(ours, attribute) == getattr(theirs, attribute), f"{path}: {attribute}"
    key = f"{theirs.name} {json.dumps(theirs.metadata, sort_keys=True)}"
    if key in seen:  # recursive shapes: compared once
        return 0
    seen.add(key)
    compared = 1
    if hasattr(theirs, "members"):
        assert list(ours.members) == list(theirs.members), f"{path}: member order"
        for name, member in theirs.members.items():
            compared += assert_same_tree(ours.members[name], member, f"{path}.{name}", seen)
    for attribute in ("member", "key", "value"):
        if hasattr(theirs, attribute):
            compared += assert_same_tree(
                getattr(ours, attribute), getattr(theirs, attribute), f"{path}.{attribute}", seen
            )
    return compared


# --- parity with botocore on the installed model ----------------------------------------------------------------------
def test_the_operations_are_the_ones_the_library_validates():
    assert {
        "CreateModelCustomizationJob",
        "CreateCustomModel",
        "CreateCustomModelDeployment",
        "CreateProvisionedModelThroughput",
        "CreateModelImportJob",
    } <= set(OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_shape_of_the_input_tree_matches_botocore(operation):
    theirs = botocore_model().operation_model(operation).input_shape
    ours = service_model.load().input_shape(operation)
    assert assert_same_tree(ours, theirs, operation, set()) >= 5


def test_every_named_shape_matches_botocore():
    theirs, ours = botocore_model(), service_model.load()
    for name in theirs.shape_names:
        assert_same_tree(ours.shape_for(name), theirs.shape_for(name), name, {"(children compared above)"})


def test_shapes_validate_with_the_new_reader():
    assert isinstance(shapes.input_shape("CreateModelCustomizationJob"), service_model.StructureShape)
    assert shapes.service_model().shape_for("RFTHyperParameters").members


def test_same_dict_as_botocores_loader():
    assert service_model.load_description() == botocore.loaders.create_loader().load_service_model(
        "bedrock", "service-2"
    )


def test_same_search_paths_as_botocore(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_DIR", str(tmp_path))
    value = os.pathsep.join(["~/models", "$SOME_DIR/data", str(tmp_path)])
    assert service_model.search_paths(value) == botocore.loaders.create_loader(value).search_paths
    assert service_model.search_paths(None) == botocore.loaders.create_loader(None).search_paths


def test_botocore_is_not_imported_by_the_reader():
    import subprocess
    import sys

    code = (
        "import sys; from bedrock_customization_provider import shapes; "
        "shapes.validate_request('CreateCustomModel', {}); print('botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the locator honours AWS_DATA_PATH as botocore does ---------------------------------------------------------------
@pytest.fixture
def real_model() -> dict:
    return botocore.loaders.create_loader().load_service_model("bedrock", "service-2")


def write_model(root, version: str, model: dict, *, gz: bool = False, type_name: str = "service-2"):
    folder = root / "bedrock" / version
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model).encode("utf-8")
    if gz:
        (folder / f"{type_name}.json.gz").write_bytes(gzip.compress(text))
    else:
        (folder / f"{type_name}.json").write_bytes(text)
    return folder


def with_member(model: dict, member: str) -> dict:
    changed = json.loads(json.dumps(model))
    changed["shapes"]["CreateCustomModelRequest"]["members"][member] = {"shape": "String"}
    return changed


def assert_located_like_botocore(data_path: str) -> tuple[str, dict]:
    loader = botocore.loaders.create_loader(data_path)
    paths = service_model.search_paths(data_path)
    version = service_model.latest_version("bedrock", paths)
    assert version == loader.determine_latest_version("bedrock", "service-2")
    assert service_model.api_versions("bedrock", paths) == loader.list_api_versions("bedrock", "service-2")
    _, stem = loader.load_data_with_path(f"bedrock/{version}/service-2")
    assert str(service_model.model_dir("bedrock", paths) / "service-2") == stem
    description = service_model.load_description("bedrock", paths)
    assert description == loader.load_service_model("bedrock", "service-2")
    return version, description


def test_a_newer_gzipped_version_in_aws_data_path_wins(tmp_path, real_model):
    write_model(tmp_path, "2099-01-01", with_member(real_model, "fromGzip"), gz=True)
    version, description = assert_located_like_botocore(str(tmp_path))
    assert version == "2099-01-01"
    assert "fromGzip" in description["shapes"]["CreateCustomModelRequest"]["members"]


def test_plain_json_wins_over_gzip_in_the_same_folder(tmp_path, real_model):
    write_model(tmp_path, "2099-01-01", with_member(real_model, "fromGzip"), gz=True)
    write_model(tmp_path, "2099-01-01", with_member(real_model, "fromJson"))
    _, description = assert_located_like_botocore(str(tmp_path))
    assert "fromJson" in description["shapes"]["CreateCustomModelRequest"]["members"]


def test_the_first_path_with_the_newest_version_is_read(tmp_path, real_model):
    first, second = tmp_path / "first", tmp_path / "second"
    write_model(first, "2099-01-01", with_member(real_model, "fromFirst"), gz=True)
    write_model(second, "2099-01-01", with_member(real_model, "fromSecond"))
    write_model(second, "2098-01-01", with_member(real_model, "older"))
    version, description = assert_located_like_botocore(os.pathsep.join([str(first), str(second)]))
    assert version == "2099-01-01"
    assert "fromFirst" in description["shapes"]["CreateCustomModelRequest"]["members"]


def test_the_newest_version_wins_even_from_a_later_path(tmp_path, real_model):
    first, second = tmp_path / "first", tmp_path / "second"
    write_model(first, "2098-01-01", with_member(real_model, "older"))
    write_model(second, "2099-01-01", with_member(real_model, "newer"), gz=True)
    version, description = assert_located_like_botocore(
        os.pathsep.join([str(first), str(tmp_path / "missing"), str(second)])
    )
    assert version == "2099-01-01"
    assert "newer" in description["shapes"]["CreateCustomModelRequest"]["members"]


def test_a_folder_without_the_service_model_is_no_version(tmp_path, real_model):
    write_model(tmp_path, "2100-01-01", {"pagination": {}}, type_name="paginators-1")
    (tmp_path / "bedrock" / "2101-01-01").mkdir()
    version, _ = assert_located_like_botocore(str(tmp_path))
    assert version < "2100-01-01"


def test_sdk_extras_are_merged_as_botocore_merges_them(tmp_path, real_model):
    write_model(tmp_path, "2099-01-01", real_model)
    extras = {"merge": {"shapes": {"CreateCustomModelRequest": {"members": {"fromExtras": {"shape": "String"}}}}}}
    write_model(tmp_path, "2099-01-01", extras, type_name="service-2.sdk-extras")
    _, description = assert_located_like_botocore(str(tmp_path))
    members = description["shapes"]["CreateCustomModelRequest"]["members"]
    assert "fromExtras" in members
    assert "modelSourceConfig" in members  # merged, not replaced


def test_home_is_expanded_in_aws_data_path(tmp_path, monkeypatch, real_model):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_model(tmp_path / "data", "2099-01-01", with_member(real_model, "fromHome"))
    assert service_model.latest_version("bedrock", service_model.search_paths("~/data")) == "2099-01-01"


def test_shapes_follow_aws_data_path(tmp_path, monkeypatch, real_model):
    write_model(tmp_path, "2099-01-01", with_member(real_model, "brandNewField"), gz=True)
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    shapes.service_model.cache_clear()
    try:
        assert "brandNewField" in shapes.input_shape("CreateCustomModel").members
    finally:
        monkeypatch.delenv("AWS_DATA_PATH")
        shapes.service_model.cache_clear()
    assert "brandNewField" not in shapes.input_shape("CreateCustomModel").members


def test_no_model_anywhere_is_an_error(tmp_path):
    with pytest.raises(service_model.ModelNotFoundError):
        service_model.latest_version("bedrock", [str(tmp_path)])


# --- pattern matches are memoized, for short values only --------------------------------------------------------------
def test_short_values_are_memoized_and_long_ones_are_not():
    shapes._memoized_matches.cache_clear()
    assert shapes._matches("[a-z]+", "abc")
    assert shapes._matches("[a-z]+", "abc")
    assert shapes._memoized_matches.cache_info().hits == 1
    assert not shapes._matches("[a-z]+", "a" * 2000 + "!")
    assert shapes._memoized_matches.cache_info().currsize == 1
