"""What one request row holds, and how the service builds one from its decision.

:class:`RequestRecord` is a plain dataclass: the service fills it on the hot path (no database
work) and hands it to :class:`~router.store.RequestLogWriter`. :meth:`RequestRecord.from_decision`
builds one from a :class:`router.routing.Decision`, applying the prompt-storage setting and hashing
the client's API key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from router.store._types import utcnow

if TYPE_CHECKING:
    from router.routing import Decision

PromptStorage = Literal["full", "hash"]
PROMPT_STORAGE_VALUES: tuple[str, ...] = ("full", "hash")
_ERROR_CHARS = 200


def prompt_hash(text: str) -> str:
    """SHA-256 (hex) of the prompt text the classifier read. It identifies repeats of a prompt
    across requests; it is not a secret (a short prompt can be guessed by hashing candidates)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def key_id(api_key: str | None) -> str | None:
    """A stable, non-reversible id for a client API key (first 32 hex digits of its SHA-256):
    usage per key can be counted without storing the key."""
    if not api_key:
        return None
    return hashlib.sha256(b"budget-router-key:" + api_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class RequestRecord:
    """One row of the ``requests`` table (see :mod:`router.store._models` for the columns)."""

    request_id: str
    prompt_hash: str
    endpoint: str = "route"
    created_at: datetime = field(default_factory=utcnow)
    api_key_id: str | None = None
    prompt_text: str | None = None
    tier_predicted: str | None = None
    tier_served: str | None = None
    prob_light: float | None = None
    prob_intermediate: float | None = None
    prob_advanced: float | None = None
    complexity_score: float | None = None
    model: str | None = None
    thinking: str | None = None
    overrides: str = ""
    overridden: bool = False
    stand_in: bool = False
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    thoughts_tokens: int | None = None
    candidates_tokens: int | None = None
    cost_usd: float | None = None
    cost_verified: bool | None = None
    status: int = 200
    error: str | None = None
    classifier_version: str | None = None

    def as_row(self) -> dict[str, Any]:
        row = dict(vars(self))  # every field is a scalar: no need for asdict's deep copy (5x slower)
        if row["error"] is not None:
            row["error"] = str(row["error"])[:_ERROR_CHARS]
        return row

    @classmethod
    def from_decision(
        cls,
        decision: Decision,
        prompt: str,
        *,
        endpoint: str,
        prompt_storage: PromptStorage = "full",
        api_key: str | None = None,
        tier_predicted: str | None = None,
        model: str | None = None,
        thinking: str | None = None,
        status: int = 200,
        latency_ms: float | None = None,
        usage: Mapping[str, int] | None = None,
        cost_usd: float | None = None,
        cost_verified: bool | None = None,
        stand_in: bool = False,
        error: str | None = None,
    ) -> RequestRecord:
        """The row for a request the router decided.

        ``prompt`` is the text the classifier read; it is stored only when ``prompt_storage`` is
        ``"full"`` (its hash always). ``tier_predicted`` is the classifier's tier before overrides
        (default: the decision's tier); ``model``/``thinking`` the route that actually answered
        (default: the primary route). ``usage`` holds Gemini's counts under ``prompt_tokens``,
        ``cached_tokens``, ``thoughts_tokens``, ``candidates_tokens`` (camelCase
        ``usageMetadata`` names and :func:`router.upstream.usage_of`'s ``prompt``, ``cached``,
        ``thoughts``, ``candidates`` are accepted too). ``stand_in`` marks traffic answered by the
        offline stand-in, which retraining ignores.
        """
        if prompt_storage not in PROMPT_STORAGE_VALUES:
            raise ValueError(f"prompt_storage must be 'full' or 'hash', got {prompt_storage!r}")
        probabilities = decision.probabilities
        counts = _usage_counts(usage or {})
        if cost_verified is None and cost_usd is not None:
            cost_verified = decision.cost_verified
        return cls(
            request_id=decision.request_id,
            prompt_hash=prompt_hash(prompt),
            prompt_text=prompt if prompt_storage == "full" else None,
            endpoint=endpoint,
            api_key_id=key_id(api_key),
            tier_predicted=tier_predicted or decision.tier,
            tier_served=decision.tier,
            prob_light=probabilities.get("light"),
            prob_intermediate=probabilities.get("intermediate"),
            prob_advanced=probabilities.get("advanced"),
            complexity_score=decision.score,
            model=model or decision.model,
            thinking=thinking or decision.thinking.header(),
            overrides=",".join(decision.overrides),
            overridden=bool(decision.overrides),
            stand_in=stand_in,
            latency_ms=latency_ms,
            cost_usd=cost_usd,
            cost_verified=cost_verified,
            status=status,
            error=error,
            classifier_version=decision.classifier_version,
            prompt_tokens=counts["prompt_tokens"],
            cached_tokens=counts["cached_tokens"],
            thoughts_tokens=counts["thoughts_tokens"],
            candidates_tokens=counts["candidates_tokens"],
        )


_USAGE_NAMES = {  # column: the names it is found under (``router.upstream.usage_of``'s short one last)
    "prompt_tokens": ("prompt_tokens", "promptTokenCount", "prompt_token_count", "prompt"),
    "cached_tokens": ("cached_tokens", "cachedContentTokenCount", "cached_content_token_count", "cached"),
    "thoughts_tokens": ("thoughts_tokens", "thoughtsTokenCount", "thoughts_token_count", "thoughts"),
    "candidates_tokens": ("candidates_tokens", "candidatesTokenCount", "candidates_token_count", "candidates"),
}


def _usage_counts(usage: Mapping[str, int]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for column, names in _USAGE_NAMES.items():
        value = next((usage[n] for n in names if usage.get(n) is not None), None)
        out[column] = int(value) if value is not None else None
    return out
