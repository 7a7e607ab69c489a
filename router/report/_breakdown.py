"""Breakdowns of the served traffic: the threshold curve, savings, thinking, latency, confusion."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from router.learning import HIGH_SCORE, LOW_SCORE
from router.policy import TIERS, Policy
from router.report._cost import PER, at_tier, price, price_served, route_model
from router.report._log import ReportLog


@dataclass
class Curve:
    """Quality against cost per 1,000 requests as the escalation threshold moves: the prompts
    scored highest go to the advanced tier, the rest to light. ``points`` hold ``share`` (sent to
    advanced), ``threshold``, ``cost_per_1k`` and ``quality``."""

    points: list[dict[str, float]]
    items: int
    score_source: str
    verified: bool
    note: str = ""


def threshold_curve(
    log: ReportLog,
    policy: Policy,
    scores: Mapping[str, float] | None = None,
    *,
    points: int = 41,
    today: date | None = None,
) -> Curve:
    """Over the prompts whose feedback the log holds at both light and advanced. Each prompt's
    score is the logged complexity score, else ``scores[prompt_hash]`` (e.g. the classifier's),
    else 1 when the router escalated it (a curve through the router's own point only)."""
    light_model, adv_model = route_model(policy, "light", today), route_model(policy, "advanced", today)
    rows = []
    sources = set()
    for e in log.served:
        lo, hi = log.counterpart(e.prompt_hash, "light"), log.counterpart(e.prompt_hash, "advanced")
        if lo is None or hi is None:
            continue
        cl, ch = price(at_tier(log, e, "light"), light_model), price(at_tier(log, e, "advanced"), adv_model)
        if cl.usd is None or ch.usd is None:
            continue
        if e.complexity_score is not None:
            s, src = e.complexity_score, "logged complexity score"
        elif scores is not None and e.prompt_hash in scores:
            s, src = scores[e.prompt_hash], "classifier complexity score (scored for this report)"
        else:
            s, src = float(e.tier_served == "advanced"), "the router's logged decision (escalated or not)"
        sources.add(src)
        rows.append((s, cl.usd, ch.usd, lo.score or 0.0, hi.score or 0.0, cl.verified and ch.verified))
    if not rows:
        return Curve([], 0, "", False, "no prompt has feedback at both light and advanced: no curve")
    arr = np.asarray([r[:5] for r in rows], dtype=float)
    order = np.argsort(-arr[:, 0], kind="stable")
    arr = arr[order]
    n = len(arr)
    base_cost, base_q = arr[:, 1].sum(), arr[:, 3].sum()
    gain_cost = np.concatenate([[0.0], np.cumsum(arr[:, 2] - arr[:, 1])])
    gain_q = np.concatenate([[0.0], np.cumsum(arr[:, 4] - arr[:, 3])])
    out = []
    for share in np.linspace(0.0, 1.0, points):
        k = round(share * n)
        out.append(
            {
                "share": round(float(share), 4),
                "threshold": float(arr[k - 1, 0]) if k else float("inf"),
                "cost_per_1k": PER * float(base_cost + gain_cost[k]) / n,
                "quality": float(base_q + gain_q[k]) / n,
            }
        )
    return Curve(out, n, "; ".join(sorted(sources)), all(r[5] for r in rows))


@dataclass
class Saving:
    """Cost of one group of served requests against sending them all to the advanced tier."""

    group: str
    requests: int
    cost_usd: float
    baseline_usd: float
    verified: bool

    @property
    def saved_usd(self) -> float:
        return self.baseline_usd - self.cost_usd


def savings(log: ReportLog, policy: Policy, by: str = "tier", today: date | None = None) -> list[Saving]:
    """Savings against always-advanced, grouped ``by`` ``"tier"`` served or ``"model"`` priced."""
    if by not in ("tier", "model"):
        raise ValueError("by must be 'tier' or 'model'")
    adv_model = route_model(policy, "advanced", today)
    groups: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 1])
    for e in log.served:
        actual = price_served(e, policy, today=today)
        baseline = price(at_tier(log, e, "advanced"), adv_model)
        if actual.usd is None or baseline.usd is None:
            continue
        g = groups[(e.tier_served or "unknown") if by == "tier" else actual.model]
        g[0] += 1
        g[1] += actual.usd
        g[2] += baseline.usd
        g[3] = g[3] and actual.verified and baseline.verified
    order = {t: i for i, t in enumerate(TIERS)}
    return [
        Saving(k, int(v[0]), v[1], v[2], bool(v[3]))
        for k, v in sorted(groups.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))
    ]


