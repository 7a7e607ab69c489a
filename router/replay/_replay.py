"""Replaying an outcome file through the router, with K-fold cross-fitting.

1. **Exploration log.** Every item is logged as served once at the cheap setting (tier
   ``light``) and once at the expensive one (tier ``advanced``), each with its feedback: score 1
   when that setting answered correctly, else 0. (As if the service had served both settings for
   a while and collected feedback on both: the log ``retrain`` learns from.)
2. **Cross-fitted routing.** Items are split into K folds by a seeded hash of their id. The
   escalation model deciding fold k is trained only on the feedback, read back from the log, of
   the other folds: it never saw fold k's outcomes. Its score may include the classifier's
   complexity score, but only when no evaluated item is in the classifier's training data.
3. **Served log.** The routed decisions at the 95% operating point are logged as served requests
   (endpoint ``replay:served``) with the feedback the served setting earned.
4. **Figures.** The share of items sent to the expensive setting needed to keep 95% of the
   always-expensive accuracy, beside random routing and the per-item oracle, and the
   quality-vs-share curve as the threshold moves.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert

from router.replay._escalation import DEFAULT_BITS, DEFAULT_C, EscalationModel, PromptFeatures
from router.replay._metrics import TARGET, quality_by_share, share_at, summary
from router.replay._outcomes import OutcomeSet
from router.store import FeedbackRow, RequestRow, iter_learning_rows, prompt_hash

log = logging.getLogger("budget_router.replay")

CHEAP_TIER, EXPENSIVE_TIER = "light", "advanced"
CHARS_PER_TOKEN = 4
_BATCH = 2000


def fold_of(item_id: str, folds: int, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).hexdigest()
    return int(digest[:12], 16) % folds


def _write_log(
    engine: Engine, outcomes: OutcomeSet, endpoint: str, served: list[tuple[int, bool]], classifier_version: str
) -> None:
    """Log requests (one per ``(item, expensive?)``) and their correctness feedback."""
    now = datetime.now(UTC)
    requests, feedback = [], []
    for index, expensive in served:
        text = outcomes.texts[index]
        rid = f"{endpoint}:{outcomes.ids[index]}:{'expensive' if expensive else 'cheap'}"
        ok = outcomes.expensive[index] if expensive else outcomes.cheap[index]
        requests.append(
            {
                "request_id": hashlib.sha256(rid.encode()).hexdigest()[:32],
                "created_at": now,
                "endpoint": endpoint,
                "prompt_hash": prompt_hash(text),
                "prompt_text": text,
                "tier_predicted": EXPENSIVE_TIER if expensive else CHEAP_TIER,
                "tier_served": EXPENSIVE_TIER if expensive else CHEAP_TIER,
                "model": outcomes.expensive_setting if expensive else outcomes.cheap_setting,
                "thinking": "replay",
                "overrides": "",
                "overridden": False,
                "stand_in": False,
                "status": 200,
                "classifier_version": classifier_version,
            }
        )
        feedback.append(
            {
                "request_id": requests[-1]["request_id"],
                "created_at": now,
                "score": float(ok),
                "label": "correct" if ok else "incorrect",
                "comment": f"replay of {outcomes.name} item {outcomes.ids[index]}",
            }
        )
    with engine.begin() as connection:
        for start in range(0, len(requests), _BATCH):
            connection.execute(insert(RequestRow), requests[start : start + _BATCH])
        for start in range(0, len(feedback), _BATCH):
            connection.execute(insert(FeedbackRow), feedback[start : start + _BATCH])


def _feedback_from_log(engine: Engine, outcomes: OutcomeSet) -> tuple[np.ndarray, np.ndarray]:
    """Per item, the cheap and expensive scores the log's exploration feedback holds (NaN: none)."""
    index = {prompt_hash(t): i for i, t in enumerate(outcomes.texts)}
    cheap = np.full(len(outcomes), np.nan)
    expensive = np.full(len(outcomes), np.nan)
    for row in iter_learning_rows(engine, chunk_size=10_000):
        i = index.get(row.prompt_hash)
        if i is None or not row.request_id:
            continue
        if row.tier_served == CHEAP_TIER:
            cheap[i] = row.score
        elif row.tier_served == EXPENSIVE_TIER:
            expensive[i] = row.score
    return cheap, expensive


def classifier_overlap(texts: list[str], data_dir: Path) -> int:
    """How many of ``texts`` are in the corpus the shipped classifier trains or calibrates on."""
    from classifier._corpus import read_jsonl
    from classifier._text import dedup_key

    keys = {dedup_key(t) for t in texts}
    seen = 0
    for split in ("train", "validation"):
        path = data_dir / "corpus" / f"{split}.jsonl.gz"
        if path.is_file():
            seen += sum(1 for row in read_jsonl(path) if dedup_key(row["text"]) in keys)
    return seen


