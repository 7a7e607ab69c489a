"""Metrics of a tier classifier on labelled prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from classifier._decision import macro_f1, routing_errors
from classifier._model import TIERS, TierClassifier


def classification_report(true: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """``accuracy``, ``macro_f1``, ``per_tier`` (precision, recall, f1, support), ``confusion``
    (rows: true tier, columns: predicted tier), ``under_routing`` (share of advanced predicted
    light) and ``over_routing`` (share of light predicted advanced)."""
    t = np.asarray([TIERS.index(x) for x in true], dtype=int)
    p = np.asarray([TIERS.index(x) for x in pred], dtype=int)
    confusion = np.zeros((3, 3), dtype=int)
    np.add.at(confusion, (t, p), 1)
    per_tier = {}
    for k, tier in enumerate(TIERS):
        tp = int(confusion[k, k])
        predicted, actual = int(confusion[:, k].sum()), int(confusion[k, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_tier[tier] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual,
        }
    under, over = routing_errors(t, p)
    return {
        "n": len(t),
        "accuracy": round(float(np.mean(t == p)), 4) if len(t) else 0.0,
        "macro_f1": round(macro_f1(t, p), 4),
        "per_tier": per_tier,
        "confusion": {tier: dict(zip(TIERS, map(int, confusion[k]), strict=True)) for k, tier in enumerate(TIERS)},
        "under_routing": round(under, 4),
        "over_routing": round(over, 4),
    }


def evaluate(clf: TierClassifier, texts: Sequence[str], tiers: Sequence[str]) -> dict[str, Any]:
    return classification_report(tiers, list(clf.predict(texts)))


def rank_correlation(scores: Sequence[float], levels: Sequence[float]) -> float | None:
    """Spearman correlation, or None when either side is constant or there are < 3 items."""
    if len(scores) < 3 or len(set(levels)) < 2 or len(set(scores)) < 2:
        return None
    rho = spearmanr(scores, levels).statistic
    return None if np.isnan(rho) else round(float(rho), 4)
