"""Pricing logged (or estimated) token counts with a catalog and a policy, and the strategies
a team lead compares: always-light, always-advanced, Gemini's dynamic thinking and the router."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from router.catalog import DYNAMIC, Catalog, ModelInfo, compute_cost
from router.policy import Policy
from router.report._log import Entry, ReportLog

PER = 1000
DYNAMIC_THINKING = "budget=dynamic"


@dataclass(frozen=True)
class Priced:
    """A row priced on one model; ``usd`` is None when the row has no token counts."""

    entry: Entry
    model: str
    usd: float | None
    verified: bool


def route_model(policy: Policy, tier: str, today: date | None = None) -> ModelInfo:
    """The model ``policy`` sends ``tier`` to on ``today``."""
    return policy.catalog.get(policy.route(tier, today=today).model)


def price(entry: Entry, model: ModelInfo, *, thoughts_tokens: int | None = None) -> Priced:
    if entry.prompt_tokens is None or entry.candidates_tokens is None:
        return Priced(entry, model.id, None, False)
    cost = compute_cost(
        model,
        prompt_tokens=entry.prompt_tokens,
        candidates_tokens=entry.candidates_tokens,
        thoughts_tokens=entry.thoughts_tokens if thoughts_tokens is None else thoughts_tokens,
        cached_tokens=entry.cached_tokens,
    )
    return Priced(entry, model.id, cost.usd, cost.verified)


def price_served(entry: Entry, policy: Policy, *, as_logged: bool = True, today: date | None = None) -> Priced:
    """Price a served row: on the model that answered when the catalog knows it and ``as_logged``,
    else on the policy's route for the row's tier."""
    catalog = policy.catalog
    if as_logged and entry.model is not None and entry.model in catalog.models:
        return price(entry, catalog.get(entry.model))
    return price(entry, route_model(policy, entry.tier_served or "intermediate", today))


@dataclass
class Strategy:
    """Cost per 1,000 requests and quality (mean feedback score) of one way of serving the log."""

    name: str
    cost_per_1k: float | None
    quality: float | None
    requests: int
    quality_n: int
    priced_n: int
    verified: bool
    estimated: bool
    models: list[str] = field(default_factory=list)
    note: str = ""


def summarise(name: str, priced: list[Priced], scores: list[float], *, estimated: bool, note: str = "") -> Strategy:
    costs = [p.usd for p in priced if p.usd is not None]
    return Strategy(
        name=name,
        cost_per_1k=PER * sum(costs) / len(costs) if costs else None,
        quality=sum(scores) / len(scores) if scores else None,
        requests=len(priced),
        quality_n=len(scores),
        priced_n=len(costs),
        verified=bool(costs) and all(p.verified for p in priced if p.usd is not None),
        estimated=estimated,
        models=sorted({p.model for p in priced}),
        note=note,
    )


def at_tier(log: ReportLog, entry: Entry, tier: str) -> Entry:
    """The row for ``entry``'s prompt served at ``tier`` where the log has one, else ``entry``
    itself (its tokens re-priced on that tier's model)."""
    if entry.tier_served == tier:
        return entry
    other = log.counterpart(entry.prompt_hash, tier)
    return other if other is not None and other.has_tokens else entry


def always(log: ReportLog, tier: str, policy: Policy, today: date | None = None) -> Strategy:
    """Every served prompt sent to ``tier``'s route. Quality counts the prompts whose feedback at
    ``tier`` the log holds (a replay logs both settings for every prompt)."""
    model = route_model(policy, tier, today)
    rows = [at_tier(log, e, tier) for e in log.served]
    priced = [price(r, model) for r in rows]
    scores = [
        c.score for e in log.served if (c := log.counterpart(e.prompt_hash, tier)) is not None and c.score is not None
    ]
    borrowed = sum(1 for r in rows if r.tier_served != tier)
    note = f"{borrowed} rows priced with the tokens of the tier that served them" if borrowed else ""
    return summarise(f"always {tier}", priced, scores, estimated=any(r.tokens_estimated for r in rows), note=note)


def router(log: ReportLog, policy: Policy, today: date | None = None) -> Strategy:
    """What the router served, priced as logged (the policy's route where the model is unknown)."""
    priced = [price_served(e, policy, today=today) for e in log.served]
    scores = [e.score for e in log.served if e.score is not None]
    return summarise("router", priced, scores, estimated=any(e.tokens_estimated for e in log.served))


def dynamic_model(policy: Policy, today: date | None = None) -> ModelInfo:
    """The model a dynamic-thinking baseline uses: the advanced route's when it accepts -1, else
    the first policy model that does."""
    advanced = route_model(policy, "advanced", today)
    if advanced.thinking.dynamic:
        return advanced
    for model_id in policy.models():
        info = policy.catalog.get(model_id)
        if info.thinking.dynamic and (info.shutdown is None or info.shutdown > (today or date.today())):
            return info
    return advanced


def dynamic_thinking(log: ReportLog, policy: Policy, today: date | None = None) -> Strategy:
    """Gemini's dynamic thinking (``thinkingBudget`` -1) on every prompt: measured from logged
    requests sent with it where the log has any, otherwise an estimate whose assumptions its note
    states."""
    logged = [e for e in log.served if e.thinking == DYNAMIC_THINKING]
    if logged:
        priced = [price_served(e, policy, today=today) for e in logged]
        scores = [e.score for e in logged if e.score is not None]
        return summarise(
            f"dynamic thinking ({DYNAMIC})", priced, scores, estimated=False, note="measured on logged requests"
        )
    model = dynamic_model(policy, today)
    priced, scores = [], []
    for e in log.served:
        light, advanced = at_tier(log, e, "light"), at_tier(log, e, "advanced")
        # answer as long as the light row's, think as long as the advanced row's
        priced.append(price(light, model, thoughts_tokens=advanced.thoughts_tokens))
        c = log.counterpart(e.prompt_hash, "advanced")
        if c is not None and c.score is not None:
            scores.append(c.score)
    note = (
        f"ESTIMATE, not measured (the log has no request sent with thinkingBudget {DYNAMIC}): {model.id} on every "
        "prompt, assumed to think as long as the advanced tier did on that prompt and to answer as long as the "
        "light tier did, with the advanced tier's quality. Dynamic thinking that thinks less on easy prompts "
        "costs less than this, and may score lower."
    )
    return summarise(f"dynamic thinking ({DYNAMIC}), estimate", priced, scores, estimated=True, note=note)


def strategies(log: ReportLog, policy: Policy, today: date | None = None) -> list[Strategy]:
    """Always-light, always-advanced, dynamic thinking and the router, in that order."""
    return [
        always(log, "light", policy, today),
        always(log, "advanced", policy, today),
        dynamic_thinking(log, policy, today),
        router(log, policy, today),
    ]


def reprice(log: ReportLog, policy: Policy, label: str, today: date | None = None) -> Strategy:
    """The router's served tiers re-priced on ``policy``'s routes (another preset, or the same
    preset over another price table): the logged token counts, each tier's model per ``policy``."""
    priced = [price_served(e, policy, as_logged=False, today=today) for e in log.served]
    scores = [e.score for e in log.served if e.score is not None]
    note = "" if all(p.verified for p in priced) else "built on unknown or unverified prices"
    return summarise(label, priced, scores, estimated=any(e.tokens_estimated for e in log.served), note=note)


def preset_costs(log: ReportLog, catalog: Catalog, today: date | None = None) -> list[Strategy]:
    """The router's traffic re-priced under every shipped preset (same tiers, same tokens)."""
    from router.policy import PRESETS, load_policy

    return [reprice(log, load_policy(name, catalog), name, today) for name in PRESETS]
