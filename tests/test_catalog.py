"""The model catalog: loading, validation errors, lifecycle, thinking rules and cost."""

from __future__ import annotations

import copy
import functools
import json
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.catalog import (
    LEVEL_ORDER,
    Catalog,
    CatalogError,
    Thinking,
    compute_cost,
    map_thinking,
    validate_thinking,
)
from router.errors import InvalidRequest, InvalidThinking, UnknownModel

TODAY = date(2026, 11, 22)
LMH = ("low", "medium", "high")
MODEL_IDS = [
    "gemini-2.5-flash-lite",
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3.1-flash-lite",
    "gemini-3.5-flash-lite",
    "gemini-3.5-flash",
    "gemini-3.6-flash",
    "gemini-3.7-flash",
    "gemini-3.8-flash",
    "gemini-3.1-pro-preview",
]


def packaged_data() -> dict[str, Any]:
    text = resources.files("router").joinpath("_data/catalog.json").read_text("utf-8")
    return json.loads(text)


def model_entry(data: dict[str, Any], model_id: str) -> dict[str, Any]:
    return next(m for m in data["models"] if m["id"] == model_id)


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@functools.cache
def shared_catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def catalog() -> Catalog:
    return shared_catalog()


# --- loading ------------------------------------------------------------------------------


def test_packaged_catalog_lists_the_lineup(catalog: Catalog) -> None:
    assert sorted(catalog.models) == sorted(MODEL_IDS)
    assert catalog.as_of == "2026-11"
    assert catalog.source
    assert {m.context_window for m in catalog.models.values()} == {1048576}


@pytest.mark.parametrize(
    ("model_id", "control", "lo", "hi", "dynamic", "can_disable", "levels", "default"),
    [
        ("gemini-2.5-flash-lite", "budget", 512, 24576, True, True, (), 0),
        ("gemini-2.5-flash", "budget", 1, 24576, True, True, (), -1),
        ("gemini-2.5-pro", "budget", 128, 32768, True, False, (), -1),
        ("gemini-3.1-flash-lite", "level", None, None, False, False, LMH, None),
        ("gemini-3.5-flash-lite", "level", None, None, False, False, LEVEL_ORDER, "minimal"),
        ("gemini-3.5-flash", "level", None, None, False, False, LMH, "medium"),
        ("gemini-3.6-flash", "level", None, None, False, False, LEVEL_ORDER, "medium"),
        ("gemini-3.7-flash", "level", None, None, False, False, LMH, "medium"),
        ("gemini-3.8-flash", "level", None, None, False, False, LMH, None),
        ("gemini-3.1-pro-preview", "level", None, None, False, False, LMH, "high"),
    ],
)  # fmt: skip
def test_thinking_specs(
    catalog: Catalog,
    model_id: str,
    control: str,
    lo: int | None,
    hi: int | None,
    dynamic: bool,
    can_disable: bool,
    levels: tuple[str, ...],
    default: int | str | None,
) -> None:
    spec = catalog.get(model_id).thinking
    assert (spec.control, spec.budget_min, spec.budget_max) == (control, lo, hi)
    assert (spec.dynamic, spec.can_disable, spec.levels, spec.default) == (
        dynamic,
        can_disable,
        levels,
        default,
    )


def test_unverified_levels_are_noted(catalog: Catalog) -> None:
    for model_id in ("gemini-3.1-flash-lite", "gemini-3.5-flash", "gemini-3.8-flash"):
        assert "not verified" in catalog.get(model_id).thinking.note


@pytest.mark.parametrize(
    ("model_id", "price_in", "price_out"),
    [
        ("gemini-2.5-flash-lite", 0.10, 0.40),
        ("gemini-2.5-flash", 0.30, 2.50),
        ("gemini-2.5-pro", 1.25, 10.00),
        ("gemini-3.1-flash-lite", 0.25, 1.50),
        ("gemini-3.5-flash-lite", 0.30, 2.50),
        ("gemini-3.5-flash", 1.50, 9.00),
        ("gemini-3.6-flash", 1.50, 7.50),
        ("gemini-3.1-pro-preview", 2.00, 12.00),
    ],
)
def test_list_prices(catalog: Catalog, model_id: str, price_in: float, price_out: float) -> None:
    prices = catalog.get(model_id).prices
    assert (prices.input, prices.output, prices.verified, prices.as_of) == (
        price_in,
        price_out,
        True,
        "2026",
    )


