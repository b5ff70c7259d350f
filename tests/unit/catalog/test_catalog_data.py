"""The committed catalog: in step with the provider's schemas, and every model in it usable."""

from __future__ import annotations

import json

import pytest

from ops import build_catalog
from videohook.catalog import Catalog, ModelSpec
from videohook.catalog.examples import minimal_request
from videohook.catalog.spec import CATALOG_FILE

CATALOG = Catalog.load()
ALL_MODELS = CATALOG.models()
UNIVERSAL = "/v2/video/generations"
RUNWAY_LEGACY = "/v2/generate/video/runway/generation"


def test_the_committed_catalog_is_what_the_script_makes_of_the_provider_schemas() -> None:
    # Given the provider's file beside the repository (CI clones have ../shared too): its
    # absence fails this test, since then nothing proves the catalog current.
    source = build_catalog.find_source()

    # Then regenerating changes nothing, and --check agrees.
    assert build_catalog.rendered_from(source) == CATALOG_FILE.read_text(encoding="utf-8")
    assert build_catalog.main(["--check", "--source", str(source)]) == 0


def test_every_model_the_provider_lists_is_in_the_catalog() -> None:
    source = json.loads(build_catalog.find_source().read_text(encoding="utf-8"))
    assert sorted(source["models"]) == [spec.id for spec in ALL_MODELS]
    assert len(ALL_MODELS) == 143


@pytest.mark.parametrize("spec", ALL_MODELS, ids=lambda spec: spec.id)
def test_a_minimal_request_derived_from_each_schema_validates_clean(spec: ModelSpec) -> None:
    assert CATALOG.validate(spec.id, minimal_request(spec)) == []
    assert CATALOG.validate(spec.id, minimal_request(spec, data_uris=True)) == []


@pytest.mark.parametrize("spec", ALL_MODELS, ids=lambda spec: spec.id)
def test_each_schema_refuses_unknown_fields_and_leaves_model_to_the_catalog(spec: ModelSpec) -> None:
    assert spec.parameters["additionalProperties"] is False
    assert "model" not in spec.parameters["properties"]
    assert "model" not in spec.parameters.get("required", [])
    assert spec.retrieve_path == spec.create_path
    assert spec.timing.min_check_interval_seconds <= spec.timing.max_check_interval_seconds
    assert spec.timing.first_check_delay_seconds < spec.timing.max_age_seconds


def test_models_are_sorted_and_found_by_id_or_alias() -> None:
    assert [spec.id for spec in ALL_MODELS] == sorted(spec.id for spec in ALL_MODELS)
    assert CATALOG.get("gen4_turbo") is CATALOG.get("runway/gen4_turbo")
    assert CATALOG.get("gen4_turbo").id == "runway/gen4_turbo"  # type: ignore[union-attr]
    assert CATALOG.get("gen3a_turbo").id == "gen3a_turbo"  # type: ignore[union-attr]
    assert CATALOG.get("runway/gen5_ultra") is None


def test_loading_is_done_once_per_process() -> None:
    assert Catalog.load() is CATALOG


def test_the_two_runway_models_keep_todays_legacy_route_and_field_names() -> None:
    for model, ratios in (("gen3a_turbo", 2), ("gen4_turbo", 6)):
        spec = CATALOG.get(model)
        assert spec is not None
        assert (spec.create_path, spec.retrieve_path, spec.legacy_path) == (RUNWAY_LEGACY,) * 3
        assert len(spec.parameters["properties"]["ratio"]["enum"]) == ratios
        assert "aspect_ratio" not in spec.parameters["properties"]
    assert "last_image_url" in CATALOG.get("gen3a_turbo").parameters["properties"]  # type: ignore[union-attr]
    assert "last_image_url" not in CATALOG.get("gen4_turbo").parameters["properties"]  # type: ignore[union-attr]


def test_models_go_to_the_universal_pair_and_record_their_per_vendor_path() -> None:
    kling = CATALOG.get("kling-video/v1.6/pro/image-to-video")
    assert kling is not None
    assert (kling.create_path, kling.legacy_path) == (UNIVERSAL, "/v2/generate/video/kling/generation")
    veo2 = CATALOG.get("veo2")
    assert veo2 is not None
    assert (veo2.create_path, veo2.legacy_path, veo2.family) == (
        UNIVERSAL,
        "/v2/generate/video/google/generation",
        "google",
    )
    sora = CATALOG.get("openai/sora-2-t2v")
    assert sora is not None
    assert (sora.create_path, sora.legacy_path) == (UNIVERSAL, None)


def test_a_model_documented_only_on_a_per_vendor_path_is_routed_there() -> None:
    wan = CATALOG.get("wan/v2.1/1.3b/text-to-video")
    assert wan is not None
    assert wan.create_path == wan.retrieve_path == wan.legacy_path == "/v2/generate/video/alibaba/generation"
    assert wan.family == "alibaba"


def test_pacing_comes_from_the_family_with_per_model_overrides() -> None:
    hailuo_fast = CATALOG.get("minimax/hailuo-2.3-fast")
    hailuo_02 = CATALOG.get("minimax/hailuo-02")
    sora = CATALOG.get("openai/sora-2-pro-t2v")
    luma = CATALOG.get("luma/ray-2")
    assert hailuo_fast and hailuo_02 and sora and luma
    assert (hailuo_fast.timing.max_age_seconds, hailuo_fast.timing.first_check_delay_seconds) == (900, 60)
    assert (hailuo_02.timing.max_age_seconds, hailuo_02.timing.first_check_delay_seconds) == (900, 120)
    assert (sora.timing.max_age_seconds, sora.timing.first_check_delay_seconds) == (600, 30)
    assert (luma.timing.max_age_seconds, luma.timing.first_check_delay_seconds) == (1800, 15)


def test_families_name_the_vendor() -> None:
    families = {spec.id: spec.family for spec in ALL_MODELS}
    assert families["klingai/avatar-pro"] == families["kling-video/v1/pro/text-to-video"] == "kling"
    assert families["video-01"] == families["minimax/hailuo-02"] == "minimax"
    assert families["runway-gen3/turbo/image-to-video"] == families["gen3a_turbo"] == "runway"
    assert families["veo-3.1-lite-generate-001"] == families["google/veo3"] == "google"
    assert families["x-ai/grok-imagine-video"] == "xai"
    assert {"alibaba", "bytedance", "pixverse", "luma", "ltxv", "krea", "openai"} <= set(families.values())


def test_a_catalog_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        Catalog.from_data({"format": 99, "models": {}})
