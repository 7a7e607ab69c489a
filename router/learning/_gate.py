"""Comparing a candidate with the current model on the same held-out data, and the promotion gate.

Held-out data: the corpus test split (never trained on, never used for calibration) and the
feedback holdout (labelled prompts kept out of the candidate's training).

The gate (all must hold):

1. **macro-F1** on the corpus test split is at most ``max_f1_drop`` (0.01) below the current
   model's;
2. **under-routing** on the test split (share of advanced prompts sent to light) is at most
   ``max(under_routing_cap, current's)``: 0.02 by default, or the current model's when it is
   already above that;
3. on the feedback holdout, when it has at least ``min_feedback_holdout`` (20) prompts: the
   candidate's agreement with the feedback labels is not lower than the current model's, and its
   share of prompts below their feedback label (under-routing by feedback) is not higher.

Without a current model only the cap on under-routing applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from classifier._eval import classification_report

TIERS: tuple[str, ...] = ("light", "intermediate", "advanced")
MAX_F1_DROP = 0.01
UNDER_ROUTING_CAP = 0.02
MIN_FEEDBACK_HOLDOUT = 20


def evaluate(model: Any, test: Sequence[dict[str, Any]], feedback: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of one model on the corpus test rows and the feedback holdout rows."""
    out: dict[str, Any] = {}
    if test:
        pred = list(model.predict([r["text"] for r in test]))
        rep = classification_report([r["tier"] for r in test], pred)
        out["test"] = {k: rep[k] for k in ("n", "accuracy", "macro_f1", "under_routing", "over_routing")}
    if feedback:
        pred = [TIERS.index(t) for t in model.predict([r["text"] for r in feedback])]
        want = [TIERS.index(r["tier"]) for r in feedback]
        n = len(want)
        out["feedback_holdout"] = {
            "n": n,
            "agreement": round(sum(p == w for p, w in zip(pred, want, strict=True)) / n, 4),
            "below_label": round(sum(p < w for p, w in zip(pred, want, strict=True)) / n, 4),
        }
    return out


@dataclass
class GateResult:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, "checks": self.checks}


def gate(
    candidate: dict[str, Any],
    current: dict[str, Any] | None,
    *,
    max_f1_drop: float = MAX_F1_DROP,
    under_routing_cap: float = UNDER_ROUTING_CAP,
    min_feedback_holdout: int = MIN_FEEDBACK_HOLDOUT,
) -> GateResult:
    """Apply the promotion gate (module docstring) to :func:`evaluate` results."""
    checks: dict[str, bool] = {}
    reasons: list[str] = []
    cand_test = candidate.get("test")
    cur_test = (current or {}).get("test")
    if cand_test is None:
        return GateResult(False, ["no held-out test data to compare on"], {})
    cap = max(under_routing_cap, cur_test["under_routing"]) if cur_test else under_routing_cap
    checks["under_routing"] = cand_test["under_routing"] <= cap + 1e-12
    if not checks["under_routing"]:
        reasons.append(f"under-routing {cand_test['under_routing']} above the cap {cap}")
    if cur_test:
        floor = cur_test["macro_f1"] - max_f1_drop
        checks["macro_f1"] = cand_test["macro_f1"] >= floor - 1e-12
        if not checks["macro_f1"]:
            reasons.append(
                f"macro-F1 {cand_test['macro_f1']} more than {max_f1_drop} below the current {cur_test['macro_f1']}"
            )
    cand_fb = candidate.get("feedback_holdout")
    cur_fb = (current or {}).get("feedback_holdout")
    if cand_fb and cur_fb and cand_fb["n"] >= min_feedback_holdout:
        checks["feedback_agreement"] = cand_fb["agreement"] >= cur_fb["agreement"] - 1e-12
        checks["feedback_below_label"] = cand_fb["below_label"] <= cur_fb["below_label"] + 1e-12
        if not checks["feedback_agreement"]:
            reasons.append(f"agrees with held-out feedback less ({cand_fb['agreement']} < {cur_fb['agreement']})")
        if not checks["feedback_below_label"]:
            reasons.append(
                f"routes more held-out feedback prompts below their label "
                f"({cand_fb['below_label']} > {cur_fb['below_label']})"
            )
    return GateResult(all(checks.values()), reasons, checks)