@pytest.mark.parametrize("model_id", ["gemini-3.7-flash", "gemini-3.8-flash"])
def test_unverified_prices_are_null_and_marked(catalog: Catalog, model_id: str) -> None:
    prices = catalog.get(model_id).prices
    assert (prices.input, prices.output, prices.cached_input, prices.verified) == (
        None,
        None,
        None,
        False,
    )
    assert "not verified" in prices.note


def test_lifecycle_fields(catalog: Catalog) -> None:
    flash = catalog.get("gemini-2.5-flash")
    assert (flash.released, flash.shutdown, flash.successor) == (
        date(2025, 6, 1),
        date(2026, 12, 1),
        "gemini-3.5-flash-lite",
    )
    assert "deprecations page" in flash.note
    pro = catalog.get("gemini-2.5-pro")
    assert (pro.shutdown, pro.successor) == (date(2026, 12, 1), "gemini-3.8-flash")
    lite = catalog.get("gemini-3.1-flash-lite")
    assert (lite.released, lite.shutdown, lite.successor) == (
        date(2026, 5, 7),
        date(2027, 5, 7),
        "gemini-3.5-flash-lite",
    )
    assert catalog.get("gemini-2.5-flash-lite").shutdown is None


def test_user_file_replaces_packaged_catalog(tmp_path: Path) -> None:
    data = packaged_data()
    model_entry(data, "gemini-3.7-flash")["prices"].update(
        {"input": 1.0, "output": 5.0, "verified": True, "as_of": "2026-12"}
    )
    data["models"] = [m for m in data["models"] if m["id"] != "gemini-3.8-flash"]
    model_entry(data, "gemini-2.5-pro")["successor"] = "gemini-3.7-flash"
    catalog = Catalog.load(write(tmp_path, data))
    assert "gemini-3.8-flash" not in catalog.models
    assert catalog.get("gemini-3.7-flash").prices.input == 1.0
    assert Catalog.load(str(write(tmp_path, data))).get("gemini-2.5-pro").successor == ("gemini-3.7-flash")


def broken(mutate: str) -> dict[str, Any]:
    data = packaged_data()
    flash = model_entry(data, "gemini-2.5-flash")
    if mutate == "missing display_name":
        del flash["display_name"]
    elif mutate == "bad range":
        flash["thinking"]["budget_min"] = 30000
    elif mutate == "unknown successor":
        flash["successor"] = "gemini-9-flash"
    elif mutate == "cycle":
        model_entry(data, "gemini-3.5-flash-lite")["successor"] = "gemini-2.5-flash"
    elif mutate == "duplicate":
        data["models"].append(copy.deepcopy(flash))
    elif mutate == "bad default":
        flash["thinking"]["default"] = 99999
    elif mutate == "bad level":
        model_entry(data, "gemini-3.6-flash")["thinking"]["levels"] = ["low", "extreme"]
    elif mutate == "verified null price":
        flash["prices"].update({"input": None, "verified": True})
    elif mutate == "negative price":
        flash["prices"]["output"] = -1
    elif mutate == "bad date":
        flash["shutdown"] = "December 2026"
    elif mutate == "bool as int":
        flash["context_window"] = True
    elif mutate == "no models":
        del data["models"]
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        ("missing display_name", "(gemini-2.5-flash).display_name: missing field"),
        ("bad range", "thinking.budget_min/budget_max"),
        ("unknown successor", "gemini-2.5-flash.successor: 'gemini-9-flash' is not in the catalog"),
        ("cycle", "successor cycle"),
        ("duplicate", "duplicate model id 'gemini-2.5-flash'"),
        ("bad default", "thinking.default: 99999 is not accepted"),
        ("bad level", "thinking.levels"),
        ("verified null price", "prices.verified"),
        ("negative price", "prices.output: expected a price >= 0"),
        ("bad date", "shutdown: expected YYYY-MM-DD"),
        ("bool as int", "context_window: expected int or null, got True"),
        ("no models", "'models' list"),
    ],
)
def test_malformed_catalog_names_the_field(tmp_path: Path, mutate: str, message: str) -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.load(write(tmp_path, broken(mutate)))
    assert message in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_unreadable_catalog_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read catalog"):
        Catalog.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        Catalog.load(bad)


