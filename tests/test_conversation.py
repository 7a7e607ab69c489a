"""The conversation rule (router/conversation.py): bounded context signals, and one model per
conversation (the opening turn's tier picks the model, the newest turn's the thinking)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from router.catalog import Catalog, validate_thinking
from router.conversation import SCAN_TURNS, Context, read_context
from router.policy import TIERS, load_policy
from router.prompt import prompt_text
from router.routing import Overrides, RoutingEngine

TODAY = date(2026, 11, 22)
CATALOG = Catalog.load()


class CountingClassifier:
    """ "hard" -> advanced, "medium" -> intermediate, else light; remembers every text it read."""

    def __init__(self) -> None:
        self.classes_ = np.asarray(TIERS, dtype=object)
        self.model_card_ = {"version": "stub-conversation"}
        self.read: list[str] = []

    def classify(self, text: str) -> tuple[str, np.ndarray]:
        self.read.append(text)
        row = [0.05, 0.15, 0.8] if "hard" in text else [0.1, 0.8, 0.1] if "medium" in text else [0.9, 0.08, 0.02]
        return TIERS[int(np.argmax(row))], np.asarray(row)


def engine(policy: str = "tiered-models", limit: int = 20_000) -> tuple[RoutingEngine, CountingClassifier]:
    clf = CountingClassifier()
    return RoutingEngine(clf, CATALOG, load_policy(policy, CATALOG), max_prompt_chars=limit, today=lambda: TODAY), clf


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def model_turn(text: str, signature: str | None = "c2ln") -> dict[str, Any]:
    part: dict[str, Any] = {"text": text}
    if signature:
        part["thoughtSignature"] = signature
    return {"role": "model", "parts": [part]}


def route(e: RoutingEngine, body: dict[str, Any], overrides: Overrides | None = None) -> Any:
    text = prompt_text(body["contents"], e.max_prompt_chars)
    opening = read_context(body, e.max_prompt_chars).opening
    return e.decide(text, overrides=overrides, opening=opening)


def test_context_signals() -> None:
    body = {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            user("medium: plan a trip"),
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "c2ln"}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"ok": 1}}}]},
            model_turn("```python\nprint(1)\n```", None),
            user("thanks"),
        ],
    }
    ctx = read_context(body, 100)
    assert ctx == Context(
        turns=5,
        user_turns=3,
        tool_results=True,
        code=True,
        system_chars=9,
        signatures=True,
        opening="medium: plan a trip",
    )
    assert ctx.to_json()["opening_chars"] == len("medium: plan a trip")


def test_single_turn_has_no_opening_and_routes_as_before() -> None:
    e, clf = engine()
    body = {"contents": [user("hard question")]}
    assert read_context(body, 100) == Context(turns=1, user_turns=1)
    decision = route(e, body)
    assert decision.opening_tier == "" and "x-router-conversation-tier" not in decision.headers()
    assert decision.route == e.decide("hard question").route
    assert clf.read == ["hard question", "hard question"]  # one classification per decision


def test_signatures_in_user_turns_or_old_code_are_not_counted() -> None:
    old_code = [user("```x```"), *[user(f"turn {i}") for i in range(SCAN_TURNS)]]
    ctx = read_context({"contents": old_code}, 100)
    assert not ctx.code and not ctx.signatures
    ctx = read_context({"contents": [{"role": "user", "parts": [{"text": "a", "thoughtSignature": "x"}]}]}, 100)
    assert not ctx.signatures


def test_the_model_stays_fixed_across_turns_and_only_thinking_follows_the_newest_turn() -> None:
    e, _ = engine()
    history: list[dict[str, Any]] = [user("hard: prove the lemma")]
    first = route(e, {"contents": history})
    assert first.model == "gemini-3.1-pro-preview" and first.tier == "advanced"
    seen = {first.model}
    thinking = {first.thinking}
    for follow_up in ("thanks", "medium: now a summary", "ok", "hard again"):
        history += [model_turn("answer"), user(follow_up)]
        decision = route(e, {"contents": history})
        seen.add(decision.model)
        thinking.add(decision.thinking)
        assert decision.opening_tier == "advanced"
        assert decision.headers()["x-router-conversation-tier"] == "advanced"
        validate_thinking(CATALOG.get(decision.model), decision.thinking)  # mapped to what the model accepts
        assert decision.max_output_tokens and decision.max_output_tokens <= (
            CATALOG.get(decision.model).max_output_tokens or 10**9
        )
    assert seen == {"gemini-3.1-pro-preview"}
    assert len(thinking) > 1  # the thinking setting did follow the newest turn
    light_alone = e.decide("thanks")
    assert light_alone.model != "gemini-3.1-pro-preview"  # without the rule it would have bounced


def test_fallbacks_are_the_opening_routes() -> None:
    e, _ = engine()
    decision = route(e, {"contents": [user("hard: prove it"), model_turn("a"), user("thanks")]})
    opening = e.decide("hard: prove it")
    assert decision.fallbacks == opening.fallbacks
    for r in decision.routes:
        validate_thinking(CATALOG.get(r.model), r.thinking)


def test_explicit_choices_win_over_the_conversation_rule() -> None:
    e, _ = engine()
    body = {"contents": [user("hard: prove it"), model_turn("a"), user("thanks")]}
    forced_tier = route(e, body, Overrides(tier="light"))
    assert forced_tier.model == e.decide("x", overrides=Overrides(tier="light")).model
    assert forced_tier.opening_tier == ""
    forced_model = route(e, body, Overrides(model="gemini-2.5-flash"))
    assert forced_model.model == "gemini-2.5-flash" and forced_model.opening_tier == ""


def test_one_model_policies_are_unchanged() -> None:
    e, _ = engine("flash-budget")
    body = {"contents": [user("hard: prove it"), model_turn("a"), user("thanks")]}
    assert route(e, body).routes == e.decide("thanks").routes


@settings(max_examples=25, deadline=None)
@given(turns=st.integers(min_value=1, max_value=400), size=st.integers(min_value=1, max_value=5000))
def test_classifier_reads_at_most_two_bounded_texts(turns: int, size: int) -> None:
    limit = 300
    e, clf = engine(limit=limit)
    history: list[dict[str, Any]] = []
    for i in range(turns):
        history += [user(("medium " if i == 0 else "hard ") + "x" * size), model_turn("y" * size)]
    history.append(user("z" * size))
    route(e, {"contents": history})
    assert len(clf.read) <= 2 and all(len(t) <= limit for t in clf.read)
