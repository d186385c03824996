"""The hyperparameter catalogue and its checker, a failing and a passing case per rule (cdk-nag style)."""

from __future__ import annotations

import json

import pytest
from bedrock_customization_provider import hyperparameters, shapes
from bedrock_customization_provider.hyperparameters import catalogue, problems, resolve_model_id

NOVA = "amazon.nova-micro-v1:0:128k"
TITAN = "amazon.titan-text-express-v1:0:8k"


def rules(base: str, hyper: dict, kind: str = "FINE_TUNING") -> list[str]:
    return [str(p) for p in problems(base, kind, hyper)]


def test_every_family_cites_a_user_guide_page_and_every_range_is_ordered():
    data = json.loads(hyperparameters.CATALOGUE_FILE.read_text())
    for name, family in data["families"].items():
        assert family["source"].startswith("https://docs.aws.amazon.com/"), name
        assert family["unknownNames"] in ("refuse", "pass"), name
        for param, spec in family["hyperparameters"].items():
            assert spec["type"] in ("integer", "float"), (name, param)
            if "min" in spec and "max" in spec:
                assert spec["min"] <= spec["max"], (name, param)
            if "default" in spec:
                assert spec.get("min", spec["default"]) <= spec["default"] <= spec.get("max", spec["default"])


def test_every_alias_resolves_to_a_catalogued_model():
    known = set(catalogue().models)
    assert all(target in known for target in catalogue().aliases.values())


def test_rft_hyperparameters_agree_with_the_botocore_shape():
    shape = shapes.service_model().shape_for("RFTHyperParameters")
    assert set(catalogue().rft) == set(shape.members)
    for name, member in shape.members.items():
        spec = catalogue().rft[name]
        assert spec.get("min") == member.metadata.get("min"), name
        assert spec.get("max") == member.metadata.get("max"), name


# --- model ids ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("amazon.titan-text-express-v1", TITAN),
        ("amazon.nova-micro-v1:0", NOVA),
        (NOVA, NOVA),
        (f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA}", NOVA),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1", TITAN),
        ("arn:aws:bedrock:us-east-1:123456789012:custom-model/abc/xyz", None),
        (None, None),
    ],
)
def test_unversioned_ids_resolve_as_bedrock_resolves_them(given, resolved):
    assert resolve_model_id(given) == resolved


# --- rule: range ------------------------------------------------------------------------------------------------------
def test_out_of_range_values_are_refused_with_the_range():
    assert rules(NOVA, {"epochCount": "6", "learningRate": "0.001", "learningRateWarmupSteps": "-1"}) == [
        f"hyperParameters.epochCount must be between 1 and 5 for {NOVA} FINE_TUNING (got '6')",
        f"hyperParameters.learningRate must be between 1e-06 and 0.0001 for {NOVA} FINE_TUNING (got '0.001')",
        f"hyperParameters.learningRateWarmupSteps must be between 0 and 100 for {NOVA} FINE_TUNING (got '-1')",
    ]


def test_in_range_values_pass_at_both_ends():
    assert rules(NOVA, {"epochCount": "1", "learningRate": "1e-4", "learningRateWarmupSteps": "100"}) == []
    assert rules(NOVA, {"epochCount": "5", "learningRate": "0.000001"}) == []


def test_a_fixed_value_is_named_as_such():
    premier = "amazon.titan-text-premier-v1:0:32k"
    assert rules(premier, {"batchSize": "2"}) == [
        f"hyperParameters.batchSize must be 1 for {premier} FINE_TUNING (got '2')"
    ]
    assert rules(premier, {"batchSize": "1"}) == []


# --- rule: type -------------------------------------------------------------------------------------------------------
def test_a_value_of_the_wrong_type_is_refused():
    assert rules(TITAN, {"epochCount": "2.5", "learningRate": "fast"}) == [
        f"hyperParameters.epochCount must be an integer for {TITAN} FINE_TUNING (got '2.5')",
        f"hyperParameters.learningRate must be a number for {TITAN} FINE_TUNING (got 'fast')",
    ]


def test_a_documented_literal_passes_and_others_do_not():
    embed = "amazon.titan-embed-image-v1:0"
    assert rules(embed, {"epochCount": "Auto"}) == []
    assert rules(embed, {"epochCount": "auto"}) == [
        f"hyperParameters.epochCount must be an integer or Auto for {embed} FINE_TUNING (got 'auto')"
    ]


# --- rule: names ------------------------------------------------------------------------------------------------------
def test_an_unknown_name_is_refused_with_the_closest_valid_names():
    assert rules(TITAN, {"epochcount": "2"}) == [
        f"hyperParameters.epochcount is not a hyperparameter for {TITAN} FINE_TUNING: did you mean epochCount?"
    ]
    assert rules(TITAN, {"dropout": "0.1"}) == [
        f"hyperParameters.dropout is not a hyperparameter for {TITAN} FINE_TUNING; valid names: batchSize, "
        "epochCount, learningRate, learningRateWarmupSteps"
    ]


def test_known_names_pass():
    assert rules(TITAN, {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"}) == []


def test_a_family_whose_list_is_not_confirmed_complete_lets_other_names_pass():
    # batchSize on Nova, as in common samples (see the catalogue's unknownNamesWhy)
    assert rules(NOVA, {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"}) == []


def test_an_adjustable_quota_is_not_checked_as_a_maximum():
    llama = "meta.llama3-1-8b-instruct-v1:0:128k"
    assert rules(llama, {"epochCount": "0"}) == [
        f"hyperParameters.epochCount must be at least 1 for {llama} FINE_TUNING (got '0')"
    ]
    assert rules(llama, {"epochCount": "25"}) == []


# --- what is not checked ----------------------------------------------------------------------------------------------
def test_unknown_models_tokens_and_uncatalogued_types_pass_unchecked():
    assert rules("amazon.some-new-model-v1:0", {"anything": "99"}) == []
    assert rules("arn:aws:bedrock:us-east-1:123456789012:custom-model/abc/xyz", {"epochCount": "99"}) == []
    assert rules(NOVA, {"epochCount": "99"}, kind="DISTILLATION") == []
    assert problems(NOVA, "FINE_TUNING", {"epochCount": "${Token[X]}"}, is_unresolved=lambda v: "Token" in v) == []
    assert problems(NOVA, "FINE_TUNING", "${Token[X]}") == []
