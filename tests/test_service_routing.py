"""The routing core (router.routing) and request shaping (router.upstream.request_for), offline."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.catalog import Catalog, Thinking, validate_thinking
from router.errors import InvalidRequest, InvalidThinking, UnknownModel
from router.policy import PRESETS, TIERS, Route, load_policy
from router.prompt import bound_text, estimate_prompt_tokens, prompt_text
from router.routing import Overrides, RoutingEngine, max_cost
from router.upstream import request_for

TODAY = date(2026, 11, 22)
CATALOG = Catalog.load()


class StubClassifier:
    """Probabilities by keyword: "hard" -> advanced, "medium" -> intermediate, else light."""

    class _ArgMax:
        @staticmethod
        def decide(proba: np.ndarray) -> np.ndarray:
            return np.asarray(proba.argmax(axis=1))

    def __init__(self) -> None:
        self.classes_ = np.asarray(TIERS, dtype=object)
        self.model_card_ = {"version": "stub-1"}
        self.thresholds_ = self._ArgMax()

    def classify(self, text: str) -> tuple[str, np.ndarray]:
        """The :class:`router.routing.Classifier` call: one prompt's tier and probabilities."""
        proba = self.predict_proba([text])
        return str(self.classes_[int(self.thresholds_.decide(proba)[0])]), proba[0]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            if "hard" in text:
                rows.append([0.05, 0.15, 0.8])
            elif "medium" in text:
                rows.append([0.1, 0.8, 0.1])
            else:
                rows.append([0.9, 0.08, 0.02])
        return np.asarray(rows)


def engine(policy: str = "flash-budget", today: date = TODAY) -> RoutingEngine:
    return RoutingEngine(StubClassifier(), CATALOG, load_policy(policy, CATALOG), today=lambda: today)