@dataclass
class TierStats:
    """Per tier: requests, and the mean / median / 95th percentile of one quantity."""

    tier: str
    requests: int
    n: int
    mean: float | None
    p50: float | None
    p95: float | None
    estimated: bool = False


def _stats(tier: str, requests: int, values: list[float], estimated: bool) -> TierStats:
    if not values:
        return TierStats(tier, requests, 0, None, None, None, estimated)
    a = np.asarray(values, dtype=float)
    return TierStats(
        tier, requests, len(a), float(a.mean()), float(np.percentile(a, 50)), float(np.percentile(a, 95)), estimated
    )


def _by_tier(log: ReportLog) -> dict[str, list]:
    tiers: dict[str, list] = defaultdict(list)
    for e in log.served:
        tiers[e.tier_served or "unknown"].append(e)
    return {t: tiers[t] for t in [*TIERS, *sorted(set(tiers) - set(TIERS))] if t in tiers}


def thinking_by_tier(log: ReportLog) -> list[TierStats]:
    """Thinking tokens per served request, by tier (rows without token counts left out)."""
    return [
        _stats(t, len(rows), [e.thoughts_tokens for e in rows if e.has_tokens], any(e.tokens_estimated for e in rows))
        for t, rows in _by_tier(log).items()
    ]


def latency_by_tier(log: ReportLog) -> list[TierStats]:
    """Latency (ms) per served request, by tier (rows without a latency left out)."""
    return [
        _stats(t, len(rows), [e.latency_ms for e in rows if e.latency_ms is not None], False)
        for t, rows in _by_tier(log).items()
    ]


NEEDED = (*TIERS, "none enough", "undetermined")


@dataclass
class Confusion:
    """Rows: the tier the classifier (or the replay's router) predicted; columns: the cheapest tier
    the feedback shows was enough (``none enough``: every tier failed; ``undetermined``: a cheaper
    tier was never tried or its score was in between)."""

    predicted: list[str]
    needed: list[str] = field(default_factory=lambda: list(NEEDED))
    counts: list[list[int]] = field(default_factory=list)

    def total(self) -> int:
        return sum(map(sum, self.counts))


def needed_tier(log: ReportLog, prompt_hash: str) -> str:
    """The cheapest tier feedback shows was enough: scores >= 0.7 pass, <= 0.4 fail."""
    for tier in TIERS:
        row = log.counterpart(prompt_hash, tier)
        if row is None or row.score is None:
            if tier == "intermediate":
                continue  # a tier never tried in between two tried ones does not block the verdict
            return "undetermined"
        if row.score >= HIGH_SCORE:
            return tier
        if row.score > LOW_SCORE:
            return "undetermined"
    return "none enough"


def confusion(log: ReportLog) -> Confusion:
    """The classifier's predicted tier against what feedback says was needed, one count per
    served request with feedback."""
    predicted = [t for t in TIERS if any(e.tier_predicted == t for e in log.served)]
    matrix = Confusion(predicted=predicted, counts=[[0] * len(NEEDED) for _ in predicted])
    for e in log.served:
        if e.score is None or e.tier_predicted not in predicted:
            continue
        matrix.counts[predicted.index(e.tier_predicted)][NEEDED.index(needed_tier(log, e.prompt_hash))] += 1
    return matrix
