"""The google-genai SDK pointed at the router (model="auto"), over real HTTP, the stand-in upstream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import types

from router.catalog import Thinking

LIGHT = "Translate 'good morning' into French"
ADVANCED = (
    "Prove that every planar graph is 5-colourable, then design an O(n log n) divide-and-conquer algorithm "
    "for the closest pair of points and prove its running time with the master theorem."
)


@pytest.fixture
def client(router_server: Any, clean_fake_gemini: Any) -> Iterator[genai.Client]:
    with genai.Client(api_key="k", http_options=types.HttpOptions(base_url=router_server.url)) as client:
        yield client


async def _in_loop(url: str, call: Any) -> Any:
    """Run ``call(aio_client)`` with an async client made and closed in the running loop."""
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=url))
    try:
        async with client.aio as aio:
            return await call(aio)
    finally:
        client.close()


def _upstream(fake: Any) -> dict[str, Any]:
    """The one generation request the stand-in received."""
    calls = [r for r in fake.requests if ":generateContent" in r["path"] or ":streamGenerateContent" in r["path"]]
    assert len(calls) == 1, [r["path"] for r in fake.requests]
    return calls[0]


def _thinking_sent(call: dict[str, Any]) -> Thinking:
    config = call["body"].get("generationConfig", {})
    return Thinking.from_config(config.get("thinkingConfig"))


def _model_sent(call: dict[str, Any]) -> str:
    return call["path"].rsplit("/", 1)[1].split(":")[0]


def _assert_headers_match(headers: Any, call: dict[str, Any]) -> None:
    assert headers["x-router-model"] == _model_sent(call)
    assert headers["x-router-thinking"] == _thinking_sent(call).header()
    assert headers["x-router-tier"] in ("light", "intermediate", "advanced")
    assert len(headers["x-router-request-id"]) == 32
    assert float(headers["x-router-cost-usd"]) >= 0


def test_sync_generate_routes_and_reports_headers(client: genai.Client, clean_fake_gemini: Any) -> None:
    response = client.models.generate_content(model="auto", contents=LIGHT)
    assert response.text.startswith("[fake-gemini]")
    headers = response.sdk_http_response.headers
    call = _upstream(clean_fake_gemini)
    _assert_headers_match(headers, call)
    assert headers["x-router-cost-basis"] == "usage"
    assert response.usage_metadata.prompt_token_count > 0


def test_async_generate(router_server: Any, clean_fake_gemini: Any) -> None:
    async def call(aio: Any) -> types.GenerateContentResponse:
        return await aio.models.generate_content(model="auto", contents=ADVANCED)

    response = asyncio.run(_in_loop(router_server.url, call))
    assert response.text.startswith("[fake-gemini]")
    _assert_headers_match(response.sdk_http_response.headers, _upstream(clean_fake_gemini))


def test_streamed_generate_sync_and_async(router_server: Any, client: genai.Client, clean_fake_gemini: Any) -> None:
    chunks = list(client.models.generate_content_stream(model="auto", contents=LIGHT))
    assert len(chunks) > 1
    assert "".join(c.text or "" for c in chunks).startswith("[fake-gemini]")
    assert chunks[-1].usage_metadata.candidates_token_count > 0
    _assert_headers_match(chunks[0].sdk_http_response.headers, _upstream(clean_fake_gemini))
    clean_fake_gemini.reset()

    async def call(aio: Any) -> list[types.GenerateContentResponse]:
        stream = await aio.models.generate_content_stream(model="auto", contents=LIGHT)
        return [chunk async for chunk in stream]

    chunks = asyncio.run(_in_loop(router_server.url, call))
    assert "".join(c.text or "" for c in chunks).startswith("[fake-gemini]")
    _assert_headers_match(chunks[0].sdk_http_response.headers, _upstream(clean_fake_gemini))


def test_light_and_advanced_prompts_get_their_routes(router_server: Any, clean_fake_gemini: Any) -> None:
    engine = router_server.app.state.engine
    with httpx.Client(base_url=router_server.url, timeout=10) as http:
        for prompt, tier in ((LIGHT, "light"), (ADVANCED, "advanced")):
            clean_fake_gemini.reset()
            decision = http.post("/v1/route", json={"prompt": prompt}).json()
            assert decision["tier"] == tier
            body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
            response = http.post("/v1beta/models/auto:generateContent", json=body)
            assert response.status_code == 200, response.text
            call = _upstream(clean_fake_gemini)
            expected = engine.policy.route(tier, decision["score"], today=engine.today())
            assert response.headers["x-router-tier"] == tier
            assert _model_sent(call) == expected.model
            assert _thinking_sent(call) == expected.thinking
            assert call["body"]["generationConfig"]["maxOutputTokens"] == expected.max_output_tokens
            _assert_headers_match(response.headers, call)


def test_explicit_model_and_thinking_pass_through(client: genai.Client, clean_fake_gemini: Any) -> None:
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(thinking_budget=777, include_thoughts=True),
        max_output_tokens=3000,
        temperature=0.2,
    )
    response = client.models.generate_content(model="gemini-2.5-flash-lite", contents=ADVANCED, config=config)
    call = _upstream(clean_fake_gemini)
    assert _model_sent(call) == "gemini-2.5-flash-lite"
    sent = call["body"]["generationConfig"]
    assert Thinking.from_config(sent["thinkingConfig"]) == Thinking(budget=777, include_thoughts=True)
    assert sent["maxOutputTokens"] == 3000 and sent["temperature"] == 0.2
    headers = response.sdk_http_response.headers
    assert headers["x-router-model"] == "gemini-2.5-flash-lite"
    assert headers["x-router-thinking"] == "budget=777"
    assert headers["x-router-overrides"] == "model,thinking"


def test_auto_keeps_a_client_thinking_setting_the_model_accepts(client: genai.Client, clean_fake_gemini: Any) -> None:
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=2000))
    response = client.models.generate_content(model="auto", contents=LIGHT, config=config)
    call = _upstream(clean_fake_gemini)
    headers = response.sdk_http_response.headers
    assert "thinking" in headers["x-router-overrides"].split(",")
    assert headers["x-router-thinking"] == _thinking_sent(call).header()
    if _model_sent(call).startswith("gemini-2.5"):  # a budget model: the budget goes as sent
        assert _thinking_sent(call).budget == 2000


def test_count_tokens_and_models(client: genai.Client, clean_fake_gemini: Any) -> None:
    counted = client.models.count_tokens(model="auto", contents=LIGHT)
    assert counted.total_tokens > 0
    names = [m.name for m in client.models.list()]
    assert names[0] == "models/auto" and "models/gemini-2.5-flash" in names
    assert client.models.get(model="auto").name == "models/auto"


def test_v1beta_and_v1_both_served(router_server: Any, clean_fake_gemini: Any) -> None:
    for version in ("v1", "v1beta"):
        options = types.HttpOptions(base_url=router_server.url, api_version=version)
        with genai.Client(api_key="k", http_options=options) as client:
            client.models.generate_content(model="auto", contents=LIGHT)
    paths = [r["path"] for r in clean_fake_gemini.requests]
    assert [p.split("/")[1] for p in paths] == ["v1", "v1beta"]


def test_metrics_count_tier_model_tokens_and_cost(client: genai.Client, router_server: Any) -> None:
    response = client.models.generate_content(model="auto", contents=LIGHT)
    model = response.sdk_http_response.headers["x-router-model"]
    text = httpx.get(router_server.url + "/metrics").text
    assert (
        f'budget_router_requests_total{{endpoint="generateContent",model="{model}",status="200",tier="light"}}' in text
    )
    assert f'budget_router_tokens_total{{kind="candidates",model="{model}"}}' in text
    assert f'budget_router_cost_usd_total{{model="{model}"}}' in text
    assert f'budget_router_upstream_latency_seconds_count{{model="{model}",outcome="ok"}}' in text
