"""Every figure of the cost-savings report, computed at once from a log."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from router.catalog import Catalog
from router.policy import DEFAULT_POLICY, Policy, load_policy
from router.report._breakdown import (
    Confusion,
    Curve,
    Saving,
    TierStats,
    confusion,
    latency_by_tier,
    savings,
    thinking_by_tier,
    threshold_curve,
)
from router.report._cost import Strategy, preset_costs, reprice, strategies
from router.report._log import ReportLog, read_log


@dataclass
class Report:
    source: str
    notes: list[str]
    policy: str
    catalog_as_of: str
    strategies: list[Strategy]
    curve: Curve
    savings_by_tier: list[Saving]
    savings_by_model: list[Saving]
    thinking: list[TierStats]
    latency: list[TierStats]
    confusion: Confusion
    presets: list[Strategy]
    price_tables: list[Strategy]

    def strategy(self, name: str) -> Strategy:
        return next(s for s in self.strategies if s.name.startswith(name))

    def unverified(self) -> bool:
        """Whether any cost figure rests on an unknown or unverified price."""
        return any(not s.verified for s in [*self.strategies, *self.presets, *self.price_tables] if s.priced_n)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for s in out["savings_by_tier"] + out["savings_by_model"]:
            s["saved_usd"] = s["baseline_usd"] - s["cost_usd"]
        return out


def scale_prices(catalog: Catalog, *, input: float = 1.0, output: float = 1.0, note: str = "") -> Catalog:
    """A copy of ``catalog`` with every input (and cached-input) price times ``input`` and every
    output price times ``output``: a what-if price table. Its prices stay marked as verified or not
    as they were, with ``note`` added."""
    models = {}
    for model_id, info in catalog.models.items():
        p = info.prices
        prices = dataclasses.replace(
            p,
            input=None if p.input is None else p.input * input,
            output=None if p.output is None else p.output * output,
            cached_input=None if p.cached_input is None else p.cached_input * input,
            note=note or p.note,
        )
        models[model_id] = dataclasses.replace(info, prices=prices)
    return Catalog(models, as_of=catalog.as_of, source=f"{catalog.source} (scaled: input x{input}, output x{output})")


def classifier_scores(engine: Engine, classifier: Any) -> dict[str, float]:
    """The classifier's complexity score of every stored prompt text, by prompt hash (for a log
    that did not record one, such as a replay)."""
    from router.store import iter_requests

    texts: dict[str, str] = {}
    for row in iter_requests(engine):
        if row.prompt_text is not None and row.complexity_score is None:
            texts.setdefault(row.prompt_hash, row.prompt_text)
    if not texts:
        return {}
    hashes = list(texts)
    values = classifier.complexity_score([texts[h] for h in hashes])
    return {h: float(v) for h, v in zip(hashes, values, strict=True)}


def build_report(
    log: ReportLog | Engine,
    *,
    catalog: Catalog | None = None,
    policy: str | Policy = DEFAULT_POLICY,
    price_tables: Mapping[str, Catalog] | None = None,
    scores: Mapping[str, float] | None = None,
    today: date | None = None,
) -> Report:
    """Every figure: the four strategies, the threshold curve, savings, thinking, latency,
    confusion, each preset's cost and the router's cost under each of ``price_tables``."""
    if not isinstance(log, ReportLog):
        log = read_log(log)
    catalog = catalog or Catalog.load()
    pol = policy if isinstance(policy, Policy) else load_policy(policy, catalog)
    tables = [reprice(log, load_policy(pol.name, table), label, today) for label, table in (price_tables or {}).items()]
    report = Report(
        source=log.source,
        notes=list(log.notes),
        policy=pol.name,
        catalog_as_of=catalog.as_of,
        strategies=strategies(log, pol, today),
        curve=threshold_curve(log, pol, scores, today=today),
        savings_by_tier=savings(log, pol, "tier", today),
        savings_by_model=savings(log, pol, "model", today),
        thinking=thinking_by_tier(log),
        latency=latency_by_tier(log),
        confusion=confusion(log),
        presets=preset_costs(log, catalog, today),
        price_tables=tables,
    )
    if report.unverified():
        report.notes.append("Some cost figures rest on unknown or unverified prices: they are marked so.")
    return report
