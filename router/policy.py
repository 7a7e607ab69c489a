"""Policies: how a tier becomes a model, a thinking setting, an output cap and fallbacks.

A policy names, for each tier, a model and a thinking setting, optionally a budget range the
classifier's complexity score scales across, a visible-answer allowance and an ordered list of
fallback models. :meth:`Policy.route` resolves it against the catalog for a given day: a model past
its shutdown is replaced by its ``successor`` with the thinking setting mapped
(:func:`router.catalog.map_thinking`), so a preset written for the 2.5 generation keeps working
after it retires. Presets ship in :data:`PRESETS`; a JSON file with the same structure is a
custom policy (:func:`load_policy`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from router.catalog import (
    DYNAMIC,
    LEVEL_BUDGETS,
    Catalog,
    ModelInfo,
    Thinking,
    map_thinking,
    validate_thinking,
)
from router.errors import InvalidRequest, InvalidThinking, RouterError, UnknownModel

TIERS: tuple[str, ...] = ("light", "intermediate", "advanced")
DEFAULT_POLICY = "flash-budget"
#: Visible-answer tokens allowed on top of thinking when a tier does not say.
DEFAULT_ANSWER_TOKENS: Mapping[str, int] = {"light": 2048, "intermediate": 4096, "advanced": 8192}

_FLASH_FALLBACKS = ("gemini-3.6-flash", "gemini-2.5-flash-lite")

#: Raw preset definitions, in the JSON structure a custom policy file uses.
PRESETS: dict[str, dict[str, Any]] = {
    "flash-budget": {
        "description": (
            "One hybrid Flash model, reasoning depth by tier: gemini-2.5-flash with "
            "thinkingBudget 0 / 4096 / 24576. After its shutdown (2026-12-01) the catalog's "
            "successor serves, with the budgets mapped to levels (minimal / medium / high)."
        ),
        "tiers": {
            "light": {
                "model": "gemini-2.5-flash",
                "thinking": {"budget": 0},
                "answer_tokens": 2048,
                "fallbacks": list(_FLASH_FALLBACKS),
            },
            "intermediate": {
                "model": "gemini-2.5-flash",
                "thinking": {"budget": 4096},
                "budget_by_score": [2048, 8192],
                "answer_tokens": 4096,
                "fallbacks": list(_FLASH_FALLBACKS),
            },
            "advanced": {
                "model": "gemini-2.5-flash",
                "thinking": {"budget": 24576},
                "budget_by_score": [16384, 24576],
                "answer_tokens": 8192,
                "fallbacks": list(_FLASH_FALLBACKS),
            },
        },
    },
    "tiered-models": {
        "description": "A lite model for light, a Flash model for intermediate, a Pro model for advanced.",
        "tiers": {
            "light": {
                "model": "gemini-2.5-flash-lite",
                "thinking": {"budget": 0},
                "answer_tokens": 2048,
                "fallbacks": ["gemini-3.5-flash-lite", "gemini-3.1-flash-lite"],
            },
            "intermediate": {
                "model": "gemini-3.6-flash",
                "thinking": {"level": "medium"},
                "answer_tokens": 4096,
                "fallbacks": ["gemini-3.5-flash", "gemini-3.5-flash-lite"],
            },
            "advanced": {
                "model": "gemini-3.1-pro-preview",
                "thinking": {"level": "high"},
                "answer_tokens": 8192,
                "fallbacks": ["gemini-3.6-flash", "gemini-3.5-flash"],
            },
        },
    },
    "gemini-3": {
        "description": "thinkingLevel on current 3.x models only.",
        "tiers": {
            "light": {
                "model": "gemini-3.5-flash-lite",
                "thinking": {"level": "minimal"},
                "answer_tokens": 2048,
                "fallbacks": ["gemini-3.1-flash-lite", "gemini-3.6-flash"],
            },
            "intermediate": {
                "model": "gemini-3.6-flash",
                "thinking": {"level": "medium"},
                "answer_tokens": 4096,
                "fallbacks": ["gemini-3.5-flash", "gemini-3.5-flash-lite"],
            },
            "advanced": {
                "model": "gemini-3.6-flash",
                "thinking": {"level": "high"},
                "answer_tokens": 8192,
                "fallbacks": ["gemini-3.1-pro-preview", "gemini-3.5-flash"],
            },
        },
    },
}


class PolicyError(RouterError):
    """An unknown preset name, or a policy file that does not describe a valid policy."""


@dataclass(frozen=True)
class Route:
    """What the router sends for one request: model, thinking, output cap, fallbacks in order."""

    tier: str
    model: str
    thinking: Thinking
    max_output_tokens: int | None
    fallbacks: tuple[str, ...]


@dataclass(frozen=True)
class TierRule:
    """One tier of a policy, as written (before resolving against a date)."""

    model: str
    thinking: Thinking
    budget_by_score: tuple[int, int] | None
    answer_tokens: int
    fallbacks: tuple[str, ...]


def thinking_allowance(model: ModelInfo, thinking: Thinking) -> int:
    """Thinking tokens to leave room for in ``maxOutputTokens`` (thinking counts against it)."""
    spec = model.thinking
    setting: int | str | None = thinking.budget if thinking.budget is not None else thinking.level
    if setting is None:
        setting = spec.default
    if setting is None or setting == DYNAMIC:
        return spec.budget_max or LEVEL_BUDGETS["high"]
    if isinstance(setting, str):
        return LEVEL_BUDGETS.get(setting) or LEVEL_BUDGETS["low"]  # minimal still thinks a bit
    return max(setting, 0)


class Policy:
    """A tier -> route mapping resolved against a catalog."""

    def __init__(self, name: str, rules: Mapping[str, TierRule], catalog: Catalog, description: str = "") -> None:
        self.name = name
        self.rules = dict(rules)
        self.catalog = catalog
        self.description = description

    def __repr__(self) -> str:
        return f"Policy({self.name!r})"

    def route(self, tier: str, score: float | None = None, *, today: date | None = None) -> Route:
        """The route for ``tier`` on ``today`` (default: the current date).

        ``score`` in [0, 1] is the complexity within the tier; where the tier gives a budget
        range the budget scales across it (NaN counts as no score; values are clipped to [0, 1]).
        The result names no model past its shutdown, and its thinking setting is one the model
        accepts.
        """
        rule = self.rules.get(tier)
        if rule is None:
            raise InvalidRequest(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
        today = today or date.today()
        thinking = rule.thinking
        if rule.budget_by_score is not None and score is not None and not math.isnan(score):
            lo, hi = rule.budget_by_score
            thinking = Thinking(budget=round(lo + min(max(score, 0.0), 1.0) * (hi - lo)))
        chain = [rule.model, *rule.fallbacks]
        served: list[ModelInfo] = []
        for model_id in chain:
            try:
                info = self.catalog.resolve(model_id, today)
            except UnknownModel:  # past shutdown, no successor: skip it
                continue
            if info not in served:
                served.append(info)
        if not served:
            raise PolicyError(
                f"policy {self.name!r}: every model for tier {tier!r} is past its shutdown on {today.isoformat()}"
            )
        primary = served[0]
        # Clip to the named model first (a scaled budget), then map to what serves on `today`
        # (the named model's successor, or a fallback): map_thinking leaves valid settings alone.
        thinking = map_thinking(map_thinking(thinking, self.catalog.get(rule.model)), primary)
        return Route(
            tier=tier,
            model=primary.id,
            thinking=thinking,
            max_output_tokens=self._max_output(primary, thinking, rule.answer_tokens),
            fallbacks=tuple(info.id for info in served[1:]),
        )

    def fallback_routes(self, route: Route) -> list[Route]:
        """One route per fallback of ``route``, its thinking mapped to what that model accepts."""
        routes = []
        rule = self.rules.get(route.tier)
        answer = rule.answer_tokens if rule else DEFAULT_ANSWER_TOKENS.get(route.tier, 4096)
        for model_id in route.fallbacks:
            info = self.catalog.get(model_id)
            thinking = map_thinking(route.thinking, info)
            routes.append(Route(route.tier, info.id, thinking, self._max_output(info, thinking, answer), ()))
        return routes

    def models(self) -> list[str]:
        """Every model id the policy may use: routes, fallbacks and their successors."""
        ids: dict[str, None] = {}
        for rule in self.rules.values():
            for model_id in (rule.model, *rule.fallbacks):
                info: ModelInfo | None = self.catalog.get(model_id)
                while info is not None:
                    ids.setdefault(info.id)
                    info = self.catalog.get(info.successor) if info.successor else None
        return list(ids)

    @staticmethod
    def _max_output(model: ModelInfo, thinking: Thinking, answer_tokens: int) -> int:
        headroom = thinking_allowance(model, thinking) + answer_tokens
        if model.max_output_tokens is not None:
            headroom = min(headroom, model.max_output_tokens)
        return headroom


def policy_from_dict(name: str, data: Any, catalog: Catalog) -> Policy:
    """Build a policy from its raw structure (see :data:`PRESETS`), validating every field."""
    if not isinstance(data, dict) or not isinstance(data.get("tiers"), dict):
        raise PolicyError(f"policy {name!r}: expected an object with a 'tiers' object")
    tiers = data["tiers"]
    missing = [t for t in TIERS if t not in tiers]
    extra = [t for t in tiers if t not in TIERS]
    if missing or extra:
        raise PolicyError(
            f"policy {name!r}: tiers must be exactly {', '.join(TIERS)} "
            f"(missing: {missing or 'none'}, unknown: {extra or 'none'})"
        )
    rules = {tier: _parse_rule(tier, tiers[tier], f"policy {name!r}", catalog) for tier in TIERS}
    return Policy(name, rules, catalog, description=str(data.get("description", "")))


def _parse_rule(tier: str, raw: Any, where: str, catalog: Catalog) -> TierRule:
    where = f"{where}: tiers.{tier}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: expected an object")
    model_id = raw.get("model")
    fallbacks = raw.get("fallbacks", [])
    if not isinstance(model_id, str):
        raise PolicyError(f"{where}.model: expected a model id, got {model_id!r}")
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) for f in fallbacks):
        raise PolicyError(f"{where}.fallbacks: expected a list of model ids, got {fallbacks!r}")
    try:
        model = catalog.get(model_id)
        fallback_ids = tuple(catalog.get(f).id for f in fallbacks)
    except UnknownModel as exc:
        raise PolicyError(f"{where}: {exc.message}") from exc
    raw_thinking = raw.get("thinking", {})
    if not isinstance(raw_thinking, dict) or set(raw_thinking) - {"budget", "level"}:
        raise PolicyError(f"{where}.thinking: expected {{'budget': n}}, {{'level': s}} or {{}}")
    try:
        thinking = Thinking.from_config(
            {f"thinking_{k}": v for k, v in raw_thinking.items()}  # budget/level keys
        )
        validate_thinking(model, thinking)
    except InvalidThinking as exc:
        raise PolicyError(f"{where}.thinking: {exc.message}") from exc
    scale = raw.get("budget_by_score")
    if scale is not None:
        if (
            thinking.budget is None
            or not isinstance(scale, list)
            or len(scale) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in scale)
            or not 0 <= scale[0] <= scale[1]
        ):
            raise PolicyError(
                f"{where}.budget_by_score: expected [low, high] budgets with 0 <= low <= high, "
                f"on a tier whose thinking is a budget; got {scale!r}"
            )
        scale = (scale[0], scale[1])
    answer = raw.get("answer_tokens", DEFAULT_ANSWER_TOKENS[tier])
    if isinstance(answer, bool) or not isinstance(answer, int) or answer <= 0:
        raise PolicyError(f"{where}.answer_tokens: expected a positive integer, got {answer!r}")
    return TierRule(model.id, thinking, scale, answer, fallback_ids)


def load_policy(name_or_path: str, catalog: Catalog) -> Policy:
    """A preset by name (see :data:`PRESETS`), or a JSON policy file by path."""
    if name_or_path in PRESETS:
        return policy_from_dict(name_or_path, PRESETS[name_or_path], catalog)
    path = Path(name_or_path)
    if not path.is_file():
        raise PolicyError(
            f"unknown policy {name_or_path!r}: not a preset ({', '.join(sorted(PRESETS))}) and not a policy file"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc}") from exc
    name = data.get("name", path.stem) if isinstance(data, dict) else path.stem
    return policy_from_dict(str(name), data, catalog)
