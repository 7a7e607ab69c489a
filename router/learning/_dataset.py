"""The retraining set: the base corpus plus rows labelled by feedback.

A prompt with a feedback label replaces its corpus row (same prompt hash): the feedback is newer
evidence about that very prompt. Prompts whose text the log does not hold (prompt storage
``"hash"``) get it back from the corpus when their hash matches a corpus prompt; the others are
counted and skipped. A seeded share of the labelled prompts (chosen by hash) is held out of
training and used to compare the candidate with the current model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from router.learning._labels import FeedbackSummary, vote_weight
from router.store import prompt_hash


@dataclass
class TrainingSet:
    train: list[dict[str, Any]]
    feedback_holdout: list[dict[str, Any]]
    stats: dict[str, int] = field(default_factory=dict)


def _held_out(digest: str, share: float) -> bool:
    if share <= 0:
        return False
    bucket = int(hashlib.sha256(("holdout:" + digest).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def build_training_set(
    corpus_train: Sequence[dict[str, Any]],
    summary: FeedbackSummary,
    *,
    holdout_share: float = 0.2,
    min_holdout: int = 50,
    text_lookup: dict[str, str] | None = None,
) -> TrainingSet:
    """Corpus rows plus feedback rows (``origin: "feedback"``, ``weight`` from the votes).

    The feedback holdout is used only when at least ``min_holdout`` labelled prompts exist;
    below that every labelled prompt is trained on.
    """
    corpus_hashes = {prompt_hash(r["text"]): i for i, r in enumerate(corpus_train)}
    lookup = dict(text_lookup or {})
    for digest, i in corpus_hashes.items():
        lookup.setdefault(digest, corpus_train[i]["text"])
    labelled: list[dict[str, Any]] = []
    no_label = no_text = 0
    for digest, evidence in summary.prompts.items():
        tier, votes = evidence.label()
        if tier is None:
            no_label += 1
            continue
        text = evidence.text or lookup.get(digest)
        if not text:
            no_text += 1
            continue
        labelled.append(
            {"text": text, "tier": tier, "origin": "feedback", "weight": vote_weight(votes), "prompt_hash": digest}
        )
    use_holdout = holdout_share > 0 and len(labelled) >= min_holdout
    train_fb = [r for r in labelled if not (use_holdout and _held_out(r["prompt_hash"], holdout_share))]
    holdout = [r for r in labelled if use_holdout and _held_out(r["prompt_hash"], holdout_share)]
    relabelled = {r["prompt_hash"] for r in labelled}
    base = [r for r in corpus_train if prompt_hash(r["text"]) not in relabelled]
    stats = {
        "corpus_rows": len(base),
        "corpus_rows_replaced": len(corpus_train) - len(base),
        "feedback_labelled_prompts": len(labelled),
        "feedback_train_rows": len(train_fb),
        "feedback_holdout_rows": len(holdout),
        "feedback_prompts_without_label": no_label,
        "feedback_prompts_without_text": no_text,
    }
    for tier in ("light", "intermediate", "advanced"):
        stats[f"feedback_label_{tier}"] = sum(r["tier"] == tier for r in labelled)
    return TrainingSet(train=[*base, *train_fb], feedback_holdout=holdout, stats=stats)