# --- get / resolve / lifecycle ------------------------------------------------------------


def test_get_accepts_models_prefix(catalog: Catalog) -> None:
    assert catalog.get("models/gemini-2.5-flash") is catalog.get("gemini-2.5-flash")


def test_get_unknown_model_suggests_a_close_match(catalog: Catalog) -> None:
    with pytest.raises(UnknownModel) as info:
        catalog.get("gemini-2.5-flsh")
    assert "models/gemini-2.5-flsh is not found" in info.value.message
    assert "Did you mean 'gemini-2.5-flash'?" in info.value.message
    assert info.value.http_status == 404


@pytest.mark.parametrize(
    ("model_id", "today", "served"),
    [
        ("gemini-2.5-flash", date(2026, 11, 30), "gemini-2.5-flash"),
        ("gemini-2.5-flash", date(2026, 12, 1), "gemini-3.5-flash-lite"),
        ("gemini-2.5-pro", date(2026, 12, 1), "gemini-3.8-flash"),
        ("gemini-3.1-flash-lite", date(2027, 5, 6), "gemini-3.1-flash-lite"),
        ("models/gemini-3.1-flash-lite", date(2027, 5, 7), "gemini-3.5-flash-lite"),
        ("gemini-2.5-flash-lite", date(2040, 1, 1), "gemini-2.5-flash-lite"),
    ],
)
def test_resolve_follows_successors_past_shutdown(catalog: Catalog, model_id: str, today: date, served: str) -> None:
    assert catalog.resolve(model_id, today).id == served


def test_resolve_follows_a_chain_and_fails_without_successor(tmp_path: Path) -> None:
    data = packaged_data()
    model_entry(data, "gemini-3.5-flash-lite")["shutdown"] = "2027-01-01"
    catalog = Catalog.load(write(tmp_path, data))
    with pytest.raises(UnknownModel, match="shut down on 2027-01-01 and the catalog names no"):
        catalog.resolve("gemini-2.5-flash", date(2027, 1, 1))
    model_entry(data, "gemini-3.5-flash-lite")["successor"] = "gemini-3.6-flash"
    catalog = Catalog.load(write(tmp_path, data))
    assert catalog.resolve("gemini-2.5-flash", date(2027, 1, 1)).id == "gemini-3.6-flash"


def test_lifecycle_warnings_today(catalog: Catalog) -> None:
    assert catalog.lifecycle_warnings(["gemini-2.5-flash", "gemini-3.6-flash"], TODAY) == [
        "gemini-2.5-flash shuts down on 2026-12-01 (in 9 days); "
        "after that requests go to its successor gemini-3.5-flash-lite"
    ]


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [
        (31, []),
        (30, ["gemini-3.1-flash-lite shuts down on 2027-05-07 (in 30 days); "
              "after that requests go to its successor gemini-3.5-flash-lite"]),
        (10, ["gemini-3.1-flash-lite shuts down on 2027-05-07 (in 10 days); "
              "after that requests go to its successor gemini-3.5-flash-lite"]),
        (0, ["gemini-3.1-flash-lite was shut down on 2027-05-07; "
             "requests for it go to its successor gemini-3.5-flash-lite"]),
        (-5, ["gemini-3.1-flash-lite was shut down on 2027-05-07; "
              "requests for it go to its successor gemini-3.5-flash-lite"]),
    ],
)  # fmt: skip
def test_lifecycle_warnings_window(catalog: Catalog, days_before: int, expected: list[str]) -> None:
    today = date(2027, 5, 7) - timedelta(days=days_before)
    ids = ["gemini-3.1-flash-lite", "models/gemini-3.1-flash-lite", "gemini-3.6-flash"]
    assert catalog.lifecycle_warnings(ids, today) == expected


