"""The openai SDK pointed at ``<router>/v1`` with model="auto", over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import openai
import pytest
from openai import OpenAI

from router.catalog import Thinking

LIGHT = "Translate 'good morning' into French"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def client(router_server: Any, clean_fake_gemini: Any) -> Iterator[OpenAI]:
    with OpenAI(base_url=router_server.url + "/v1", api_key="k", max_retries=0, timeout=20) as client:
        yield client


def _sent(fake: Any) -> dict[str, Any]:
    calls = [r for r in fake.requests if "Content" in r["path"]]
    assert len(calls) == 1
    return calls[0]


def test_chat_completion(client: OpenAI, clean_fake_gemini: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": LIGHT}],
        max_completion_tokens=500,
        stop=["END"],
        temperature=0.1,
    )
    completion = raw.parse()
    assert completion.choices[0].message.content.startswith("[fake-gemini]")
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    call = _sent(clean_fake_gemini)
    assert raw.headers["x-router-model"] == completion.model == call["path"].rsplit("/", 1)[1].split(":")[0]
    assert raw.headers["x-router-tier"] == "light"
    body = call["body"]
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    config = body["generationConfig"]
    assert config["maxOutputTokens"] == 500 and config["stopSequences"] == ["END"] and config["temperature"] == 0.1
    assert raw.headers["x-router-thinking"] == Thinking.from_config(config.get("thinkingConfig")).header()


def test_chat_completion_streamed(client: OpenAI, clean_fake_gemini: Any) -> None:
    stream = client.chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": LIGHT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("[fake-gemini]")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_reasoning_effort_is_a_thinking_override(client: OpenAI, clean_fake_gemini: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": LIGHT}], reasoning_effort="high"
    )
    assert "thinking" in raw.headers["x-router-overrides"]
    sent = Thinking.from_config(_sent(clean_fake_gemini)["body"]["generationConfig"]["thinkingConfig"])
    assert sent.level == "high" or (sent.budget or 0) >= 8192
    clean_fake_gemini.reset()
    client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": LIGHT}], reasoning_effort="low"
    )
    body = _sent(clean_fake_gemini)["body"]
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 1024}


def test_tool_calling_round_trip(client: OpenAI, clean_fake_gemini: Any) -> None:
    messages: list[Any] = [{"role": "user", "content": "Use get_weather for Paris, please."}]
    first = client.chat.completions.create(model="auto", messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    sent = _sent(clean_fake_gemini)["body"]
    assert sent["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"] == WEATHER_TOOL["function"]["parameters"]
    clean_fake_gemini.reset()
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp_c": 21})},
    ]
    second = client.chat.completions.create(model="auto", messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content
    contents = _sent(clean_fake_gemini)["body"]["contents"]
    assert contents[1]["role"] == "model" and contents[1]["parts"][-1]["functionCall"]["name"] == "get_weather"
    assert contents[2]["parts"][0]["functionResponse"] == {"name": "get_weather", "response": {"temp_c": 21}}


def test_json_schema_response_format(client: OpenAI, clean_fake_gemini: Any) -> None:
    schema = {"type": "object", "properties": {"greeting": {"type": "string"}}, "required": ["greeting"]}
    completion = client.chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": LIGHT}],
        response_format={"type": "json_schema", "json_schema": {"name": "g", "schema": schema}},
    )
    assert "greeting" in json.loads(completion.choices[0].message.content)
    config = _sent(clean_fake_gemini)["body"]["generationConfig"]
    assert config["responseMimeType"] == "application/json" and config["responseJsonSchema"] == schema


def test_stream_cut_raises_in_the_openai_sdk(client: OpenAI, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault({"fault": "cut", "methods": ["streamGenerateContent"]})
    stream = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": LIGHT}], stream=True)
    with pytest.raises(openai.APIError, match="request id"):
        for _ in stream:
            pass


def test_upstream_failure_is_an_openai_error(client: OpenAI, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault("429")
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": LIGHT}])
    assert caught.value.response.headers["x-router-request-id"] in str(caught.value)


def test_one_models_endpoint_serves_both_sdks(client: OpenAI, router_server: Any) -> None:
    """GET /v1/models is OpenAI's models.list and Gemini's (api_version v1) at once."""
    from google import genai
    from google.genai import types

    catalog = router_server.app.state.catalog
    listed = client.models.list().data
    assert [m.id for m in listed] == ["auto", *catalog.models]
    assert {m.object for m in listed} == {"model"} and listed[0].owned_by == "budget-router"
    flash = client.models.retrieve("gemini-2.5-flash")
    released = catalog.get("gemini-2.5-flash").released
    assert flash.owned_by == "google"
    assert datetime.fromtimestamp(flash.created, UTC).date() == released  # the catalog's release date
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")
    for version in ("v1", "v1beta"):
        options = types.HttpOptions(base_url=router_server.url, api_version=version)
        with genai.Client(api_key="k", http_options=options) as gemini:
            names = [m.name for m in gemini.models.list()]
            assert names == [f"models/{m.id}" for m in listed]
            assert gemini.models.get(model="auto").display_name == "budget-router: routed per request"
