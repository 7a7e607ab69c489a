"""The model catalog: thinking controls, prices and lifecycle of each Gemini model.

The catalog is a JSON file shipped in the package (``router/_data/catalog.json``); a user file
in the same format replaces it (:meth:`Catalog.load`). This module also holds the rules the
router keeps about thinking settings:

* :func:`validate_thinking` rejects what the Gemini API would answer 400 to (the router must
  never send an out-of-range budget: the API rejects it, it does not clamp it);
* :func:`map_thinking` translates a setting to what another model accepts (budget <-> level),
  used when a model is past shutdown and its ``successor`` serves instead, and for fallbacks;
* :func:`compute_cost` prices a response from its ``usageMetadata`` counts.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from router.errors import InvalidThinking, RouterError, UnknownModel

#: Thinking levels from least to most reasoning.
LEVEL_ORDER: tuple[str, ...] = ("minimal", "low", "medium", "high")
#: Budget a level stands for (the OpenAI-compatible layer's reasoning_effort mapping).
LEVEL_BUDGETS: Mapping[str, int] = MappingProxyType({"minimal": 0, "low": 1024, "medium": 8192, "high": 24576})
#: A model this many days or fewer from its shutdown gets a lifecycle warning.
WARN_DAYS = 30
DYNAMIC = -1


class CatalogError(RouterError):
    """A catalog file that cannot be read or does not describe valid models."""


@dataclass(frozen=True)
class ThinkingSpec:
    """What thinking setting a model accepts.

    Budget models take ``thinkingBudget`` in ``budget_min..budget_max`` (the smallest *positive*
    budget), plus ``0`` when ``can_disable`` and ``-1`` when ``dynamic``. Level models take one of
    ``levels`` as ``thinkingLevel``. ``default`` is what the model does when nothing is sent.
    """

    control: Literal["budget", "level"]
    budget_min: int | None
    budget_max: int | None
    dynamic: bool
    can_disable: bool
    levels: tuple[str, ...]
    default: int | str | None
    note: str = ""


@dataclass(frozen=True)
class Prices:
    """List prices in USD per 1M tokens; ``None`` where unknown.

    ``output`` includes thinking tokens. ``prompt_tokens_limit`` is the longest prompt the prices
    apply to (longer prompts are billed at a higher, unrecorded rate).
    """

    input: float | None
    output: float | None
    cached_input: float | None
    verified: bool
    as_of: str
    note: str = ""
    prompt_tokens_limit: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    """One catalog entry."""

    id: str
    display_name: str
    thinking: ThinkingSpec
    prices: Prices
    context_window: int | None
    max_output_tokens: int | None
    released: date | None
    shutdown: date | None
    successor: str | None
    note: str = ""


@dataclass(frozen=True)
class Thinking:
    """The thinking setting sent upstream: a budget, a level, or neither (the model's default).

    Setting both is representable so that a client's request can be validated (and rejected)
    as the API would. Levels are stored in lower case.
    """

    budget: int | None = None
    level: str | None = None
    include_thoughts: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.level, str):
            object.__setattr__(self, "level", self.level.strip().lower())

    def header(self) -> str:
        """The ``x-router-thinking`` value: ``budget=4096``, ``budget=dynamic``, ``level=high``."""
        parts = []
        if self.budget is not None:
            parts.append("budget=dynamic" if self.budget == DYNAMIC else f"budget={self.budget}")
        if self.level is not None:
            parts.append(f"level={self.level}")
        return ",".join(parts) or "default"

    def to_config(self) -> dict[str, Any]:
        """The Gemini REST ``thinkingConfig`` object (camelCase keys)."""
        config: dict[str, Any] = {}
        if self.budget is not None:
            config["thinkingBudget"] = self.budget
        if self.level is not None:
            config["thinkingLevel"] = self.level
        if self.include_thoughts is not None:
            config["includeThoughts"] = self.include_thoughts
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Thinking:
        """Read a ``thinkingConfig`` in camelCase or snake_case (the SDK sends both)."""
        if not config:
            return cls()
        budget = config.get("thinkingBudget", config.get("thinking_budget"))
        level = config.get("thinkingLevel", config.get("thinking_level"))
        include = config.get("includeThoughts", config.get("include_thoughts"))
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int)):
            if isinstance(budget, float) and budget.is_integer():
                budget = int(budget)
            else:
                raise InvalidThinking(f"Invalid value for thinkingBudget: {budget!r}.")
        if level is not None and not isinstance(level, str):
            raise InvalidThinking(f"Invalid value for thinkingLevel: {level!r}.")
        if isinstance(level, str) and level.upper() == "THINKING_LEVEL_UNSPECIFIED":
            level = None
        if include is not None and not isinstance(include, bool):
            raise InvalidThinking(f"Invalid value for includeThoughts: {include!r}.")
        return cls(budget=budget, level=level, include_thoughts=include)


@dataclass(frozen=True)
class Cost:
    """A cost in USD; ``verified`` is False when any price it used is unknown or unverified."""

    usd: float
    verified: bool


class Catalog:
    """The models the router knows, by id."""

    def __init__(self, models: Mapping[str, ModelInfo], *, as_of: str = "", source: str = "") -> None:
        self.models: Mapping[str, ModelInfo] = MappingProxyType(dict(models))
        self.as_of = as_of
        self.source = source

    def __repr__(self) -> str:
        return f"Catalog({len(self.models)} models, as_of={self.as_of!r})"

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """Read a catalog file; ``None`` reads the one shipped in the package.

        A user file replaces the packaged catalog entirely (copy the packaged file to start one).
        Raises :class:`CatalogError` naming the offending field when the file is malformed.
        """
        if path is None:
            text = resources.files("router").joinpath("_data/catalog.json").read_text("utf-8")
            where = "packaged catalog"
        else:
            where = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CatalogError(f"cannot read catalog {where}: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"catalog {where} is not valid JSON: {exc}") from exc
        return cls.from_dict(data, where=where)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "catalog") -> Catalog:
        """Build a catalog from the parsed JSON structure, validating every field."""
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise CatalogError(f"{where}: expected an object with a 'models' list")
        models: dict[str, ModelInfo] = {}
        for i, raw in enumerate(data["models"]):
            info = _parse_model(raw, f"{where}: models[{i}]")
            if info.id in models:
                raise CatalogError(f"{where}: models[{i}].id: duplicate model id {info.id!r}")
            models[info.id] = info
        for info in models.values():  # successors exist and chains end
            seen, nxt = {info.id}, info.successor
            while nxt is not None:
                if nxt not in models:
                    raise CatalogError(f"{where}: {info.id}.successor: {nxt!r} is not in the catalog")
                if nxt in seen:
                    raise CatalogError(f"{where}: {info.id}.successor: successor cycle via {nxt}")
                seen.add(nxt)
                nxt = models[nxt].successor
        return cls(models, as_of=str(data.get("as_of", "")), source=str(data.get("source", "")))

    def get(self, model_id: str) -> ModelInfo:
        """The entry for ``model_id`` (``models/`` prefix accepted), else :class:`UnknownModel`."""
        key = model_id.removeprefix("models/").strip()
        try:
            return self.models[key]
        except KeyError:
            close = difflib.get_close_matches(key, list(self.models), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownModel(
                f"models/{key} is not found in the router's model catalog.{hint} "
                f"Known models: {', '.join(sorted(self.models))}."
            ) from None

    def resolve(self, model_id: str, today: date) -> ModelInfo:
        """The model that serves ``model_id`` on ``today``: its successor chain past shutdown.

        Raises :class:`UnknownModel` when the model is past shutdown and has no successor.
        """
        info = self.get(model_id)
        while info.shutdown is not None and today >= info.shutdown:
            if info.successor is None:
                raise UnknownModel(
                    f"models/{info.id} was shut down on {info.shutdown.isoformat()} and the catalog names no successor."
                )
            info = self.get(info.successor)  # chains are acyclic (checked at load)
        return info

    def lifecycle_warnings(self, model_ids: Iterable[str], today: date) -> list[str]:
        """Warnings for models past their shutdown or within 30 days of it (one per model)."""
        warnings: list[str] = []
        for model_id in dict.fromkeys(m.removeprefix("models/") for m in model_ids):
            try:
                info = self.get(model_id)
            except UnknownModel:
                warnings.append(f"{model_id} is not in the model catalog")
                continue
            if info.shutdown is None:
                continue
            days = (info.shutdown - today).days
            if days > WARN_DAYS:
                continue
            when = f"{info.id} shuts down on {info.shutdown.isoformat()} (in {days} days)"
            if days <= 0:
                when = f"{info.id} was shut down on {info.shutdown.isoformat()}"
            if info.successor is None:
                warnings.append(f"{when} and the catalog names no successor")
            elif days <= 0:
                warnings.append(f"{when}; requests for it go to its successor {info.successor}")
            else:
                warnings.append(f"{when}; after that requests go to its successor {info.successor}")
        return warnings


def validate_thinking(model: ModelInfo, thinking: Thinking) -> None:
    """Raise :class:`InvalidThinking` for a setting the Gemini API would reject for ``model``."""
    _validate(model.id, model.thinking, thinking)


def _validate(model_id: str, spec: ThinkingSpec, thinking: Thinking) -> None:
    budget, level = thinking.budget, thinking.level
    if budget is not None and level is not None:
        raise InvalidThinking("You can only set one of thinking budget and thinking level, not both.")
    if level is not None:
        if spec.control != "level":
            raise InvalidThinking(f"Thinking level is not supported for models/{model_id}.")
        if level not in spec.levels:
            raise InvalidThinking(
                f"Thinking level {level!r} is not supported for models/{model_id}; "
                f"supported levels: {', '.join(spec.levels)}."
            )
        return
    if budget is None:
        return
    if spec.control != "budget":
        raise InvalidThinking(
            f"Thinking budget is not supported for models/{model_id}; use thinkingLevel ({', '.join(spec.levels)})."
        )
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise InvalidThinking(f"Invalid value for thinkingBudget: {budget!r}.")
    if budget == DYNAMIC and spec.dynamic:
        return
    if budget == 0:
        if spec.can_disable:
            return
        raise InvalidThinking(f"Budget 0 is invalid. This model only works in thinking mode (models/{model_id}).")
    lo, hi = spec.budget_min, spec.budget_max
    if lo is None or hi is None or not lo <= budget <= hi:
        allowed = f"between {lo} and {hi}"
        if spec.can_disable:
            allowed += ", 0 to turn thinking off"
        if spec.dynamic:
            allowed += ", or -1 for dynamic thinking"
        raise InvalidThinking(f"The thinking budget {budget} is invalid for models/{model_id}: it must be {allowed}.")


def budget_to_level(budget: int) -> str:
    """The level a budget stands for: 0 -> minimal, <=1024 low, <=8192 medium, above high."""
    if budget <= 0:
        return "minimal"
    if budget <= LEVEL_BUDGETS["low"]:
        return "low"
    if budget <= LEVEL_BUDGETS["medium"]:
        return "medium"
    return "high"


def nearest_level(spec: ThinkingSpec, wanted: str) -> str | None:
    """The level of ``spec`` nearest ``wanted`` (ties go to the higher level)."""
    if wanted in spec.levels:
        return wanted
    if wanted not in LEVEL_ORDER or not spec.levels:
        return None
    want = LEVEL_ORDER.index(wanted)
    return min(
        spec.levels,
        key=lambda lv: (abs(LEVEL_ORDER.index(lv) - want), -LEVEL_ORDER.index(lv)),
    )


def clip_budget(spec: ThinkingSpec, budget: int) -> int | None:
    """``budget`` moved into what a budget model accepts (``None``: use the model's default)."""
    if budget == DYNAMIC:
        return DYNAMIC if spec.dynamic else None
    lo, hi = spec.budget_min, spec.budget_max
    if lo is None or hi is None:
        return None
    if budget <= 0:
        return 0 if spec.can_disable else lo
    return min(max(budget, lo), hi)


def map_thinking(thinking: Thinking, target: ModelInfo) -> Thinking:
    """Translate ``thinking`` into a setting ``target`` accepts (always passes validation).

    Budget -> level: 0 -> minimal (or the lowest level), <=1024 -> low, <=8192 -> medium, above
    -> high, then the nearest level the model has. Level -> budget: minimal -> 0 (or the minimum),
    low -> 1024, medium -> 8192, high -> 24576, clipped into range. Budgets are clipped into range;
    -1 (dynamic) stays dynamic where accepted, otherwise becomes the model's default. Settings that
    cannot be translated (an unknown level) become the model's default.
    """
    spec = target.thinking
    keep = thinking.include_thoughts
    budget, level = thinking.budget, thinking.level
    if isinstance(budget, bool) or (budget is not None and not isinstance(budget, int)):
        budget = None
    if spec.control == "level":
        if level is not None:
            wanted: str | None = level
        elif budget is not None and budget != DYNAMIC:
            wanted = budget_to_level(budget)
        else:
            wanted = None
        chosen = nearest_level(spec, wanted) if wanted is not None else None
        return Thinking(level=chosen, include_thoughts=keep)
    if budget is None and level is not None:
        budget = LEVEL_BUDGETS.get(level)
    if budget is None:
        return Thinking(include_thoughts=keep)
    return Thinking(budget=clip_budget(spec, budget), include_thoughts=keep)


def compute_cost(
    model: ModelInfo,
    *,
    prompt_tokens: int,
    candidates_tokens: int,
    thoughts_tokens: int = 0,
    cached_tokens: int = 0,
) -> Cost:
    """Price one response from its ``usageMetadata`` counts.

    Cached tokens are part of ``prompt_tokens`` and billed at the cached-input price (at the
    input price, unverified, when that is unknown); thinking tokens are billed as output. An
    unknown price counts as 0 and marks the cost unverified, as does a prompt longer than the
    prices apply to.
    """
    prices = model.prices
    verified = prices.verified
    cached = min(max(cached_tokens, 0), max(prompt_tokens, 0))
    fresh = max(prompt_tokens, 0) - cached
    output = max(candidates_tokens, 0) + max(thoughts_tokens, 0)
    cached_price = prices.cached_input
    if cached and cached_price is None:
        cached_price = prices.input
        verified = False
    used = [(fresh, prices.input), (output, prices.output), (cached, cached_price)]
    total = 0.0
    for tokens, price in used:
        if not tokens:
            continue
        if price is None or not math.isfinite(price):
            verified = False
            continue
        total += tokens * price
    if prices.prompt_tokens_limit is not None and prompt_tokens > prices.prompt_tokens_limit:
        verified = False
    return Cost(usd=total / 1_000_000, verified=verified)


# --- parsing -------------------------------------------------------------------------------


def _field(raw: Mapping[str, Any], key: str, where: str, kinds: tuple[type, ...]) -> Any:
    if key not in raw:
        raise CatalogError(f"{where}.{key}: missing field")
    value = raw[key]
    if value is None and type(None) in kinds:
        return None
    if isinstance(value, bool) and bool not in kinds:
        value = object()  # True is an int to Python, not to a catalog
    if not isinstance(value, kinds):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise CatalogError(f"{where}.{key}: expected {names}, got {raw[key]!r}")
    return value


def _date(raw: Mapping[str, Any], key: str, where: str) -> date | None:
    """A date field: ``YYYY-MM-DD``, or ``YYYY-MM`` (read as the first of the month)."""
    value = _field(raw, key, where, (str, type(None)))
    if value is None:
        return None
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise CatalogError(f"{where}.{key}: expected YYYY-MM-DD, got {value!r}") from None


def _parse_thinking(raw: Any, where: str) -> ThinkingSpec:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected an object")
    control = _field(raw, "control", where, (str,))
    if control not in ("budget", "level"):
        raise CatalogError(f"{where}.control: expected 'budget' or 'level', got {control!r}")
    lo = _field(raw, "budget_min", where, (int, type(None)))
    hi = _field(raw, "budget_max", where, (int, type(None)))
    levels = tuple(_field(raw, "levels", where, (list,)))
    default = _field(raw, "default", where, (int, str, type(None)))
    spec = ThinkingSpec(
        control=control,
        budget_min=lo,
        budget_max=hi,
        dynamic=_field(raw, "dynamic", where, (bool,)),
        can_disable=_field(raw, "can_disable", where, (bool,)),
        levels=levels,
        default=default,
        note=str(raw.get("note", "")),
    )
    if control == "budget":
        if lo is None or hi is None or not 0 < lo <= hi:
            raise CatalogError(
                f"{where}.budget_min/budget_max: a budget model needs 0 < budget_min <= budget_max, got {lo}..{hi}"
            )
    elif not levels or any(lv not in LEVEL_ORDER for lv in levels) or len(set(levels)) < len(levels):
        raise CatalogError(
            f"{where}.levels: a level model needs distinct levels from {list(LEVEL_ORDER)}, got {list(levels)}"
        )
    if default is not None:
        probe = Thinking(budget=default) if isinstance(default, int) else Thinking(level=default)
        try:
            _validate("?", spec, probe)
        except InvalidThinking as exc:
            raise CatalogError(f"{where}.default: {default!r} is not accepted: {exc}") from None
    return spec


def _parse_prices(raw: Any, where: str) -> Prices:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected an object")
    values = {k: _field(raw, k, where, (int, float, type(None))) for k in ("input", "output", "cached_input")}
    for key, value in values.items():
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise CatalogError(f"{where}.{key}: expected a price >= 0, got {value!r}")
    verified = _field(raw, "verified", where, (bool,))
    limit = None
    if "prompt_tokens_limit" in raw:
        limit = _field(raw, "prompt_tokens_limit", where, (int, type(None)))
    if verified and (values["input"] is None or values["output"] is None):
        raise CatalogError(f"{where}.verified: true, but input/output prices are null")
    floats = {k: None if v is None else float(v) for k, v in values.items()}
    return Prices(
        **floats,
        verified=verified,
        as_of=_field(raw, "as_of", where, (str,)),
        note=str(raw.get("note", "")),
        prompt_tokens_limit=limit,
    )


def _parse_model(raw: Any, where: str) -> ModelInfo:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected an object")
    model_id = _field(raw, "id", where, (str,))
    if not model_id or model_id.startswith("models/"):
        raise CatalogError(f"{where}.id: expected a bare model id, got {model_id!r}")
    where = f"{where} ({model_id})"
    info = ModelInfo(
        id=model_id,
        display_name=_field(raw, "display_name", where, (str,)),
        thinking=_parse_thinking(_field(raw, "thinking", where, (dict,)), f"{where}.thinking"),
        prices=_parse_prices(_field(raw, "prices", where, (dict,)), f"{where}.prices"),
        context_window=_field(raw, "context_window", where, (int, type(None))),
        max_output_tokens=_field(raw, "max_output_tokens", where, (int, type(None))),
        released=_date(raw, "released", where),
        shutdown=_date(raw, "shutdown", where),
        successor=_field(raw, "successor", where, (str, type(None))),
        note=str(raw.get("note", "")),
    )
    for key in ("context_window", "max_output_tokens"):
        value = getattr(info, key)
        if value is not None and value <= 0:
            raise CatalogError(f"{where}.{key}: expected a positive integer, got {value}")
    if info.successor == info.id:
        raise CatalogError(f"{where}.successor: a model cannot succeed itself")
    return info