def _usd(outcomes: OutcomeSet, expensive_mask: np.ndarray) -> dict[str, Any]:
    """USD at list prices where the file gives output sizes (BBH): the default policy's light
    route for the direct answer, its advanced route for chain-of-thought (billed as output)."""
    if outcomes.cheap_chars is None or outcomes.expensive_chars is None:
        return {"usd": None, "usd_basis": "this file has no per-item output sizes: cost is counted in calls"}
    from router.catalog import Catalog, compute_cost
    from router.policy import DEFAULT_POLICY, load_policy

    catalog = Catalog.load()
    policy = load_policy(DEFAULT_POLICY, catalog)
    cheap_model = catalog.get(policy.route(CHEAP_TIER).model)
    exp_model = catalog.get(policy.route(EXPENSIVE_TIER).model)
    totals = {"cheap": 0.0, "expensive": 0.0, "routed": 0.0}
    verified = True
    for i, text in enumerate(outcomes.texts):
        prompt_tokens = -(-len(text) // CHARS_PER_TOKEN)
        c = compute_cost(
            cheap_model, prompt_tokens=prompt_tokens, candidates_tokens=int(outcomes.cheap_chars[i]) // 4 + 1
        )
        e = compute_cost(
            exp_model, prompt_tokens=prompt_tokens, candidates_tokens=int(outcomes.expensive_chars[i]) // 4 + 1
        )
        verified = verified and c.verified and e.verified
        totals["cheap"] += c.usd
        totals["expensive"] += e.usd
        totals["routed"] += e.usd if expensive_mask[i] else c.usd
    return {
        "usd": round(totals["routed"], 6),
        "usd_always_expensive": round(totals["expensive"], 6),
        "usd_always_cheap": round(totals["cheap"], 6),
        "usd_verified": verified,
        "usd_basis": f"list prices of {cheap_model.id} (direct) and {exp_model.id} (chain-of-thought); "
        f"tokens = characters / {CHARS_PER_TOKEN}",
    }


def replay(
    outcomes: OutcomeSet,
    engine: Engine,
    *,
    folds: int = 5,
    seed: int = 0,
    classifier: Any | None = None,
    classifier_overlap_count: int | None = None,
    bits: int = DEFAULT_BITS,
    C: float = DEFAULT_C,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Replay ``outcomes`` into ``engine``'s log and return the figures (see the module docstring).

    ``classifier`` (a :class:`classifier.TierClassifier`) adds its complexity score to the
    escalation model's features, only when ``classifier_overlap_count`` is 0.
    """
    if folds < 2:
        raise ValueError("cross-fitting needs at least 2 folds")
    say = progress or (lambda message: None)
    n = len(outcomes)
    version = "none"
    use_classifier = classifier is not None and classifier_overlap_count == 0
    if classifier is not None:
        version = str(getattr(classifier, "model_card_", {}).get("version", "unknown"))
    say("logging exploration traffic")
    _write_log(engine, outcomes, "replay:explore", [(i, e) for i in range(n) for e in (False, True)], version)
    ok_cheap, ok_exp = _feedback_from_log(engine, outcomes)
    extra = None
    if use_classifier and classifier is not None:
        say("scoring prompts with the classifier")
        extra = np.asarray(classifier.complexity_score(outcomes.texts), dtype=float)
    say("extracting features")
    features = PromptFeatures(outcomes.texts, bits=bits, extra=extra)
    fold = np.asarray([fold_of(i, folds, seed) for i in outcomes.ids])
    score = np.zeros(n)
    for k in range(folds):
        say(f"fold {k + 1}/{folds}")
        held = np.flatnonzero(fold == k)
        train = np.flatnonzero(fold != k)
        has_c = train[~np.isnan(ok_cheap[train])]
        has_e = train[~np.isnan(ok_exp[train])]
        model = EscalationModel(C=C).fit(
            features.matrix(has_c, train), ok_cheap[has_c], features.matrix(has_e, train), ok_exp[has_e]
        )
        score[held] = model.gain(features.matrix(held, train))
    figures = summary(score, outcomes.cheap, outcomes.expensive)
    quality = quality_by_share(score, outcomes.cheap, outcomes.expensive)
    k95 = round(share_at(quality, TARGET * float(outcomes.expensive.mean())) * n)
    expensive_mask = np.zeros(n, dtype=bool)
    expensive_mask[np.argsort(-score, kind="stable")[:k95]] = True
    say("logging served traffic")
    _write_log(engine, outcomes, "replay:served", [(i, bool(expensive_mask[i])) for i in range(n)], version)
    return {
        "dataset": outcomes.name,
        "items": n,
        "cheap_setting": outcomes.cheap_setting,
        "expensive_setting": outcomes.expensive_setting,
        **figures,
        "cost": {
            "expensive_calls": int(expensive_mask.sum()),
            "cheap_calls": int(n - expensive_mask.sum()),
            "expensive_share": round(float(expensive_mask.mean()), 4),
            **_usd(outcomes, expensive_mask),
        },
        "cross_fitting": {
            "folds": folds,
            "seed": seed,
            "rule": "the escalation model deciding fold k is trained only on the other folds' logged feedback",
        },
        "routing_score": {
            "escalation_model": f"two logistic regressions (C={C}) on hashed n-grams (2^{bits}) and structural "
            "features: P(expensive ok) - P(cheap ok)",
            "classifier_feature": use_classifier,
            "classifier_version": version if classifier is not None else None,
            "classifier_overlap": classifier_overlap_count,
            "classifier_note": (
                "classifier complexity score used as a feature (no evaluated item is in its training data)"
                if use_classifier
                else "classifier not used: "
                + (
                    "no classifier given"
                    if classifier is None
                    else f"{classifier_overlap_count} evaluated items are in its training data"
                )
            ),
        },
    }