def test_prompt_text_reads_the_newest_user_turn_with_text() -> None:
    contents = [
        {"role": "user", "parts": [{"text": "first question"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
        {"role": "user", "parts": [{"text": "second"}, {"inlineData": {"mimeType": "image/png", "data": "AA=="}}]},
        {"role": "model", "parts": [{"text": "answer"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
    ]
    assert prompt_text(contents, 1000) == "second"
    assert prompt_text([{"parts": [{"text": "a"}, {"text": "b"}]}], 1000) == "a\nb"
    assert prompt_text("plain", 1000) == "plain"
    assert prompt_text([{"role": "model", "parts": [{"text": "x"}]}], 1000) == ""
    assert prompt_text(None, 1000) == ""


def test_long_prompts_keep_head_and_tail() -> None:
    text = "H" * 5000 + "T" * 5000
    bounded = bound_text(text, 1000)
    assert len(bounded) == 1000 and bounded.startswith("H" * 700) and bounded.endswith("T" * 250)
    assert bound_text("short", 1000) == "short"


def test_token_estimate_counts_text_and_media() -> None:
    body = {
        "systemInstruction": {"parts": [{"text": "x" * 40}]},
        "contents": [{"parts": [{"text": "y" * 40}, {"inlineData": {"data": "AA=="}}]}],
    }
    assert estimate_prompt_tokens(body) == 20 + 258


@pytest.mark.parametrize(
    ("prompt", "tier"), [("say hi", "light"), ("a medium one", "intermediate"), ("hard", "advanced")]
)
def test_tiers_route_as_the_policy_says(prompt: str, tier: str) -> None:
    e = engine()
    decision = e.decide(prompt, prompt_tokens=10)
    expected = e.policy.route(tier, decision.score, today=TODAY)
    assert decision.tier == tier and decision.overrides == ()
    assert (decision.model, decision.thinking, decision.max_output_tokens) == (
        expected.model,
        expected.thinking,
        expected.max_output_tokens,
    )
    assert decision.fallbacks == expected.fallbacks
    assert decision.classifier_version == "stub-1"
    assert decision.probabilities["light"] + decision.probabilities["intermediate"] + decision.probabilities[
        "advanced"
    ] == pytest.approx(1.0)


def test_after_shutdown_the_successor_serves() -> None:
    decision = engine(today=date(2026, 12, 2)).decide("say hi")
    assert decision.model != "gemini-2.5-flash"
    validate_thinking(CATALOG.get(decision.model), decision.thinking)


def test_a_retiring_forced_model_is_served_with_a_warning() -> None:
    decision = engine().decide("say hi", overrides=Overrides(model="gemini-2.5-flash"))
    assert decision.model == "gemini-2.5-flash"  # passed through as asked
    assert "shuts down on 2026-12-01" in decision.headers()["x-router-warning"]
    assert engine().decide("say hi", overrides=Overrides(model="gemini-2.5-flash-lite")).warnings == ()


def test_forced_tier_is_an_override() -> None:
    decision = engine().decide("say hi", overrides=Overrides(tier="advanced"))
    assert decision.tier == "advanced" and decision.overrides == ("tier",)


def test_forced_model_passes_through_with_its_thinking() -> None:
    e = engine()
    thinking = Thinking(budget=777, include_thoughts=True)
    decision = e.decide("hard", overrides=Overrides(model="gemini-2.5-flash-lite", thinking=thinking))
    assert decision.tier == "advanced"  # still predicted and reported
    assert decision.model == "gemini-2.5-flash-lite" and decision.thinking == thinking
    assert decision.fallbacks == () and decision.overrides == ("model", "thinking")
    assert decision.max_output_tokens is None  # the client's (none): nothing added
    with pytest.raises(InvalidThinking, match="Budget 0 is invalid"):
        e.decide("x", overrides=Overrides(model="gemini-2.5-pro", thinking=Thinking(budget=0)))
    with pytest.raises(UnknownModel, match="Did you mean"):
        e.decide("x", overrides=Overrides(model="gemini-2.5-flsh"))


def test_forced_thinking_on_auto_is_kept_or_translated() -> None:
    e = engine()
    kept = e.decide("say hi", overrides=Overrides(thinking=Thinking(budget=3000)))
    assert kept.model == "gemini-2.5-flash" and kept.thinking == Thinking(budget=3000)
    assert kept.max_output_tokens == 3000 + PRESETS["flash-budget"]["tiers"]["light"]["answer_tokens"]
    assert "thinking" in kept.overrides
    mapped = e.decide("say hi", overrides=Overrides(thinking=Thinking(level="high")))
    assert mapped.thinking == Thinking(budget=24576)  # a budget model: high -> 24576
    for route in mapped.routes:
        validate_thinking(CATALOG.get(route.model), route.thinking)
    with pytest.raises(InvalidThinking, match="accepted by no model"):
        e.decide("say hi", overrides=Overrides(thinking=Thinking(budget=10**6)))


def test_include_thoughts_travels_with_the_routed_setting() -> None:
    decision = engine().decide("hard", overrides=Overrides(thinking=Thinking(include_thoughts=True)))
    assert decision.overrides == ()
    assert all(r.thinking.include_thoughts for r in decision.routes)


def test_cost_cap_steps_down_then_shrinks_the_output() -> None:
    e = engine()
    advanced = e.decide("hard", prompt_tokens=100)
    light = e.decide("say hi", prompt_tokens=100)
    capped = e.decide("hard", prompt_tokens=100, overrides=Overrides(max_cost_usd=light.estimated_cost_usd))
    assert capped.tier == "light" and "cost_cap" in capped.overrides
    assert capped.estimated_cost_usd <= light.estimated_cost_usd < advanced.estimated_cost_usd
    tight = e.decide("hard", prompt_tokens=100, overrides=Overrides(max_cost_usd=light.estimated_cost_usd / 4))
    assert tight.max_output_tokens is not None and tight.max_output_tokens < light.max_output_tokens
    assert tight.estimated_cost_usd <= light.estimated_cost_usd / 4
    with pytest.raises(InvalidRequest, match="cannot be met"):
        e.decide("hard", prompt_tokens=100, overrides=Overrides(max_cost_usd=1e-9))


def test_max_cost_is_prompt_at_input_plus_cap_at_output_price() -> None:
    model = CATALOG.get("gemini-2.5-flash")
    cost, verified = max_cost(model, Thinking(budget=0), 1000, 2000)
    assert cost == pytest.approx((1000 * model.prices.input + 2000 * model.prices.output) / 1e6)
    assert verified == model.prices.verified


def test_overrides_are_validated() -> None:
    with pytest.raises(InvalidRequest, match="tier"):
        Overrides(tier="huge")
    with pytest.raises(InvalidRequest, match="cost cap"):
        Overrides(max_cost_usd=0)
    with pytest.raises(InvalidRequest, match="maxOutputTokens"):
        Overrides(max_output_tokens=0)


def test_headers_and_json() -> None:
    decision = engine().decide("say hi", request_id="abc")
    headers = decision.headers()
    assert headers["x-router-request-id"] == "abc" and headers["x-router-tier"] == "light"
    assert headers["x-router-thinking"] == decision.thinking.header()
    assert headers["x-router-cost-basis"] == "estimate"
    served = decision.routes[1]
    assert decision.headers(served, 0.0123)["x-router-model"] == served.model
    assert decision.headers(served, 0.0123)["x-router-cost-usd"] == "0.012300"
    out = decision.to_json()
    assert set(out) >= {
        "tier",
        "probabilities",
        "score",
        "model",
        "thinking",
        "estimated_cost_usd",
        "classifier_version",
    }


def test_the_engine_matches_the_classifier_it_wraps(router_model_path: Any) -> None:
    from classifier import TierClassifier

    clf = TierClassifier.load(router_model_path)
    e = RoutingEngine(clf, CATALOG, load_policy("flash-budget", CATALOG))
    for text in ("Translate 'good morning' into French", "Prove that sqrt(2) is irrational."):
        found = e.classify(text)
        assert found.tier == clf.predict([text])[0]
        assert found.score == pytest.approx(float(clf.complexity_score([text])[0]), abs=1e-5)


_thinkings = st.builds(
    Thinking,
    budget=st.none() | st.sampled_from([-1, 0, 128, 512, 1024, 3000, 8192, 24576, 32768]),
    level=st.none() | st.sampled_from(["minimal", "low", "medium", "high"]),
    include_thoughts=st.none() | st.booleans(),
).filter(lambda t: t.budget is None or t.level is None)


@settings(max_examples=200, deadline=None)
@given(
    prompt=st.sampled_from(["say hi", "a medium one", "hard"]),
    policy=st.sampled_from(sorted(PRESETS)),
    day=st.dates(min_value=date(2026, 11, 1), max_value=date(2027, 12, 31)),
    thinking=st.none() | _thinkings,
    tier=st.none() | st.sampled_from(TIERS),
)
def test_routed_settings_are_always_valid(
    prompt: str, policy: str, day: date, thinking: Thinking | None, tier: str | None
) -> None:
    decision = engine(policy, day).decide(prompt, overrides=Overrides(tier=tier, thinking=thinking))
    for route in decision.routes:
        info = CATALOG.get(route.model)
        assert info.shutdown is None or info.shutdown > day
        validate_thinking(info, route.thinking)
        assert route.max_output_tokens is None or route.max_output_tokens <= (info.max_output_tokens or 10**9)


# --- request_for: what the router changes in a body --------------------------------------------

ROUTE = Route("light", "gemini-2.5-flash", Thinking(budget=0), 2048, ())


def test_request_for_changes_only_thinking_and_cap() -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "tools": [{"googleSearch": {}}],
        "generationConfig": {
            "temperature": 0.3,
            "thinkingConfig": {"thinkingLevel": "high", "includeThoughts": True},
        },
    }
    before = copy.deepcopy(body)
    sent = request_for(body, ROUTE)
    assert body == before  # the client's body is not modified
    assert sent["contents"] is body["contents"] and sent["tools"] is body["tools"]
    assert sent["generationConfig"] == {
        "temperature": 0.3,
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 0},
        "maxOutputTokens": 2048,
    }


def test_request_for_keeps_the_clients_spelling() -> None:
    body = {"contents": [], "generation_config": {"thinking_config": {"thinking_budget": 5}, "max_output_tokens": 9}}
    sent = request_for(body, Route("light", "m", Thinking(budget=0), 9, ()))
    assert sent == {
        "contents": [],
        "generation_config": {"thinking_config": {"thinkingBudget": 0}, "max_output_tokens": 9},
    }
    bare = request_for({"contents": []}, Route("light", "m", Thinking(), None, ()))
    assert bare == {"contents": []}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@given(
    body=st.dictionaries(st.text(max_size=12), _json, max_size=6), config=st.dictionaries(st.text(max_size=12), _json)
)
def test_request_for_leaves_every_other_field_alone(body: dict[str, Any], config: dict[str, Any]) -> None:
    body = {**body, "generationConfig": config}
    sent = request_for(body, ROUTE)
    assert {k: v for k, v in sent.items() if k != "generationConfig"} == {
        k: v for k, v in body.items() if k != "generationConfig"
    }
    changed = {"thinkingConfig", "maxOutputTokens"}
    assert {k: v for k, v in sent["generationConfig"].items() if k not in changed} == {
        k: v for k, v in config.items() if k not in changed
    }


def test_a_decision_keeps_the_classifiers_own_tier_and_the_text_it_read() -> None:
    e = RoutingEngine(StubClassifier(), CATALOG, load_policy("flash-budget", CATALOG), max_prompt_chars=100)
    routed = e.decide("say hi")
    assert routed.predicted_tier == routed.tier == "light" and routed.prompt == "say hi"
    forced = e.decide("say hi", overrides=Overrides(tier="advanced"))
    assert forced.predicted_tier == "light" and forced.tier == "advanced" and forced.overrides == ("tier",)
    long = e.decide("hard " + "x" * 500)
    assert long.prompt == bound_text("hard " + "x" * 500, 100) and long.predicted_tier == "advanced"
    assert "prompt" not in long.to_json() and "say hi" not in repr(routed)
