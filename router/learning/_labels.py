"""Tier labels learned from feedback, aggregated per prompt (keyed by prompt hash).

The evidence a feedback score gives depends on the tier that served the request:

* a **low** score (``<= LOW_SCORE``) at tier *t* says the prompt needed more than *t*: its tier
  is at least *t + 1* (a low score at ``advanced`` says nothing the router can act on);
* a **high** score (``>= HIGH_SCORE``) at ``light`` or ``intermediate`` confirms that *t* was
  enough: its tier is at most *t* (a high score at ``advanced`` proves nothing about cheaper tiers);
* scores in between are not counted.

Per prompt and served tier, the majority of low against high votes decides; the label is the
cheapest tier consistent with every decided bound (lower bound when one exists, else the
confirmed tier). Contradicting bounds (needs more than intermediate, yet light was enough) give
no label. The label's weight grows with the number of consistent votes, capped, so a prompt rated
many times counts more than one rated once, but cannot swamp the corpus.

Only the latest feedback per request counts, and overrides, stand-in traffic and failed requests
are excluded before rows get here (:func:`router.store.iter_learning_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from router.store import LearningRow

TIERS: tuple[str, ...] = ("light", "intermediate", "advanced")
LOW_SCORE = 0.4
HIGH_SCORE = 0.7
#: Training weight of one consistent vote, and the most votes one prompt is credited with.
VOTE_WEIGHT = 3.0
MAX_VOTES = 5


@dataclass
class PromptEvidence:
    """Votes for one prompt: low and high scores counted per served tier."""

    text: str | None = None
    low: list[int] = field(default_factory=lambda: [0, 0, 0])
    high: list[int] = field(default_factory=lambda: [0, 0, 0])

    def add(self, tier: str, score: float, text: str | None = None) -> None:
        if tier not in TIERS:
            return
        k = TIERS.index(tier)
        if score <= LOW_SCORE:
            self.low[k] += 1
        elif score >= HIGH_SCORE:
            self.high[k] += 1
        if self.text is None and text:
            self.text = text

    def label(self) -> tuple[str | None, int]:
        """The learned tier (``None`` when the votes decide nothing) and its number of votes."""
        needs_more = [k for k in (0, 1) if self.low[k] > self.high[k]]
        enough = [k for k in (0, 1) if self.high[k] >= self.low[k] and self.high[k] > 0]
        if not needs_more and not enough:
            return None, 0
        lower = max(needs_more) + 1 if needs_more else 0
        upper = min(enough) if enough else 2
        if lower > upper:
            return None, 0
        tier = lower if needs_more else upper
        votes = sum(self.low[k] for k in needs_more) + sum(self.high[k] for k in enough)
        return TIERS[tier], votes


@dataclass
class FeedbackSummary:
    """Aggregates of a feedback scan: evidence per prompt hash, and counts for the report."""

    prompts: dict[str, PromptEvidence] = field(default_factory=dict)
    rows: int = 0
    low: int = 0
    high: int = 0
    neutral: int = 0
    without_tier: int = 0

    def add(self, row: LearningRow) -> None:
        self.rows += 1
        if row.tier_served not in TIERS:
            self.without_tier += 1
            return
        if row.score <= LOW_SCORE:
            self.low += 1
        elif row.score >= HIGH_SCORE:
            self.high += 1
        else:
            self.neutral += 1
            return
        evidence = self.prompts.get(row.prompt_hash)
        if evidence is None:
            evidence = self.prompts[row.prompt_hash] = PromptEvidence()
        evidence.add(row.tier_served, row.score, row.prompt_text)

    def stats(self) -> dict[str, int]:
        return {
            "feedback_rows": self.rows,
            "low": self.low,
            "high": self.high,
            "neutral": self.neutral,
            "without_tier": self.without_tier,
            "prompts": len(self.prompts),
        }


def summarise(rows: Iterable[LearningRow]) -> FeedbackSummary:
    """Fold learning rows into per-prompt evidence (memory: one entry per distinct prompt)."""
    summary = FeedbackSummary()
    for row in rows:
        summary.add(row)
    return summary


def vote_weight(votes: int) -> float:
    return VOTE_WEIGHT * min(votes, MAX_VOTES)