def test_lifecycle_warnings_flag_unknown_models(catalog: Catalog) -> None:
    assert catalog.lifecycle_warnings(["gemini-9"], TODAY) == ["gemini-9 is not in the model catalog"]


# --- thinking settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thinking", "header", "config"),
    [
        (Thinking(budget=4096), "budget=4096", {"thinkingBudget": 4096}),
        (Thinking(budget=0), "budget=0", {"thinkingBudget": 0}),
        (Thinking(budget=-1), "budget=dynamic", {"thinkingBudget": -1}),
        (Thinking(level="high"), "level=high", {"thinkingLevel": "high"}),
        (Thinking(level=" HIGH "), "level=high", {"thinkingLevel": "high"}),
        (Thinking(), "default", {}),
        (Thinking(level="low", include_thoughts=True), "level=low",
         {"thinkingLevel": "low", "includeThoughts": True}),
    ],
)  # fmt: skip
def test_header_and_config(thinking: Thinking, header: str, config: dict[str, Any]) -> None:
    assert thinking.header() == header
    assert thinking.to_config() == config


@pytest.mark.parametrize(
    ("config", "thinking"),
    [
        (None, Thinking()),
        ({"thinkingBudget": 1024, "includeThoughts": False},
         Thinking(budget=1024, include_thoughts=False)),
        ({"thinking_budget": 2048.0}, Thinking(budget=2048)),
        ({"thinking_level": "MEDIUM", "include_thoughts": True},
         Thinking(level="medium", include_thoughts=True)),
        ({"thinkingLevel": "THINKING_LEVEL_UNSPECIFIED"}, Thinking()),
    ],
)  # fmt: skip
def test_from_config_reads_both_key_styles(config: dict[str, Any] | None, thinking: Thinking) -> None:
    assert Thinking.from_config(config) == thinking


@pytest.mark.parametrize(
    "config", [{"thinkingBudget": "lots"}, {"thinkingBudget": 1.5}, {"thinkingLevel": 3},
               {"includeThoughts": "yes"}, {"thinkingBudget": True}],
)  # fmt: skip
def test_from_config_rejects_wrong_types(config: dict[str, Any]) -> None:
    with pytest.raises(InvalidThinking):
        Thinking.from_config(config)


@pytest.mark.parametrize(
    ("model_id", "thinking"),
    [
        ("gemini-2.5-flash-lite", Thinking(budget=0)),
        ("gemini-2.5-flash-lite", Thinking(budget=512)),
        ("gemini-2.5-flash-lite", Thinking(budget=24576)),
        ("gemini-2.5-flash-lite", Thinking(budget=-1)),
        ("gemini-2.5-flash", Thinking(budget=0)),
        ("gemini-2.5-flash", Thinking(budget=1)),
        ("gemini-2.5-pro", Thinking(budget=128)),
        ("gemini-2.5-pro", Thinking(budget=32768, include_thoughts=True)),
        ("gemini-2.5-pro", Thinking()),
        ("gemini-3.5-flash-lite", Thinking(level="minimal")),
        ("gemini-3.1-pro-preview", Thinking(level="medium")),
    ],
)
def test_validate_accepts(catalog: Catalog, model_id: str, thinking: Thinking) -> None:
    validate_thinking(catalog.get(model_id), thinking)


@pytest.mark.parametrize(
    ("model_id", "thinking", "message"),
    [
        ("gemini-2.5-flash-lite", Thinking(budget=511), "between 512 and 24576"),
        ("gemini-2.5-flash", Thinking(budget=24577), "between 1 and 24576"),
        ("gemini-2.5-flash", Thinking(budget=-2), "or -1 for dynamic thinking"),
        ("gemini-2.5-pro", Thinking(budget=0), "only works in thinking mode"),
        ("gemini-2.5-pro", Thinking(budget=127), "between 128 and 32768"),
        ("gemini-2.5-flash", Thinking(level="high"), "Thinking level is not supported"),
        ("gemini-3.6-flash", Thinking(budget=1024), "use thinkingLevel"),
        ("gemini-3.6-flash", Thinking(budget=1024, level="low"), "not both"),
        ("gemini-3.1-pro-preview", Thinking(level="minimal"), "supported levels: low, medium"),
        ("gemini-3.6-flash", Thinking(level="extreme"), "'extreme' is not supported"),
    ],
)
def test_validate_rejects(catalog: Catalog, model_id: str, thinking: Thinking, message: str) -> None:
    with pytest.raises(InvalidThinking, match=message) as info:
        validate_thinking(catalog.get(model_id), thinking)
    assert isinstance(info.value, InvalidRequest)
    assert info.value.http_status == 400


