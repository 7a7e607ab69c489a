"""The log as the report reads it: request rows with their latest feedback and token counts.

Token counts come from the log where the service recorded Gemini's ``usageMetadata``. A replayed
log has none; given the outcome file it was replayed from, they are estimated (and marked so):
prompt tokens = prompt characters / 4; a light (direct-answer) row's answer = its output
characters / 4; an advanced (chain-of-thought) row thinks for the chain-of-thought's extra
characters / 4 and answers as the direct setting did.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from router.store import iter_learning_rows, iter_requests

if TYPE_CHECKING:
    from router.replay import OutcomeSet

CHARS_PER_TOKEN = 4
EXPLORE_ENDPOINT = "replay:explore"
REPLAY_PREFIX = "replay:"
ESTIMATE_BASIS = (
    f"tokens estimated from the outcome file: prompt and output characters / {CHARS_PER_TOKEN}; the "
    "chain-of-thought's extra characters counted as thinking tokens of the advanced tier"
)


@dataclass(frozen=True)
class Entry:
    """One logged request with its latest feedback score (``None``: no feedback)."""

    request_id: str
    endpoint: str
    prompt_hash: str
    tier_predicted: str | None
    tier_served: str | None
    model: str | None
    thinking: str | None
    latency_ms: float | None
    prompt_tokens: int | None
    cached_tokens: int
    thoughts_tokens: int
    candidates_tokens: int | None
    cost_usd: float | None
    complexity_score: float | None
    status: int
    score: float | None
    tokens_estimated: bool = False

    @property
    def has_tokens(self) -> bool:
        return self.prompt_tokens is not None and self.candidates_tokens is not None


@dataclass
class ReportLog:
    """The rows a report is computed from. ``served`` are the requests the router answered (a
    replay's exploration rows, which log both settings for every prompt, are kept apart in
    ``explore``); ``by_prompt_tier`` holds every row by (prompt hash, tier served)."""

    served: list[Entry]
    explore: list[Entry]
    source: str
    notes: list[str] = field(default_factory=list)
    by_prompt_tier: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)

    @property
    def is_replay(self) -> bool:
        return self.source.startswith("replay")

    def counterpart(self, prompt_hash: str, tier: str) -> Entry | None:
        """A row of ``prompt_hash`` served at ``tier`` that has feedback (served rows first)."""
        rows = [e for e in self.by_prompt_tier.get((prompt_hash, tier), []) if e.score is not None]
        return rows[0] if rows else None


def _estimated(entry: Entry, text: str | None, chars: tuple[float, float] | None) -> Entry:
    """``entry`` with token counts estimated from the outcome file's output sizes."""
    if entry.has_tokens or text is None or chars is None or entry.tier_served not in ("light", "advanced"):
        return entry
    cheap_chars, expensive_chars = chars
    prompt = -(-len(text) // CHARS_PER_TOKEN)
    answer = int(cheap_chars) // CHARS_PER_TOKEN + 1
    thoughts = max(int(expensive_chars - cheap_chars), 0) // CHARS_PER_TOKEN if entry.tier_served == "advanced" else 0
    return Entry(
        **{
            **vars(entry),
            "prompt_tokens": prompt,
            "candidates_tokens": answer,
            "thoughts_tokens": thoughts,
            "tokens_estimated": True,
        }
    )


def read_log(engine: Engine, outcomes: OutcomeSet | None = None) -> ReportLog:
    """Read every request and its latest feedback. ``outcomes``: the outcome file a replayed log
    came from, to estimate its token counts (see the module docstring)."""
    from router.store import prompt_hash

    scores = {row.request_id: row.score for row in iter_learning_rows(engine, include_excluded=True)}
    sizes: dict[str, tuple[str | None, tuple[float, float] | None]] = {}
    if outcomes is not None:
        for i, text in enumerate(outcomes.texts):
            chars = None
            if outcomes.cheap_chars is not None and outcomes.expensive_chars is not None:
                chars = (float(outcomes.cheap_chars[i]), float(outcomes.expensive_chars[i]))
            sizes[prompt_hash(text)] = (text, chars)
    served: list[Entry] = []
    explore: list[Entry] = []
    by_prompt_tier: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    replayed = False
    for row in iter_requests(engine):
        entry = Entry(
            request_id=row.request_id,
            endpoint=row.endpoint,
            prompt_hash=row.prompt_hash,
            tier_predicted=row.tier_predicted,
            tier_served=row.tier_served,
            model=row.model,
            thinking=row.thinking,
            latency_ms=row.latency_ms,
            prompt_tokens=row.prompt_tokens,
            cached_tokens=row.cached_tokens or 0,
            thoughts_tokens=row.thoughts_tokens or 0,
            candidates_tokens=row.candidates_tokens,
            cost_usd=row.cost_usd,
            complexity_score=row.complexity_score,
            status=row.status,
            score=scores.get(row.request_id),
        )
        stored, chars = sizes.get(row.prompt_hash, (row.prompt_text, None))
        entry = _estimated(entry, stored, chars)
        replayed = replayed or row.endpoint.startswith(REPLAY_PREFIX)
        if not 200 <= row.status < 300:
            continue
        (explore if row.endpoint == EXPLORE_ENDPOINT else served).append(entry)
        if entry.tier_served:
            by_prompt_tier[(row.prompt_hash, entry.tier_served)].append(entry)
    for rows in by_prompt_tier.values():  # served rows first, so a counterpart is what was served
        rows.sort(key=lambda e: e.endpoint == EXPLORE_ENDPOINT)
    notes = []
    if replayed:
        name = outcomes.name if outcomes is not None else "an outcome file"
        source = f"replay of {name}"
        notes.append(
            f"This log comes from a replay of {name}: every prompt was logged at both settings with its "
            "correctness as feedback, then served once as the cross-fitted router decided. Quality is the "
            "share answered correctly; no latency was logged."
        )
    else:
        source = "logged traffic"
    if any(e.tokens_estimated for e in served):
        notes.append(ESTIMATE_BASIS + ".")
    elif served and not any(e.has_tokens for e in served):
        notes.append("The log has no token counts: costs cannot be computed (give the outcome file of a replay).")
    return ReportLog(served=served, explore=explore, source=source, notes=notes, by_prompt_tier=dict(by_prompt_tier))
