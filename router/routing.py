"""The routing decision: prompt text -> tier -> model, thinking setting, output cap and fallbacks.

Every endpoint (``/v1/route``, the Gemini-native proxy, the OpenAI-compatible route) and the
``budget-router route`` command decide through :class:`RoutingEngine`; nothing here does network
I/O or imports FastAPI or google-genai, so the CLI stays fast.

What the classifier reads of a request is :mod:`router.prompt`'s rule (the newest user turn with
text, bounded to ``max_prompt_chars``); the rest of the request only feeds the token estimate.
In a multi-turn request the classifier also reads the conversation's opening turn, whose tier
picks the model so that a conversation keeps one model (:mod:`router.conversation` states the rule).

Overrides (:class:`Overrides`) are the client's explicit choices: a forced tier, a forced model
(passed through; the tier is still predicted and reported), a forced thinking setting (kept when
the routed model accepts it, else translated with :func:`router.catalog.map_thinking`), and a cost
cap (the route steps down a tier, then shrinks ``maxOutputTokens``, until the most the request can
cost fits). Each one is named in :attr:`Decision.overrides`, so logs and retraining can tell a
client's choice from the router's.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from router.catalog import LEVEL_ORDER, Catalog, ModelInfo, Thinking, map_thinking, validate_thinking
from router.errors import InvalidRequest, InvalidThinking
from router.policy import DEFAULT_ANSWER_TOKENS, TIERS, Policy, Route, thinking_allowance
from router.prompt import bound_text

#: Fewest output tokens a cost cap may leave a request.
MIN_CAPPED_OUTPUT_TOKENS = 64


class Classifier(Protocol):
    """What routing needs of a tier classifier (:class:`classifier.TierClassifier` fits).

    ``classify(text)`` answers one prompt: its tier after the classifier's own decision rule and
    its per-tier probabilities in ``classes_`` order (for ``TierClassifier``, exactly what
    ``predict`` and ``predict_proba`` give for ``[text]``). ``model_card_["version"]`` names it.
    """

    classes_: Any
    model_card_: dict[str, Any]

    def classify(self, text: str) -> tuple[str, Any]: ...


@dataclass(frozen=True)
class Overrides:
    """A client's explicit choices for one request (all optional)."""

    tier: str | None = None
    model: str | None = None
    thinking: Thinking | None = None
    max_output_tokens: int | None = None
    max_cost_usd: float | None = None

    def __post_init__(self) -> None:
        if self.tier is not None and self.tier not in TIERS:
            raise InvalidRequest(f"unknown tier {self.tier!r}; expected one of {', '.join(TIERS)}")
        cap = self.max_cost_usd
        if cap is not None and (isinstance(cap, bool) or not math.isfinite(cap) or cap <= 0):
            raise InvalidRequest(f"the cost cap must be a positive number of USD, got {cap!r}")
        tokens = self.max_output_tokens
        if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1):
            raise InvalidRequest(f"maxOutputTokens must be a positive integer, got {tokens!r}")


@dataclass(frozen=True)
class Classification:
    tier: str
    probabilities: dict[str, float]
    score: float