@pytest.mark.parametrize(
    ("thinking", "model_id", "mapped"),
    [
        (Thinking(budget=0), "gemini-3.5-flash-lite", Thinking(level="minimal")),
        (Thinking(budget=0), "gemini-3.5-flash", Thinking(level="low")),
        (Thinking(budget=1024), "gemini-3.6-flash", Thinking(level="low")),
        (Thinking(budget=1025), "gemini-3.6-flash", Thinking(level="medium")),
        (Thinking(budget=8192), "gemini-3.6-flash", Thinking(level="medium")),
        (Thinking(budget=24576, include_thoughts=True), "gemini-3.6-flash",
         Thinking(level="high", include_thoughts=True)),
        (Thinking(budget=-1), "gemini-3.6-flash", Thinking()),
        (Thinking(level="minimal"), "gemini-2.5-flash", Thinking(budget=0)),
        (Thinking(level="minimal"), "gemini-2.5-pro", Thinking(budget=128)),
        (Thinking(level="low"), "gemini-2.5-flash", Thinking(budget=1024)),
        (Thinking(level="medium"), "gemini-2.5-flash-lite", Thinking(budget=8192)),
        (Thinking(level="high"), "gemini-2.5-pro", Thinking(budget=24576)),
        (Thinking(level="minimal"), "gemini-3.1-pro-preview", Thinking(level="low")),
        (Thinking(level="bogus"), "gemini-2.5-flash", Thinking()),
        (Thinking(budget=300), "gemini-2.5-flash-lite", Thinking(budget=512)),
        (Thinking(budget=40000), "gemini-2.5-pro", Thinking(budget=32768)),
        (Thinking(budget=0), "gemini-2.5-pro", Thinking(budget=128)),
        (Thinking(budget=-7), "gemini-2.5-flash", Thinking(budget=0)),
        (Thinking(budget=-1), "gemini-2.5-pro", Thinking(budget=-1)),
        (Thinking(budget=4096, level="high"), "gemini-3.6-flash", Thinking(level="high")),
        (Thinking(budget=4096, level="high"), "gemini-2.5-flash", Thinking(budget=4096)),
    ],
)  # fmt: skip
def test_map_thinking_examples(catalog: Catalog, thinking: Thinking, model_id: str, mapped: Thinking) -> None:
    assert map_thinking(thinking, catalog.get(model_id)) == mapped


def test_map_thinking_prefers_the_higher_level_on_a_tie(tmp_path: Path) -> None:
    data = packaged_data()
    model_entry(data, "gemini-3.8-flash")["thinking"]["levels"] = ["low", "high"]
    model = Catalog.load(write(tmp_path, data)).get("gemini-3.8-flash")
    assert map_thinking(Thinking(budget=4096), model) == Thinking(level="high")


@given(model_id=st.sampled_from(MODEL_IDS), budget=st.integers())
def test_property_validate_rejects_out_of_range_budgets(model_id: str, budget: int) -> None:
    model = shared_catalog().get(model_id)
    spec = model.thinking
    ok = spec.control == "budget" and (
        (budget == -1 and spec.dynamic)
        or (budget == 0 and spec.can_disable)
        or (budget > 0 and (spec.budget_min or 0) <= budget <= (spec.budget_max or -1))
    )
    if ok:
        validate_thinking(model, Thinking(budget=budget))
    else:
        with pytest.raises(InvalidThinking):
            validate_thinking(model, Thinking(budget=budget))


