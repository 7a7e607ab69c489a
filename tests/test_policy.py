"""Policies: presets, tier -> route decisions, successor resolution and policy files."""

from __future__ import annotations

import copy
import functools
import json
import math
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.catalog import Catalog, Thinking, map_thinking, validate_thinking
from router.errors import InvalidRequest
from router.policy import (
    DEFAULT_POLICY,
    PRESETS,
    TIERS,
    Policy,
    PolicyError,
    Route,
    load_policy,
)

TODAY = date(2026, 11, 22)
AFTER_2_5 = date(2026, 12, 1)


@functools.cache
def shared_catalog() -> Catalog:
    return Catalog.load()


@functools.cache
def preset(name: str) -> Policy:
    return load_policy(name, shared_catalog())


@pytest.fixture
def catalog() -> Catalog:
    return shared_catalog()


def custom_policy(tmp_path: Path, data: Any, name: str = "custom.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_route_valid(policy: Policy, route: Route, today: date) -> None:
    """The route's model is available on ``today`` and accepts its thinking; fallbacks too."""
    catalog = policy.catalog
    model = catalog.get(route.model)
    assert model.shutdown is None or today < model.shutdown
    validate_thinking(model, route.thinking)
    assert route.model in policy.models()
    assert route.model not in route.fallbacks
    assert len(set(route.fallbacks)) == len(route.fallbacks)
    assert route.max_output_tokens is not None and route.max_output_tokens > 0
    if model.max_output_tokens is not None:
        assert route.max_output_tokens <= model.max_output_tokens
    for fallback_id in route.fallbacks:
        fallback = catalog.get(fallback_id)
        assert fallback.shutdown is None or today < fallback.shutdown
        validate_thinking(fallback, map_thinking(route.thinking, fallback))
    for fallback_route in policy.fallback_routes(route):
        validate_thinking(catalog.get(fallback_route.model), fallback_route.thinking)


def test_presets_and_default() -> None:
    assert DEFAULT_POLICY == "flash-budget"
    assert sorted(PRESETS) == ["flash-budget", "gemini-3", "tiered-models"]
    assert TIERS == ("light", "intermediate", "advanced")


@pytest.mark.parametrize(
    ("tier", "budget", "max_output"),
    [("light", 0, 2048), ("intermediate", 4096, 4096 + 4096), ("advanced", 24576, 24576 + 8192)],
)
def test_flash_budget_on_the_2_5_generation(tier: str, budget: int, max_output: int) -> None:
    route = preset("flash-budget").route(tier, today=TODAY)
    assert route == Route(
        tier=tier,
        model="gemini-2.5-flash",
        thinking=Thinking(budget=budget),
        max_output_tokens=max_output,
        fallbacks=("gemini-3.6-flash", "gemini-2.5-flash-lite"),
    )
    assert route.thinking.to_config() == {"thinkingBudget": budget}


@pytest.mark.parametrize(("tier", "level"), [("light", "minimal"), ("intermediate", "medium"), ("advanced", "high")])
@pytest.mark.parametrize("today", [AFTER_2_5, date(2027, 6, 1)])
def test_flash_budget_after_shutdown_uses_successor_levels(tier: str, level: str, today: date) -> None:
    route = preset("flash-budget").route(tier, today=today)
    assert route.model == "gemini-3.5-flash-lite"  # Google's named replacement for 2.5-flash
    assert route.thinking == Thinking(level=level)
    assert route.thinking.header() == f"level={level}"


def test_flash_budget_warns_about_the_coming_shutdown(catalog: Catalog) -> None:
    warnings = catalog.lifecycle_warnings(preset("flash-budget").models(), TODAY)
    assert warnings == [
        "gemini-2.5-flash shuts down on 2026-12-01 (in 9 days); "
        "after that requests go to its successor gemini-3.5-flash-lite"
    ]


def test_policy_models_include_successors() -> None:
    assert preset("flash-budget").models() == [
        "gemini-2.5-flash",
        "gemini-3.5-flash-lite",
        "gemini-3.6-flash",
        "gemini-2.5-flash-lite",
    ]


@pytest.mark.parametrize(
    ("score", "budget"),
    [
        (None, 4096),
        (float("nan"), 4096),
        (0.0, 2048),
        (0.5, 5120),
        (1.0, 8192),
        (-3.0, 2048),
        (7.0, 8192),
        (float("inf"), 8192),
        (float("-inf"), 2048),
    ],
)
def test_budget_scales_with_score_within_the_tier(score: float | None, budget: int) -> None:
    route = preset("flash-budget").route("intermediate", score, today=TODAY)
    assert route.thinking == Thinking(budget=budget)
    assert route.max_output_tokens == budget + 4096


def test_scaled_budget_is_clipped_to_the_model_range(tmp_path: Path, catalog: Catalog) -> None:
    data = copy.deepcopy(PRESETS["flash-budget"])
    data["tiers"]["advanced"]["budget_by_score"] = [20000, 40000]
    data["tiers"]["advanced"]["answer_tokens"] = 60000
    policy = load_policy(str(custom_policy(tmp_path, data)), catalog)
    route = policy.route("advanced", 1.0, today=TODAY)
    assert route.thinking == Thinking(budget=24576)
    assert route.max_output_tokens == 65536  # the model's maximum, not 24576 + 60000


def test_tiered_models_preset(catalog: Catalog) -> None:
    policy = preset("tiered-models")
    light, mid, advanced = (policy.route(t, today=TODAY) for t in TIERS)
    assert (light.model, light.thinking) == ("gemini-2.5-flash-lite", Thinking(budget=0))
    assert (mid.model, mid.thinking) == ("gemini-3.6-flash", Thinking(level="medium"))
    assert (advanced.model, advanced.thinking) == ("gemini-3.1-pro-preview", Thinking(level="high"))
    assert "-lite" in light.model and "flash" in mid.model and "-pro" in advanced.model


def test_gemini_3_preset_uses_levels_on_3x_models_only() -> None:
    policy = preset("gemini-3")
    assert all(m.startswith("gemini-3.") for m in policy.models())
    levels = [policy.route(t, today=TODAY).thinking for t in TIERS]
    assert levels == [Thinking(level="minimal"), Thinking(level="medium"), Thinking(level="high")]


def test_fallbacks_past_shutdown_resolve_and_dedupe() -> None:
    route = preset("gemini-3").route("light", today=date(2027, 5, 7))
    # gemini-3.1-flash-lite's successor is the primary model itself, so it drops out.
    assert (route.model, route.fallbacks) == ("gemini-3.5-flash-lite", ("gemini-3.6-flash",))


def test_fallback_routes_map_thinking() -> None:
    policy = preset("flash-budget")
    route = policy.route("light", today=AFTER_2_5)
    assert [(r.model, r.thinking) for r in policy.fallback_routes(route)] == [
        ("gemini-3.6-flash", Thinking(level="minimal")),
        ("gemini-2.5-flash-lite", Thinking(budget=0)),
    ]


def test_unknown_tier_is_a_client_error() -> None:
    with pytest.raises(InvalidRequest, match="unknown tier 'expert'"):
        preset("flash-budget").route("expert", today=TODAY)


def test_every_preset_is_valid_every_day_of_the_transition() -> None:
    """DESIGN: the default preset must be valid on the day the service starts, whatever day."""
    day = date(2026, 11, 1)
    while day <= date(2027, 12, 31):
        for name in PRESETS:
            policy = preset(name)
            for tier in TIERS:
                assert_route_valid(policy, policy.route(tier, today=day), day)
        day += timedelta(days=1)


@given(
    name=st.sampled_from(sorted(PRESETS)),
    tier=st.sampled_from(TIERS),
    score=st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 1.0]),
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2040, 12, 31)),
)
def test_property_routes_always_valid(name: str, tier: str, score: float | None, today: date) -> None:
    policy = preset(name)
    route = policy.route(tier, score, today=today)
    assert_route_valid(policy, route, today)
    if score is not None and not math.isnan(score):
        assert route == policy.route(tier, min(max(score, 0.0), 1.0), today=today)