@dataclass(frozen=True)
class Decision:
    """Everything the router decided for one request.

    ``routes`` is the primary route followed by its fallbacks, in the order they are tried;
    ``estimated_cost_usd`` is the most the primary route can cost at list prices (the prompt's
    estimated tokens at the input price plus ``maxOutputTokens`` at the output price, which
    includes thinking); ``cost_verified`` is False when a price it used is unknown or unverified.
    """

    request_id: str
    tier: str
    probabilities: dict[str, float]
    score: float
    routes: tuple[Route, ...]
    prompt_tokens: int
    estimated_cost_usd: float
    cost_verified: bool
    classifier_version: str
    overrides: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    #: The classifier's own tier, before a forced tier or a cost cap changed it ("" when unknown).
    predicted_tier: str = ""
    #: The text the classifier read (bounded to ``max_prompt_chars``), for the request log.
    prompt: str = field(default="", repr=False)
    #: The tier of the conversation's opening turn, which chose the model ("" for one turn).
    opening_tier: str = ""

    @property
    def route(self) -> Route:
        return self.routes[0]

    @property
    def model(self) -> str:
        return self.routes[0].model

    @property
    def thinking(self) -> Thinking:
        return self.routes[0].thinking

    @property
    def max_output_tokens(self) -> int | None:
        return self.routes[0].max_output_tokens

    @property
    def fallbacks(self) -> tuple[str, ...]:
        return tuple(r.model for r in self.routes[1:])

    def headers(self, route: Route | None = None, cost_usd: float | None = None) -> dict[str, str]:
        """The ``x-router-*`` headers for a response served by ``route`` (default: the primary).

        ``cost_usd`` is the cost from the response's usage; without it the header carries the
        estimate and ``x-router-cost-basis`` says so.
        """
        route = route or self.routes[0]
        headers = {
            "x-router-request-id": self.request_id,
            "x-router-tier": self.tier,
            "x-router-model": route.model,
            "x-router-thinking": route.thinking.header(),
            "x-router-cost-usd": f"{self.estimated_cost_usd if cost_usd is None else cost_usd:.6f}",
            "x-router-cost-basis": "estimate" if cost_usd is None else "usage",
        }
        if self.opening_tier:
            headers["x-router-conversation-tier"] = self.opening_tier
        if self.overrides:
            headers["x-router-overrides"] = ",".join(self.overrides)
        if self.warnings:
            headers["x-router-warning"] = "; ".join(self.warnings)
        return headers

    def to_json(self) -> dict[str, Any]:
        """The ``/v1/route`` answer and the ``route --json`` output."""
        primary = self.routes[0]
        return {
            "request_id": self.request_id,
            "tier": self.tier,
            "probabilities": self.probabilities,
            "score": self.score,
            "model": primary.model,
            "thinking": thinking_json(primary.thinking),
            "max_output_tokens": primary.max_output_tokens,
            "fallbacks": [{"model": r.model, "thinking": thinking_json(r.thinking)} for r in self.routes[1:]],
            "estimated_prompt_tokens": self.prompt_tokens,
            "estimated_cost_usd": round(self.estimated_cost_usd, 8),
            "cost_verified": self.cost_verified,
            "classifier_version": self.classifier_version,
            "overrides": list(self.overrides),
            "warnings": list(self.warnings),
        }


def thinking_json(thinking: Thinking) -> dict[str, Any]:
    """A thinking setting as JSON: ``{"budget": 4096}``, ``{"level": "high"}`` or ``{}``."""
    out: dict[str, Any] = {}
    if thinking.budget is not None:
        out["budget"] = thinking.budget
    if thinking.level is not None:
        out["level"] = thinking.level
    return out


def new_request_id() -> str:
    return uuid.uuid4().hex


def complexity_score(probabilities: Mapping[str, float]) -> float:
    """Expected tier on a 0..1 scale, ``P(intermediate) / 2 + P(advanced)``: the formula of
    ``TierClassifier.complexity_score``, on probabilities already computed."""
    return probabilities.get("intermediate", 0.0) * 0.5 + probabilities.get("advanced", 0.0)


# --- deciding ---------------------------------------------------------------------------------


def max_cost(
    model: ModelInfo, thinking: Thinking, prompt_tokens: int, max_output_tokens: int | None
) -> tuple[float, bool]:
    """The most one request can cost at list prices, and whether every price used is verified."""
    prices = model.prices
    output = max_output_tokens
    if output is None:
        output = model.max_output_tokens or thinking_allowance(model, thinking) + 8192
    verified = prices.verified and prices.input is not None and prices.output is not None
    total = prompt_tokens * (prices.input or 0.0) + output * (prices.output or 0.0)
    if prices.prompt_tokens_limit is not None and prompt_tokens > prices.prompt_tokens_limit:
        verified = False
    return total / 1_000_000, verified