@given(model_id=st.sampled_from(MODEL_IDS), budget=st.integers(), include=st.none() | st.booleans())
def test_property_map_budget_always_valid(model_id: str, budget: int, include: bool | None) -> None:
    model = shared_catalog().get(model_id)
    mapped = map_thinking(Thinking(budget=budget, include_thoughts=include), model)
    validate_thinking(model, mapped)
    assert mapped.include_thoughts == include


@given(
    model_id=st.sampled_from(MODEL_IDS),
    level=st.sampled_from(LEVEL_ORDER) | st.text(max_size=12),
    budget=st.none() | st.integers(-(2**40), 2**40),
)
def test_property_map_level_always_valid(model_id: str, level: str, budget: int | None) -> None:
    model = shared_catalog().get(model_id)
    validate_thinking(model, map_thinking(Thinking(budget=budget, level=level), model))


# --- cost ---------------------------------------------------------------------------------


def test_cost_bills_thinking_as_output(catalog: Catalog) -> None:
    cost = compute_cost(
        catalog.get("gemini-2.5-flash"),
        prompt_tokens=1000,
        candidates_tokens=200,
        thoughts_tokens=300,
    )
    assert cost.usd == pytest.approx((1000 * 0.30 + 500 * 2.50) / 1e6, rel=1e-12)
    assert cost.usd == pytest.approx(0.00155, rel=1e-12)
    assert cost.verified is True


def test_cost_of_one_million_tokens_each(catalog: Catalog) -> None:
    cost = compute_cost(catalog.get("gemini-3.6-flash"), prompt_tokens=1_000_000, candidates_tokens=1_000_000)
    assert cost.usd == pytest.approx(9.0, rel=1e-12)
    assert cost.verified is True


def test_cached_tokens_billed_at_cached_price(tmp_path: Path) -> None:
    data = packaged_data()
    model_entry(data, "gemini-2.5-flash")["prices"]["cached_input"] = 0.075
    model = Catalog.load(write(tmp_path, data)).get("gemini-2.5-flash")
    cost = compute_cost(model, prompt_tokens=1_000_000, candidates_tokens=0, cached_tokens=400_000)
    assert cost.usd == pytest.approx(0.6 * 0.30 + 0.4 * 0.075, rel=1e-12)
    assert cost.verified is True


def test_unknown_cached_price_falls_back_to_input_unverified(catalog: Catalog) -> None:
    cost = compute_cost(catalog.get("gemini-2.5-flash"), prompt_tokens=1000, candidates_tokens=0, cached_tokens=600)
    assert cost.usd == pytest.approx(1000 * 0.30 / 1e6, rel=1e-12)
    assert cost.verified is False


def test_unverified_price_marks_cost_unverified(catalog: Catalog) -> None:
    cost = compute_cost(catalog.get("gemini-3.8-flash"), prompt_tokens=500, candidates_tokens=50)
    assert (cost.usd, cost.verified) == (0.0, False)


def test_long_prompt_beyond_price_tier_is_unverified(catalog: Catalog) -> None:
    pro = catalog.get("gemini-2.5-pro")
    assert compute_cost(pro, prompt_tokens=200_000, candidates_tokens=0).verified is True
    long = compute_cost(pro, prompt_tokens=200_001, candidates_tokens=0)
    assert long.verified is False
    assert long.usd == pytest.approx(200_001 * 1.25 / 1e6, rel=1e-12)


def test_zero_tokens_cost_nothing(catalog: Catalog) -> None:
    for model_id in MODEL_IDS:
        cost = compute_cost(catalog.get(model_id), prompt_tokens=0, candidates_tokens=0)
        assert cost.usd == 0.0
        assert cost.verified is catalog.get(model_id).prices.verified


def test_lifecycle_warning_without_successor(tmp_path: Path) -> None:
    data = packaged_data()
    model_entry(data, "gemini-2.5-flash")["successor"] = None
    catalog = Catalog.load(write(tmp_path, data))
    assert catalog.lifecycle_warnings(["gemini-2.5-flash"], TODAY) == [
        "gemini-2.5-flash shuts down on 2026-12-01 (in 9 days) and the catalog names no successor"
    ]