def test_named_model_past_shutdown_without_successor_falls_back(tmp_path: Path) -> None:
    text = resources.files("router").joinpath("_data/catalog.json").read_text("utf-8")
    data = json.loads(text)
    for model in data["models"]:
        if model["id"] == "gemini-2.5-flash":
            model["successor"] = None
    catalog = Catalog.load(custom_policy(tmp_path, data, "catalog.json"))
    policy = load_policy("flash-budget", catalog)
    route = policy.route("advanced", today=AFTER_2_5)
    assert (route.model, route.thinking) == ("gemini-3.6-flash", Thinking(level="high"))
    assert route.fallbacks == ("gemini-2.5-flash-lite",)
    assert catalog.lifecycle_warnings(policy.models(), AFTER_2_5)[0] == (
        "gemini-2.5-flash was shut down on 2026-12-01 and the catalog names no successor"
    )


def test_policy_file_round_trip(tmp_path: Path, catalog: Catalog) -> None:
    data = {"name": "mine", **copy.deepcopy(PRESETS["gemini-3"])}
    policy = load_policy(str(custom_policy(tmp_path, data)), catalog)
    assert policy.name == "mine"
    assert policy.route("advanced", today=TODAY) == preset("gemini-3").route("advanced", today=TODAY)


def bad_policy(mutate: str) -> Any:
    data = copy.deepcopy(PRESETS["flash-budget"])
    tiers = data["tiers"]
    if mutate == "missing tier":
        del tiers["advanced"]
    elif mutate == "extra tier":
        tiers["expert"] = tiers["advanced"]
    elif mutate == "unknown model":
        tiers["light"]["model"] = "gemini-9-flash"
    elif mutate == "unknown fallback":
        tiers["light"]["fallbacks"] = ["gemini-9-flash"]
    elif mutate == "invalid budget":
        tiers["light"]["thinking"] = {"budget": 30000}
    elif mutate == "level on budget model":
        tiers["light"]["thinking"] = {"level": "low"}
    elif mutate == "unknown thinking key":
        tiers["light"]["thinking"] = {"effort": "low"}
    elif mutate == "bad scale":
        tiers["intermediate"]["budget_by_score"] = [8192, 2048]
    elif mutate == "bad answer":
        tiers["light"]["answer_tokens"] = 0
    elif mutate == "not an object":
        return ["flash"]
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        ("missing tier", "missing: ['advanced']"),
        ("extra tier", "unknown: ['expert']"),
        ("unknown model", "tiers.light: models/gemini-9-flash is not found"),
        ("unknown fallback", "tiers.light: models/gemini-9-flash is not found"),
        ("invalid budget", "tiers.light.thinking: The thinking budget 30000 is invalid"),
        ("level on budget model", "tiers.light.thinking: Thinking level is not supported"),
        ("unknown thinking key", "tiers.light.thinking: expected"),
        ("bad scale", "tiers.intermediate.budget_by_score"),
        ("bad answer", "tiers.light.answer_tokens"),
        ("not an object", "expected an object with a 'tiers' object"),
    ],
)
def test_bad_policy_files(tmp_path: Path, catalog: Catalog, mutate: str, message: str) -> None:
    path = custom_policy(tmp_path, bad_policy(mutate))
    with pytest.raises(PolicyError) as info:
        load_policy(str(path), catalog)
    assert message in str(info.value)


def test_unknown_policy_name_and_unreadable_file(tmp_path: Path, catalog: Catalog) -> None:
    with pytest.raises(PolicyError, match=r"unknown policy 'flash'.*flash-budget, gemini-3"):
        load_policy("flash", catalog)
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(str(bad), catalog)


def test_loading_does_not_mutate_presets(catalog: Catalog) -> None:
    before = copy.deepcopy(PRESETS)
    for name in PRESETS:
        load_policy(name, catalog).route("advanced", 0.3, today=AFTER_2_5)
    assert before == PRESETS