class RoutingEngine:
    """Classifier + catalog + policy: decides routes. Safe to share between concurrent requests."""

    def __init__(
        self,
        classifier: Classifier,
        catalog: Catalog,
        policy: Policy,
        *,
        max_prompt_chars: int = 20_000,
        max_prompt_tokens: int = 0,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.classifier = classifier
        self.catalog = catalog
        self.policy = policy
        self.max_prompt_chars = max_prompt_chars
        self.max_prompt_tokens = max_prompt_tokens
        self.today = today
        card = getattr(classifier, "model_card_", None) or {}
        self.classifier_version = str(card.get("version", "unknown"))
        self._classes = [str(c) for c in classifier.classes_]

    def classify(self, text: str) -> Classification:
        """Tier (after the classifier's escalating decision rule), probabilities and score."""
        tier, row = self.classifier.classify(bound_text(text, self.max_prompt_chars))
        raw = {name: float(p) for name, p in zip(self._classes, row, strict=True)}
        probabilities = {name: round(p, 6) for name, p in raw.items()}
        return Classification(str(tier), probabilities, round(complexity_score(raw), 6))

    def decide(
        self,
        text: str,
        *,
        prompt_tokens: int = 0,
        overrides: Overrides | None = None,
        request_id: str | None = None,
        opening: str = "",
    ) -> Decision:
        """Route one request whose classifier text is ``text``.

        ``opening`` is the text of a multi-turn conversation's first user turn
        (:func:`router.conversation.read_context`): unless the client forced a model or a tier,
        its tier picks the model and ``text``'s tier only the thinking setting.
        """
        overrides = overrides or Overrides()
        text = bound_text(text, self.max_prompt_chars)
        found = self.classify(text)
        tier = overrides.tier or found.tier
        pin = ""
        if opening and overrides.model is None and overrides.tier is None:
            pin = self.classify(opening).tier
        named: list[str] = ["tier"] if overrides.tier and overrides.tier != found.tier else []
        wanted = overrides.thinking
        forced_thinking = wanted is not None and (wanted.budget is not None or wanted.level is not None)
        include = wanted.include_thoughts if wanted is not None else None
        routes: tuple[Route, ...]
        if overrides.model is not None:
            routes = (self._forced(tier, overrides, forced_thinking),)
            named.append("model")
            if forced_thinking:
                named.append("thinking")
        else:
            if forced_thinking and wanted is not None:
                self.check_thinking(wanted)
                named.append("thinking")
            routes = self._routed(tier, found.score, overrides, forced_thinking, include, pin)
        model = self.catalog.get(routes[0].model)
        self._check_size(prompt_tokens, model)
        cost, verified = max_cost(model, routes[0].thinking, prompt_tokens, routes[0].max_output_tokens)
        warnings: tuple[str, ...] = ()
        if overrides.model is not None:  # a model the client chose may be retiring: say so
            warnings = tuple(self.catalog.lifecycle_warnings([routes[0].model], self.today()))
        if overrides.max_cost_usd is not None and overrides.model is None and cost > overrides.max_cost_usd:
            routes, cost, verified = self._capped(routes, tier, found.score, overrides, prompt_tokens)
            named.append("cost_cap")
            pin = ""
        return Decision(
            request_id=request_id or new_request_id(),
            tier=routes[0].tier,
            probabilities=found.probabilities,
            score=found.score,
            routes=routes,
            prompt_tokens=prompt_tokens,
            estimated_cost_usd=cost,
            cost_verified=verified,
            classifier_version=self.classifier_version,
            overrides=tuple(named),
            warnings=warnings,
            predicted_tier=found.tier,
            prompt=text,
            opening_tier=pin,
        )

    def check_thinking(self, thinking: Thinking) -> None:
        """Reject (400) a thinking setting that no model in the catalog accepts."""
        if thinking.budget is None and thinking.level is None:
            return
        first: InvalidThinking | None = None
        for info in self.catalog.models.values():
            try:
                validate_thinking(info, thinking)
                return
            except InvalidThinking as exc:
                first = first or exc
        if thinking.budget is not None and thinking.level is None:
            largest = max((m.thinking.budget_max or 0) for m in self.catalog.models.values())
            raise InvalidThinking(
                f"The thinking budget {thinking.budget} is accepted by no model: budgets run from 0 to {largest} "
                "(the range depends on the model), or -1 for dynamic thinking."
            )
        if thinking.level is not None and thinking.budget is None:
            raise InvalidThinking(
                f"Thinking level {thinking.level!r} is accepted by no model; levels are {', '.join(LEVEL_ORDER)}."
            )
        raise first or InvalidThinking("invalid thinking setting")

    # -- helpers -----------------------------------------------------------------------------

    def _check_size(self, prompt_tokens: int, model: ModelInfo) -> None:
        """400 for a prompt over ``max_prompt_tokens`` (0: the routed model's context window)."""
        limit = self.max_prompt_tokens or model.context_window
        if limit and prompt_tokens > limit:
            whose = f"the context window of {model.id}"
            if self.max_prompt_tokens:
                whose = "this router's limit (BUDGET_ROUTER_MAX_PROMPT_TOKENS)"
            raise InvalidRequest(
                f"The prompt is too long: about {prompt_tokens} tokens (estimated from its length), "
                f"more than the {limit} of {whose}."
            )

    def _forced(self, tier: str, overrides: Overrides, forced_thinking: bool) -> Route:
        info = self.catalog.get(overrides.model or "")
        thinking = overrides.thinking or Thinking()
        if forced_thinking:
            validate_thinking(info, thinking)
        return Route(tier, info.id, thinking, overrides.max_output_tokens, ())

    def _routed(
        self,
        tier: str,
        score: float,
        overrides: Overrides,
        forced_thinking: bool,
        include: bool | None,
        pin: str = "",
    ) -> tuple[Route, ...]:
        primary = self.policy.route(tier, score, today=self.today())
        if pin and pin != tier:
            primary = self._pinned(primary, self.policy.route(pin, today=self.today()))
        routes = [primary, *self.policy.fallback_routes(primary)]
        if not forced_thinking and include is None and overrides.max_output_tokens is None:
            return tuple(routes)  # the policy's routes as they are (the common case: nothing to change)
        out = []
        for route in routes:
            thinking = route.thinking
            cap = overrides.max_output_tokens or route.max_output_tokens
            if forced_thinking and overrides.thinking is not None:
                model = self.catalog.get(route.model)
                thinking = self._fit(overrides.thinking, model)
                if overrides.max_output_tokens is None:
                    cap = self._headroom(model, thinking, tier)
            if include is not None:
                thinking = replace(thinking, include_thoughts=include)
            out.append(replace(route, thinking=thinking, max_output_tokens=cap, fallbacks=()))
        return tuple(out)

    def _pinned(self, wanted: Route, opening: Route) -> Route:
        """``wanted`` (the newest turn's route) moved onto the model of the conversation's opening."""
        if wanted.model == opening.model:
            return wanted
        model = self.catalog.get(opening.model)
        thinking = map_thinking(wanted.thinking, model)
        return replace(
            wanted,
            model=model.id,
            thinking=thinking,
            max_output_tokens=self._headroom(model, thinking, wanted.tier),
            fallbacks=opening.fallbacks,
        )

    def _headroom(self, model: ModelInfo, thinking: Thinking, tier: str) -> int:
        """``maxOutputTokens`` for a forced thinking setting: its allowance plus the tier's answer."""
        rule = self.policy.rules.get(tier)
        answer = rule.answer_tokens if rule is not None else DEFAULT_ANSWER_TOKENS.get(tier, 4096)
        headroom = thinking_allowance(model, thinking) + answer
        return min(headroom, model.max_output_tokens) if model.max_output_tokens else headroom

    @staticmethod
    def _fit(thinking: Thinking, model: ModelInfo) -> Thinking:
        """The client's setting where ``model`` accepts it, else its translation."""
        try:
            validate_thinking(model, thinking)
            return thinking
        except InvalidRequest:
            return map_thinking(thinking, model)

    def _capped(
        self, routes: tuple[Route, ...], tier: str, score: float, overrides: Overrides, prompt_tokens: int
    ) -> tuple[tuple[Route, ...], float, bool]:
        """Step down tiers, then shrink the output cap, until the most it can cost fits the cap."""
        cap = overrides.max_cost_usd or 0.0
        include = overrides.thinking.include_thoughts if overrides.thinking else None
        forced = overrides.thinking is not None and (
            overrides.thinking.budget is not None or overrides.thinking.level is not None
        )
        candidate = routes
        for lower in reversed(TIERS[: TIERS.index(tier)]):
            candidate = self._routed(lower, score, overrides, forced, include)
            cost, verified = max_cost(
                self.catalog.get(candidate[0].model),
                candidate[0].thinking,
                prompt_tokens,
                candidate[0].max_output_tokens,
            )
            if cost <= cap:
                return candidate, cost, verified
        first = candidate[0]
        model = self.catalog.get(first.model)
        prices = model.prices
        room = cap * 1_000_000 - prompt_tokens * (prices.input or 0.0)
        tokens = int(room / prices.output) if prices.output else first.max_output_tokens or 0
        if tokens < MIN_CAPPED_OUTPUT_TOKENS:
            least = prompt_tokens * (prices.input or 0.0) + MIN_CAPPED_OUTPUT_TOKENS * (prices.output or 0.0)
            raise InvalidRequest(
                f"the cost cap of {cap} USD cannot be met: the cheapest route ({model.id}) needs at least "
                f"{least / 1e6:.6f} USD for this prompt"
            )
        capped = tuple(replace(r, max_output_tokens=min(r.max_output_tokens or tokens, tokens)) for r in candidate)
        cost, verified = max_cost(model, capped[0].thinking, prompt_tokens, capped[0].max_output_tokens)
        return capped, cost, verified
