"""The offline Gemini stand-in, driven by the real google-genai SDK over real HTTP."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from google import genai
from google.genai import errors, types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from router.catalog import Catalog, Thinking, validate_thinking
from router.cli import main
from router.errors import InvalidThinking
from router.fake_gemini import (
    FakeGeminiOptions,
    FaultBook,
    FaultSpecError,
    create_app,
    fault_from_json,
    parse_faults,
)
from router.fake_gemini._generate import difficulty
from router.fake_gemini._schema import instance

HARD = (
    "Prove that for every integer n >= 1, sum_{k=1}^{n} k^3 = (n(n+1)/2)^2, step by step, "
    "then implement an O(n) algorithm that checks it for n <= 10^6 and derive its complexity."
)
EASY = "Translate 'good morning' into French."

# google-genai 3.x talks through httpx2 (pydantic's fork of httpx) when it is installed, else httpx,
# and its async client through aiohttp when that is installed (a cut stream: ClientPayloadError):
# a dropped connection surfaces as any one's transport error.
try:
    import httpx2

    DROPPED: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError, aiohttp.ClientError)
except ImportError:  # pragma: no cover
    DROPPED = (httpx.TransportError, aiohttp.ClientError)


def _client(url: str, api_version: str | None = None) -> genai.Client:
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=url, api_version=api_version))


@pytest.fixture
def fake(clean_fake_gemini: Any) -> Any:
    return clean_fake_gemini


@pytest.fixture
def client(fake: Any) -> Iterator[genai.Client]:
    with _client(fake.url) as c:
        yield c


def _config(**kwargs: Any) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(**kwargs)


def _thinking(budget: int | None = None, level: str | None = None, include: bool | None = None):
    return _config(
        thinking_config=types.ThinkingConfig(thinking_budget=budget, thinking_level=level, include_thoughts=include)
    )


def _faulty(spec: str, key: str | None = None) -> types.GenerateContentConfig:
    headers = {"x-fake-fault": spec}
    if key:
        headers["x-fake-fault-key"] = key
    return _config(http_options=types.HttpOptions(headers=headers))


# --- the SDK's calls -----------------------------------------------------------------------------


@pytest.mark.parametrize("api_version", ["v1beta", "v1"])
def test_generate_content(fake: Any, api_version: str) -> None:
    with _client(fake.url, api_version) as c:
        r = c.models.generate_content(model="gemini-2.5-flash", contents=EASY)
    assert r.text is not None and r.text.startswith("[fake-gemini]")
    assert "gemini-2.5-flash" in r.text
    usage = r.usage_metadata
    assert usage is not None
    assert usage.prompt_token_count == (len(EASY) + 3) // 4
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + (usage.thoughts_token_count or 0)
    )
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.model_version == "gemini-2.5-flash"
    assert r.response_id
    (recorded,) = fake.requests
    assert recorded["path"] == f"/{api_version}/models/gemini-2.5-flash:generateContent"
    assert recorded["body"]["contents"][0]["parts"][0]["text"] == EASY
    assert recorded["has_api_key"] is True
    assert "x-goog-api-key" not in recorded["headers"]
    assert recorded["status"] == 200


def test_generate_content_async(fake: Any) -> None:
    async def go() -> types.GenerateContentResponse:
        c = _client(fake.url)
        try:
            return await c.aio.models.generate_content(model="gemini-3.6-flash", contents=HARD)
        finally:
            await c.aio.aclose()
            c.close()

    r = asyncio.run(go())
    assert r.text is not None and r.text.startswith("[fake-gemini]")
    assert r.usage_metadata is not None and r.usage_metadata.thoughts_token_count > 0


def test_stream_matches_whole_answer(client: genai.Client) -> None:
    config = _thinking(budget=2048, include=True)
    whole = client.models.generate_content(model="gemini-2.5-flash", contents=HARD, config=config)
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents=HARD, config=config))
    assert len(chunks) >= 3
    assert all(ch.usage_metadata is not None and ch.response_id for ch in chunks)
    assert chunks[0].candidates[0].content.parts[0].thought is True
    assert [ch.candidates[0].finish_reason for ch in chunks][-1] == types.FinishReason.STOP
    assert all(ch.candidates[0].finish_reason is None for ch in chunks[:-1])
    assert "".join(ch.text or "" for ch in chunks) == whole.text
    assert chunks[-1].usage_metadata == whole.usage_metadata


def test_stream_async(fake: Any) -> None:
    async def go() -> list[types.GenerateContentResponse]:
        c = _client(fake.url)
        try:
            stream = await c.aio.models.generate_content_stream(model="gemini-2.5-flash-lite", contents=HARD)
            return [chunk async for chunk in stream]
        finally:
            await c.aio.aclose()
            c.close()

    chunks = asyncio.run(go())
    assert len(chunks) >= 2
    assert "".join(ch.text or "" for ch in chunks).startswith("[fake-gemini]")
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert fake.requests[0]["query"] == {"alt": "sse"}


def test_count_tokens(client: genai.Client) -> None:
    r = client.models.count_tokens(model="gemini-2.5-pro", contents=HARD)
    assert r.total_tokens == (len(HARD) + 3) // 4
    g = client.models.generate_content(model="gemini-2.5-pro", contents=HARD)
    assert g.usage_metadata.prompt_token_count == r.total_tokens


def test_models_list_and_get(client: genai.Client) -> None:
    catalog = Catalog.load()
    names = [m.name for m in client.models.list(config={"page_size": 3})]
    assert names == [f"models/{mid}" for mid in catalog.models]
    model = client.models.get(model="gemini-2.5-flash")
    assert model.name == "models/gemini-2.5-flash"
    assert model.display_name == catalog.get("gemini-2.5-flash").display_name
    assert model.output_token_limit == 65536
    assert "stand-in" in (model.description or "")
    with pytest.raises(errors.ClientError) as info:
        client.models.get(model="gemini-0-nonexistent")
    assert info.value.code == 404 and info.value.status == "NOT_FOUND"


def test_unknown_model_is_404(client: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-9.9-ultra", contents="hi")
    assert info.value.code == 404
    assert info.value.status == "NOT_FOUND"


# --- thinking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "budget", "level"),
    [
        ("gemini-2.5-pro", 0, None),  # cannot be turned off
        ("gemini-2.5-pro", 64, None),  # below 128
        ("gemini-2.5-pro", 40000, None),
        ("gemini-2.5-flash", 24577, None),
        ("gemini-2.5-flash-lite", 100, None),  # 1..511 rejected
        ("gemini-2.5-flash", None, "low"),  # no levels on 2.5
        ("gemini-3.6-flash", 1024, None),  # no budgets on a level model
        ("gemini-3.5-flash", None, "minimal"),  # not one of its levels
        ("gemini-3.6-flash", 1024, "low"),  # both
    ],
)
def test_invalid_thinking_is_400(client: genai.Client, model: str, budget: int | None, level: str | None) -> None:
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=model, contents="hi", config=_thinking(budget, level))
    assert info.value.code == 400
    assert info.value.status == "INVALID_ARGUMENT"
    assert info.value.message


@pytest.mark.parametrize(
    ("model", "budget", "level"),
    [
        ("gemini-2.5-flash", 0, None),
        ("gemini-2.5-flash", -1, None),
        ("gemini-2.5-flash", 24576, None),
        ("gemini-2.5-flash-lite", 512, None),
        ("gemini-2.5-flash-lite", 0, None),
        ("gemini-2.5-pro", 128, None),
        ("gemini-2.5-pro", -1, None),
        ("gemini-3.6-flash", None, "minimal"),
        ("gemini-3.6-flash", None, "HIGH"),
        ("gemini-3.1-pro-preview", None, "low"),
        ("gemini-3.5-flash", None, None),
    ],
)
def test_valid_thinking_passes(client: genai.Client, model: str, budget: int | None, level: str | None) -> None:
    r = client.models.generate_content(model=model, contents=HARD, config=_thinking(budget, level))
    thoughts = r.usage_metadata.thoughts_token_count
    if budget == 0 or level == "minimal":
        assert thoughts is None  # the API leaves zero counts out
    else:
        assert thoughts is not None and thoughts > 0
    if budget is not None and budget > 0:
        assert thoughts <= budget


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=st.sampled_from(["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"]),
    budget=st.one_of(st.integers(-3, 40000), st.sampled_from([-1, 0, 1, 127, 128, 511, 512])),
)
def test_thinking_verdicts_follow_the_catalog(fake_gemini: Any, model: str, budget: int) -> None:
    try:
        validate_thinking(Catalog.load().get(model), Thinking(budget=budget))
        expected = 200
    except InvalidThinking:
        expected = 400
    body = {"contents": [{"parts": [{"text": HARD}]}]}
    body["generationConfig"] = {"thinkingConfig": {"thinkingBudget": budget}}
    r = httpx.post(f"{fake_gemini.url}/v1beta/models/{model}:generateContent", json=body)
    assert r.status_code == expected
    if expected == 200:
        usage = r.json()["usageMetadata"]
        assert usage.get("thoughtsTokenCount", 0) <= max(budget, 0) or budget == -1
        assert usage["totalTokenCount"] == (
            usage["promptTokenCount"] + usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)
        )


def _thoughts(client: genai.Client, model: str, prompt: str, **thinking: Any) -> int:
    r = client.models.generate_content(model=model, contents=prompt, config=_thinking(**thinking))
    return r.usage_metadata.thoughts_token_count or 0


def test_thoughts_grow_with_budget_and_difficulty(client: genai.Client) -> None:
    budgets = [0, 1, 512, 1024, 4096, 8192, 24576]
    hard = [_thoughts(client, "gemini-2.5-flash", HARD, budget=b) for b in budgets]
    easy = [_thoughts(client, "gemini-2.5-flash", EASY, budget=b) for b in budgets]
    assert hard[0] == easy[0] == 0
    assert hard == sorted(set(hard)) and easy == sorted(set(easy))  # strictly increasing
    assert all(t <= b for t, b in zip(hard, budgets, strict=True))
    assert all(e < h for e, h in zip(easy[2:], hard[2:], strict=True))
    assert difficulty(EASY) < difficulty(HARD)
    # dynamic thinking spends more on the harder prompt
    assert _thoughts(client, "gemini-2.5-flash", EASY, budget=-1) < _thoughts(
        client, "gemini-2.5-flash", HARD, budget=-1
    )


def test_thoughts_grow_with_level(client: genai.Client) -> None:
    levels = ["minimal", "low", "medium", "high"]
    spent = [_thoughts(client, "gemini-3.6-flash", HARD, level=lv) for lv in levels]
    assert spent[0] == 0
    assert spent == sorted(set(spent))


def test_include_thoughts_returns_a_thought_part(client: genai.Client) -> None:
    r = client.models.generate_content(
        model="gemini-2.5-flash", contents=HARD, config=_thinking(budget=1024, include=True)
    )
    thought, answer = r.candidates[0].content.parts
    assert thought.thought is True and thought.text.startswith("[fake-gemini]")
    assert not answer.thought and answer.thought_signature
    assert r.text == answer.text
    # the signature is deterministic
    again = client.models.generate_content(
        model="gemini-2.5-flash", contents=HARD, config=_thinking(budget=1024, include=True)
    )
    assert again.candidates[0].content.parts[1].thought_signature == answer.thought_signature


def test_no_thinking_no_thought_part_or_signature(client: genai.Client) -> None:
    r = client.models.generate_content(
        model="gemini-2.5-flash", contents=HARD, config=_thinking(budget=0, include=True)
    )
    (part,) = r.candidates[0].content.parts
    assert not part.thought and part.thought_signature is None
    assert r.usage_metadata.thoughts_token_count is None


def test_max_output_tokens_truncates(client: genai.Client) -> None:
    config = _config(max_output_tokens=300, thinking_config=types.ThinkingConfig(thinking_budget=200))
    r = client.models.generate_content(model="gemini-2.5-flash", contents=HARD, config=config)
    usage = r.usage_metadata
    assert r.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert usage.thoughts_token_count == 200
    assert usage.candidates_token_count == 100
    assert len(r.text) == 400
    # thinking can use up everything: then there is no answer part at all
    config = _config(max_output_tokens=50, thinking_config=types.ThinkingConfig(thinking_budget=512))
    r = client.models.generate_content(model="gemini-2.5-flash", contents=HARD, config=config)
    assert r.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert r.usage_metadata.thoughts_token_count == 50 and r.text is None


def test_determinism(client: genai.Client) -> None:
    def text(model: str, prompt: str, budget: int) -> str:
        r = client.models.generate_content(model=model, contents=prompt, config=_thinking(budget))
        return r.text

    first = text("gemini-2.5-flash", HARD, 1024)
    assert text("gemini-2.5-flash", HARD, 1024) == first
    assert text("gemini-2.5-flash", HARD, 2048) != first
    assert text("gemini-2.5-pro", HARD, 1024) != first
    assert text("gemini-2.5-flash", HARD + "?", 1024) != first


# --- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "error", "status"),
    [
        ("429", errors.ClientError, "RESOURCE_EXHAUSTED"),
        ("500", errors.ServerError, "INTERNAL"),
        ("503", errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_header_faults(client: genai.Client, spec: str, error: type, status: str) -> None:
    with pytest.raises(error) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi", config=_faulty(spec))
    assert info.value.code == int(spec) and info.value.status == status
    with pytest.raises(error):
        list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi", config=_faulty(spec)))


def test_counted_header_fault_is_per_key(client: genai.Client) -> None:
    def call(key: str) -> int:
        try:
            client.models.generate_content(model="gemini-2.5-flash", contents="hi", config=_faulty("429x2", key))
        except errors.APIError as exc:
            return exc.code
        return 200

    assert [call("a"), call("a"), call("b"), call("a"), call("b"), call("b")] == [
        429,
        429,
        429,
        200,
        429,
        200,
    ]


def test_scheduled_faults_by_model(fake: Any, client: genai.Client) -> None:
    r = httpx.post(f"{fake.url}/_fake/faults", json={"fault": "503", "model": "gemini-2.5-pro", "times": 2})
    assert r.status_code == 200
    assert r.json()["faults"][0]["remaining"] == 2
    client.models.generate_content(model="gemini-2.5-flash", contents="hi")  # other model: fine
    for _ in range(2):
        with pytest.raises(errors.ServerError) as info:
            client.models.generate_content(model="gemini-2.5-pro", contents="hi")
        assert info.value.code == 503
    client.models.generate_content(model="gemini-2.5-pro", contents="hi")
    assert [r["status"] for r in fake.requests] == [200, 503, 503, 200]
    assert all(r["body"]["contents"][0]["parts"][0]["text"] == "hi" for r in fake.requests)
    assert httpx.get(f"{fake.url}/_fake/faults").json()["faults"][0]["remaining"] == 0
    # "always" until cleared; count tokens is left alone
    fake.add_fault({"fault": "429", "times": "always"})
    for _ in range(3):
        with pytest.raises(errors.ClientError):
            client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert client.models.count_tokens(model="gemini-2.5-flash", contents="hi").total_tokens == 1
    assert httpx.delete(f"{fake.url}/_fake/faults").status_code == 200
    client.models.generate_content(model="gemini-2.5-flash", contents="hi")


def test_delay_fault(client: genai.Client) -> None:
    start = time.perf_counter()
    client.models.generate_content(model="gemini-2.5-flash", contents="hi", config=_faulty("delay:300"))
    assert time.perf_counter() - start >= 0.3


def test_stream_cut_raises_quickly(client: genai.Client) -> None:
    received: list[types.GenerateContentResponse] = []
    start = time.perf_counter()
    with pytest.raises(DROPPED):
        for chunk in client.models.generate_content_stream(
            model="gemini-2.5-flash", contents=HARD, config=_faulty("cut")
        ):
            received.append(chunk)
    assert time.perf_counter() - start < 5
    assert received and all(ch.candidates[0].finish_reason is None for ch in received)


def test_stream_cut_async_raises_quickly(fake: Any) -> None:
    async def go() -> int:
        c = _client(fake.url)
        seen = 0
        try:
            stream = await c.aio.models.generate_content_stream(
                model="gemini-2.5-flash", contents=HARD, config=_faulty("cut")
            )
            async for _ in stream:
                seen += 1
        finally:
            await c.aio.aclose()
            c.close()
        return seen

    start = time.perf_counter()
    with pytest.raises(DROPPED):
        asyncio.run(asyncio.wait_for(go(), timeout=10))
    assert time.perf_counter() - start < 5


def test_stream_error_event_and_plain_cut(client: genai.Client) -> None:
    received = []
    with pytest.raises(errors.ServerError) as info:
        for chunk in client.models.generate_content_stream(
            model="gemini-2.5-flash", contents=HARD, config=_faulty("cut:503")
        ):
            received.append(chunk)
    assert info.value.code == 503 and received
    with pytest.raises(DROPPED):
        client.models.generate_content(model="gemini-2.5-flash", contents=HARD, config=_faulty("cut"))


def test_fault_syntax() -> None:
    (item,) = parse_faults("503x2@models/gemini-2.5-flash")
    assert (item.kind, item.value, item.times, item.model) == ("error", 503, 2, "gemini-2.5-flash")
    delay, cut = parse_faults("delay:250, cut:429x1")
    assert (delay.kind, delay.value, delay.times) == ("delay", 250, None)
    assert (cut.kind, cut.value, cut.times) == ("cut", 429, 1)
    (rule,) = fault_from_json({"fault": "500", "model": "gemini-2.5-pro", "times": "always"})
    assert rule.describe() == {
        "fault": "500",
        "model": "gemini-2.5-pro",
        "times": "always",
        "methods": ["generateContent", "streamGenerateContent"],
    }
    for bad in ["", "418", "delay", "delay:x", "429x0", "boom", "503@", "cut:1"]:
        with pytest.raises(FaultSpecError):
            parse_faults(bad)
    for bad_rule in [{"fault": "503", "times": 0}, {"fault": "503", "methods": ["x"]}, {"x": 1}]:
        with pytest.raises(FaultSpecError):
            fault_from_json(bad_rule)


def test_bad_fault_requests_are_400(fake: Any, client: genai.Client) -> None:
    assert httpx.post(f"{fake.url}/_fake/faults", json={"fault": "boom"}).status_code == 400
    assert httpx.post(f"{fake.url}/_fake/faults", content=b"{").status_code == 400
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi", config=_faulty("x"))
    assert info.value.code == 400 and "x-fake-fault" in info.value.message


def test_fault_rate_syntax() -> None:
    (item,) = parse_faults("503~5%@models/gemini-2.5-flash")
    assert (item.kind, item.value, item.times, item.rate, item.model) == ("error", 503, None, 5.0, "gemini-2.5-flash")
    cut, delay = parse_faults("cut:429~0.5%, delay:250~10%")
    assert (cut.kind, cut.value, cut.rate) == ("cut", 429, 0.5)
    assert (delay.kind, delay.value, delay.rate) == ("delay", 250, 10.0)
    assert parse_faults("cut~100%")[0].rate == 100.0
    assert item.describe()["rate"] == "5%" and "rate" not in parse_faults("503")[0].describe()
    (rule,) = fault_from_json({"fault": "cut~2%", "methods": ["streamGenerateContent"]})
    assert (rule.rate, rule.methods) == (2.0, ("streamGenerateContent",))
    bad = {
        "503~5": "ending in '%'",
        "503~%": "not a percentage",
        "503~x%": "not a percentage",
        "503~0%": "more than 0%",
        "503~-1%": "more than 0%",
        "503~100.5%": "at most 100%",
        "503~nan%": "more than 0%",
        "503x2~5%": "not both",
        "~5%": "unknown fault",
        "418~5%": "unsupported status",
    }
    for spec, needle in bad.items():
        with pytest.raises(FaultSpecError, match=needle):
            parse_faults(spec)
    with pytest.raises(FaultSpecError, match="takes no 'times'"):
        fault_from_json({"fault": "503~5%", "times": 2})


def _draws(book: FaultBook, n: int, method: str = "generateContent", model: str = "gemini-2.5-flash") -> list[Any]:
    out = []
    for _ in range(n):
        outcome = book.draw(model, method)
        out.append(None if outcome is None else (outcome.kind, outcome.code, outcome.delay_ms))
    return out


def _binomial_bound(n: int, p: float, sigmas: float = 5.0) -> tuple[float, float]:
    spread = sigmas * (n * p * (1 - p)) ** 0.5
    return n * p - spread, n * p + spread


def test_fault_rates_hit_about_their_share_and_replay() -> None:
    spec = "429~1%,500~1%,503~1%,cut~2%"
    book = FaultBook(startup=parse_faults(spec), seed=7)
    n = 2000
    drawn = _draws(book, n)
    hits = [d for d in drawn if d is not None]
    low, high = _binomial_bound(n, 0.05)
    assert low <= len(hits) <= high
    for kind, code, share in (("error", 429, 0.01), ("error", 500, 0.01), ("error", 503, 0.01), ("cut", 0, 0.02)):
        count = sum(1 for d in hits if d[:2] == (kind, code))
        low, high = _binomial_bound(n, share)
        assert low <= count <= high, (kind, code, count)
    assert [entry["used"] for entry in book.describe()] == [
        sum(1 for d in hits if d[:2] == key) for key in (("error", 429), ("error", 500), ("error", 503), ("cut", 0))
    ]
    # the same seed replays the same draws; reset re-seeds; another seed draws otherwise
    assert _draws(FaultBook(startup=parse_faults(spec), seed=7), n) == drawn
    book.reset()
    assert _draws(book, n) == drawn
    assert _draws(FaultBook(startup=parse_faults(spec), seed=8), n) != drawn


def test_fault_rate_holds_among_matching_requests() -> None:
    # slices are taken whether or not an item matches: the 503s for another model leave the
    # 30% of cuts restricted to streams intact, and no request gets both
    book = FaultBook(startup=parse_faults("503~40%@gemini-2.5-pro,cut~30%"), seed=1)
    n = 2000
    flash = _draws(book, n, "streamGenerateContent")
    low, high = _binomial_bound(n, 0.3)
    assert all(d is None or d[0] == "cut" for d in flash) and low <= flash.count(("cut", 0, 0)) <= high
    pro = _draws(book, n, "streamGenerateContent", "gemini-2.5-pro")
    low, high = _binomial_bound(n, 0.4)
    assert low <= pro.count(("error", 503, 0)) <= high
    low, high = _binomial_bound(n, 0.3)
    assert low <= pro.count(("cut", 0, 0)) <= high
    # a delay with a rate draws on its own and adds to an error
    delays = FaultBook(startup=parse_faults("delay:5~50%,503~50%"), seed=3)
    drawn = _draws(delays, n)
    both = sum(1 for d in drawn if d == ("error", 503, 5))
    low, high = _binomial_bound(n, 0.25)
    assert low <= both <= high


def test_start_up_rate_over_http() -> None:
    n, rate = 400, 0.25
    app = create_app(FakeGeminiOptions(faults=parse_faults("503~25%"), seed=11, record_limit=0))
    body = {"contents": [{"parts": [{"text": EASY}]}]}

    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as http:
            path = "/v1beta/models/gemini-2.5-flash:generateContent"
            return [(await http.post(path, json=body)).status_code for _ in range(n)]

    statuses = asyncio.run(go())
    failed = statuses.count(503)
    low, high = _binomial_bound(n, rate)
    assert set(statuses) == {200, 503} and low <= failed <= high
    assert app.faults.describe()[0]["used"] == failed and app.faults.describe()[0]["rate"] == "25%"
    app.reset()  # re-seeded: the same statuses again
    assert asyncio.run(go()) == statuses


# --- tools and structured output -----------------------------------------------------------------

WEATHER = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_weather",
            description="Current weather for a city.",
            parameters=types.Schema(
                type="OBJECT",
                properties={
                    "city": types.Schema(type="STRING"),
                    "unit": types.Schema(type="STRING", enum=["celsius", "fahrenheit"]),
                    "days": types.Schema(type="INTEGER", minimum=1, maximum=7),
                },
                required=["city"],
            ),
        )
    ]
)


def test_function_call(client: genai.Client) -> None:
    config = _config(tools=[WEATHER], thinking_config=types.ThinkingConfig(thinking_budget=512))
    r = client.models.generate_content(
        model="gemini-2.5-flash", contents="Please call get_weather for Paris.", config=config
    )
    (call,) = r.function_calls
    assert call.name == "get_weather"
    assert isinstance(call.args["city"], str) and call.args["unit"] == "celsius"
    assert call.args["days"] == 1
    assert r.candidates[0].content.parts[0].thought_signature
    # no mention of the function: a text answer; mode NONE: never a call
    plain = client.models.generate_content(model="gemini-2.5-flash", contents="Tell me a joke.", config=config)
    assert plain.function_calls is None and plain.text.startswith("[fake-gemini]")
    config_none = _config(
        tools=[WEATHER],
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="NONE")),
    )
    r = client.models.generate_content(model="gemini-2.5-flash", contents="call get_weather", config=config_none)
    assert r.function_calls is None
    # the function's result comes back: a text answer that uses it
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="call get_weather")]),
        r_call := types.Content(
            role="model", parts=[types.Part.from_function_call(name="get_weather", args={"city": "Paris"})]
        ),
        types.Content(
            role="user", parts=[types.Part.from_function_response(name="get_weather", response={"temperature": 21})]
        ),
    ]
    assert r_call.parts
    answer = client.models.generate_content(model="gemini-2.5-flash", contents=history, config=config)
    assert answer.function_calls is None
    assert "get_weather" in answer.text and "21" in answer.text


def test_function_call_from_python_function(client: genai.Client) -> None:
    def convert_currency(amount: float, currency: str) -> float:
        """Convert an amount to a currency."""
        return amount

    config = _config(
        tools=[convert_currency],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")),
    )
    r = client.models.generate_content(model="gemini-3.6-flash", contents="Hello", config=config)
    (call,) = r.function_calls
    assert call.name == "convert_currency"
    assert set(call.args) == {"amount", "currency"}


class Recipe(BaseModel):
    name: str
    servings: int
    vegetarian: bool
    ingredients: list[str]


def test_json_schema_output(client: genai.Client) -> None:
    r = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="A recipe, please.",
        config=_config(response_mime_type="application/json", response_schema=Recipe),
    )
    assert isinstance(r.parsed, Recipe)
    assert len(r.parsed.ingredients) == 1
    schema = {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": ["spam", "ham"]},
            "score": {"type": "number", "minimum": 0.5, "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "when": {"type": "string", "format": "date"},
            "owner": {"$ref": "#/$defs/person"},
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 5}]},
        },
        "required": ["label", "score"],
        "$defs": {"person": {"type": "object", "properties": {"age": {"type": "integer"}}}},
    }
    r = client.models.generate_content(
        model="gemini-3.6-flash",
        contents="Classify.",
        config=_config(response_mime_type="application/json", response_json_schema=schema),
    )
    assert json.loads(r.text) == {
        "label": "spam",
        "score": 0.5,
        "tags": ["[fake-gemini] tags", "[fake-gemini] tags"],
        "when": "2026-01-01",
        "owner": {"age": 0},
        "note": "[fake",
    }


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "INTEGER", "minimum": 3}, 3),
        ({"type": "integer", "exclusiveMaximum": -2}, -3),
        ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, 0.5),
        ({"type": ["null", "boolean"]}, True),
        ({"const": 7}, 7),
        ({"type": "array", "maxItems": 0}, []),
        (
            {"allOf": [{"properties": {"a": {"type": "integer"}}}, {"required": ["b"]}]},
            {"a": 0, "b": "[fake-gemini] b"},
        ),
        ({"type": "object", "properties": {"self": {"$ref": "#"}}}, None),
    ],
)
def test_schema_instances(schema: dict[str, Any], expected: Any) -> None:
    value = instance(schema)
    if expected is None:  # recursive: stops after a few levels
        depth = 0
        while isinstance(value, dict) and value.get("self") is not None:
            value, depth = value["self"], depth + 1
        assert 3 < depth < 20
    else:
        assert value == expected


# --- the REST layer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"not json", "JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", "contents"),
        (b'{"contents": []}', "contents"),
        (b'{"contents": "hi"}', "contents"),
        (b'{"contents": [{"parts": []}]}', "parts"),
        (b'{"contents": [{"parts": [{"text": 5}]}]}', "text"),
        (b'{"contents": [{"parts": [{}]}]}', "data"),
        (b'{"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}', "role"),
        (b'{"contents": [{"parts": [{"text": "x"}]}], "bogus": 1}', "bogus"),
        (b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"temperature": 9}}', "temperature"),
        (
            b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"maxOutputTokens": 0}}',
            "max_output_tokens",
        ),
        (
            b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"thinkingConfig": {"budget": 5}}}',
            "budget",
        ),
        (
            b'{"contents": [{"parts": [{"text": "x"}]}], '
            b'"generationConfig": {"thinkingConfig": {"thinkingBudget": "5"}}}',
            "thinkingBudget",
        ),
        (
            b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"maxOutputTokens": 70000}}',
            "maxOutputTokens",
        ),
    ],
)
def test_malformed_bodies_are_400(fake: Any, body: bytes, needle: str) -> None:
    r = httpx.post(f"{fake.url}/v1beta/models/gemini-2.5-flash:generateContent", content=body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert needle in error["message"]
    assert fake.requests[-1]["status"] == 400


def test_snake_case_keys_are_accepted(fake: Any) -> None:
    body = {
        "system_instruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": HARD}, {"inline_data": {"mime_type": "image/png", "data": "AAAA"}}]}
        ],
        "generation_config": {
            "max_output_tokens": 4000,
            "thinking_config": {"thinking_budget": 1024, "include_thoughts": True},
        },
    }
    r = httpx.post(f"{fake.url}/v1/models/gemini-2.5-flash:generateContent", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    parts = data["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True and "thoughtSignature" in parts[1]
    usage = data["usageMetadata"]
    assert 0 < usage["thoughtsTokenCount"] <= 1024
    assert {"modality": "IMAGE", "tokenCount": 258} in usage["promptTokensDetails"]


def test_stream_without_sse_is_a_json_array(fake: Any) -> None:
    body = {"contents": [{"parts": [{"text": HARD}]}]}
    r = httpx.post(f"{fake.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent", json=body)
    chunks = r.json()
    assert isinstance(chunks, list) and len(chunks) >= 2
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    sse = httpx.post(f"{fake.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", json=body)
    assert sse.headers["content-type"] == "text/event-stream"
    events = [json.loads(e.removeprefix("data: ")) for e in sse.text.split("\r\n\r\n") if e]
    for chunk in [*events, *chunks]:
        assert chunk.pop("responseId").startswith("fake-")
    assert events == chunks


def test_admin_routes(fake: Any, client: genai.Client) -> None:
    client.models.generate_content(model="gemini-2.5-flash", contents="one")
    recorded = httpx.get(f"{fake.url}/_fake/requests").json()["requests"]
    assert [r["body"]["contents"][0]["parts"][0]["text"] for r in recorded] == ["one"]
    assert (
        httpx.post(f"{fake.url}/_fake/faults", json=["429x1", {"fault": "delay:1"}]).json()["faults"][1]["fault"]
        == "delay:1"
    )
    assert httpx.post(f"{fake.url}/_fake/reset").status_code == 200
    assert fake.requests == [] and httpx.get(f"{fake.url}/_fake/faults").json()["faults"] == []
    assert "stand-in" in httpx.get(f"{fake.url}/").json()["note"]
    missing = httpx.get(f"{fake.url}/nope/models")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"


def test_many_concurrent_requests(fake: Any) -> None:
    async def go() -> list[int]:
        async with httpx.AsyncClient(base_url=fake.url) as http:
            body = {"contents": [{"parts": [{"text": HARD}]}]}
            replies = await asyncio.gather(
                *(http.post("/v1beta/models/gemini-2.5-flash:generateContent", json=body) for _ in range(64))
            )
        return [r.status_code for r in replies]

    assert asyncio.run(go()) == [200] * 64


# --- options (in-process) and the command line ---------------------------------------------------


def _asgi_post(app: Any, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as http:
            return await http.post(path, json=body, headers=headers)

    return asyncio.run(go())


def test_options() -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}]}
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    app = create_app(FakeGeminiOptions(latency_ms=200, api_key="secret", record_limit=2))
    start = time.perf_counter()
    assert _asgi_post(app, path, body, **{"x-goog-api-key": "secret"}).status_code == 200
    assert time.perf_counter() - start >= 0.2
    assert _asgi_post(app, path, body, **{"x-goog-api-key": "wrong"}).status_code == 400
    assert _asgi_post(app, path, body).json()["error"]["status"] == "PERMISSION_DENIED"
    assert [r["status"] for r in app.requests] == [400, 403]  # only the last two are kept
    from datetime import date

    retired = create_app(FakeGeminiOptions(today=date(2026, 12, 1), faults=parse_faults("500")))
    assert _asgi_post(retired, path, body).status_code == 500  # faults come first
    retired.faults.clear()
    assert _asgi_post(retired, path, body).status_code == 404
    lite = path.replace("gemini-2.5-flash", "gemini-2.5-flash-lite")
    assert _asgi_post(retired, lite, body).status_code == 200


def test_cli_help_documents_the_stand_in(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fake-gemini", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "no real answers" in out and "x-fake-fault" in out and "cut:CODE" in out
    assert main(["fake-gemini", "--fault", "boom"]) == 2
    assert "--fault" in capsys.readouterr().err
    assert main(["fake-gemini", "--fault", "503~5"]) == 2
    assert "ending in '%'" in capsys.readouterr().err
    assert "~PCT%" in out and "--seed" in out


def test_cli_serves(tmp_path: Any) -> None:
    command = [sys.executable, "-m", "router.cli", "fake-gemini", "--port", "0", "--json"]
    command += ["--fault", "503x1@gemini-2.5-pro", "--log-level", "warning"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            ready = json.loads(proc.stdout.readline())
            assert ready["stand_in"] is True
            with _client(ready["url"]) as c:
                with pytest.raises(errors.ServerError):
                    c.models.generate_content(model="gemini-2.5-pro", contents="hi")
                r = c.models.generate_content(model="gemini-2.5-pro", contents="hi")
                assert r.text.startswith("[fake-gemini]")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert proc.returncode in (0, -15)


# --- any body: a 200 or a 400 in Gemini's error shape, never a crash -----------------------------

_KEYS = [
    "contents", "role", "parts", "text", "inlineData", "inline_data", "data", "mimeType",
    "fileData", "fileUri", "functionCall", "functionResponse", "name", "args", "response",
    "systemInstruction", "generationConfig", "generation_config", "thinkingConfig",
    "thinking_config", "thinkingBudget", "thinking_budget", "thinkingLevel", "includeThoughts",
    "maxOutputTokens", "temperature", "candidateCount", "responseMimeType", "responseSchema",
    "responseJsonSchema", "type", "properties", "items", "enum", "tools",
    "functionDeclarations", "parameters", "toolConfig", "functionCallingConfig", "mode",
    "safetySettings", "thought", "thoughtSignature",
]  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "user", "model", "low", "HIGH", "application/json", "OBJECT", "ANY"]),
    st.text(max_size=30),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)


def _call_app(app: Any, path: str, body: bytes) -> tuple[int, Any]:
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"", "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    return sent[0]["status"], json.loads(payload)


_APP = create_app(FakeGeminiOptions(record_limit=0))
_FUNCTIONS = st.sampled_from(["get_weather", "lookup"])
_PART = st.one_of(
    st.builds(lambda t: {"text": t}, st.text(max_size=200)),
    # a lone surrogate is a valid JSON escape but not valid UTF-8
    st.builds(lambda a, b: {"text": f"{a}\ud800{b}"}, st.text(max_size=20), st.text(max_size=20)),
    st.just({"inlineData": {"mimeType": "image/png", "data": "AAAA"}}),
    st.builds(lambda n, r: {"functionResponse": {"name": n, "response": r}}, _FUNCTIONS, _JSON),
)
_CONTENT = st.fixed_dictionaries(
    {"parts": st.lists(_PART, min_size=1, max_size=3)},
    optional={"role": st.sampled_from(["user", "model"])},
)
_SCHEMA = st.recursive(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "integer", "number", "boolean", "STRING", "null"])},
        optional={
            "enum": st.lists(st.text(max_size=5), min_size=1, max_size=3),
            "minimum": st.integers(-5, 5),
            "maximum": st.integers(-5, 5),
            "maxLength": st.integers(0, 10),
        },
    ),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["object", "OBJECT"])},
            optional={"properties": st.dictionaries(st.text(max_size=5), inner, max_size=3)},
        ),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}, optional={"minItems": st.integers(0, 3)}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=2)}),
    ),
    max_leaves=8,
)
_THINKING_CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "thinkingBudget": st.one_of(st.integers(-2, 40000), st.sampled_from([-1, 0, 512, 1024])),
        "thinking_level": st.sampled_from(["minimal", "low", "medium", "high", "LOW"]),
        "includeThoughts": st.booleans(),
    },
)
_GENERATION_CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "thinkingConfig": _THINKING_CONFIG,
        "maxOutputTokens": st.integers(1, 70000),
        "responseMimeType": st.sampled_from(["application/json", "text/plain"]),
        "responseJsonSchema": _SCHEMA,
        "temperature": st.floats(0, 2),
    },
)
_TOOLS = st.lists(
    st.fixed_dictionaries(
        {
            "functionDeclarations": st.lists(
                st.fixed_dictionaries({"name": _FUNCTIONS}, optional={"parameters": _SCHEMA}),
                max_size=2,
            )
        }
    ),
    max_size=2,
)
_REQUEST = st.fixed_dictionaries(
    {"contents": st.lists(_CONTENT, min_size=1, max_size=3)},
    optional={"generationConfig": _GENERATION_CONFIG, "tools": _TOOLS, "systemInstruction": _CONTENT},
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(_JSON, _REQUEST, _REQUEST),
    model=st.sampled_from(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3.6-flash"]),
    action=st.sampled_from(["generateContent", "countTokens"]),
)
def test_any_body_gets_200_or_400(body: Any, model: str, action: str) -> None:
    status, payload = _call_app(_APP, f"/v1beta/models/{model}:{action}", json.dumps(body).encode())
    assert status in (200, 400)
    if status == 400:
        assert payload["error"]["status"] == "INVALID_ARGUMENT" and payload["error"]["message"]
        return
    if action == "countTokens":
        assert payload["totalTokens"] >= 1
        return
    usage = payload["usageMetadata"]
    thoughts = usage.get("thoughtsTokenCount", 0)
    assert usage["totalTokenCount"] == (usage["promptTokenCount"] + usage.get("candidatesTokenCount", 0) + thoughts)
    config = body.get("generationConfig", {})
    budget = config.get("thinkingConfig", {}).get("thinkingBudget")
    if budget is not None and budget >= 0:
        assert thoughts <= budget
    limit = config.get("maxOutputTokens")
    if limit is not None:
        assert usage.get("candidatesTokenCount", 0) + thoughts <= limit
    (candidate,) = payload["candidates"]
    parts = candidate["content"].get("parts", [])
    if (
        config.get("responseMimeType") == "application/json"
        and candidate["finishReason"] == "STOP"
        and parts
        and "text" in parts[-1]
    ):
        json.loads(parts[-1]["text"])


def test_count_tokens_forms_and_pagination(fake: Any) -> None:
    base = f"{fake.url}/v1beta/models"
    contents = [{"parts": [{"text": "x" * 40}, {"inlineData": {"mimeType": "image/png", "data": "AA"}}]}]
    plain = httpx.post(f"{base}/gemini-2.5-flash:countTokens", json={"contents": contents})
    assert plain.json() == {
        "totalTokens": 10 + 258,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 10},
            {"modality": "IMAGE", "tokenCount": 258},
        ],
    }
    request = {"model": "models/gemini-2.5-flash", "contents": contents}
    wrapped = httpx.post(f"{base}/gemini-2.5-flash:countTokens", json={"generateContentRequest": request})
    assert wrapped.json()["totalTokens"] == 268
    first = httpx.get(base, params={"pageSize": 4, "key": "k"}).json()
    assert len(first["models"]) == 4 and first["nextPageToken"]
    rest = httpx.get(base, params={"pageSize": 100, "pageToken": first["nextPageToken"]}).json()
    assert "nextPageToken" not in rest
    assert len(first["models"]) + len(rest["models"]) == len(Catalog.load().models)
    assert httpx.get(base, params={"pageToken": "bogus"}).status_code == 400
    assert fake.requests[-1]["query"] == {"pageToken": "bogus"}
    assert fake.requests[-3]["has_api_key"] is True  # ?key= counts as a key, is not recorded
    assert fake.requests[-3]["query"] == {"pageSize": "4"}
