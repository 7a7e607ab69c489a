"""Multi-turn conversations through the router with the real google-genai SDK (issue 7): function
calling with automatic calling off, thought signatures returned byte for byte, one model per
conversation under a policy whose tiers use different models (router/conversation.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import types

#: An opening the shipped classifier rates above light (a model that thinks and signs), and a
#: follow-up it rates light: alone, the follow-up would go to another model under tiered-models.
OPENING = "Write a Python function that parses an ISO date, then call get_weather for the city in it."
FOLLOW_UP = "Thanks!"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Current weather in a city",
    parameters_json_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city"],
    },
)


@pytest.fixture(scope="module")
def tiered_router(router_factory: Any) -> Any:
    return router_factory(policy="tiered-models")


@pytest.fixture
def client(tiered_router: Any, clean_fake_gemini: Any) -> Iterator[genai.Client]:
    with genai.Client(api_key="k", http_options=types.HttpOptions(base_url=tiered_router.url)) as client:
        yield client


def _generations(fake: Any) -> list[dict[str, Any]]:
    return [r for r in fake.requests if ":generateContent" in r["path"]]


def _signatures(contents: list[dict[str, Any]]) -> list[bytes]:
    """Every thoughtSignature on a model turn, in order, as bytes.

    The SDK holds signatures as bytes and sends them back in base64's URL-safe alphabet (``-_``
    where the stand-in wrote ``+/``): the same bytes, which is what the API compares."""
    return [
        base64.urlsafe_b64decode(p["thoughtSignature"].replace("+", "-").replace("/", "_"))
        for c in contents
        if c.get("role") == "model"
        for p in c.get("parts", [])
        if "thoughtSignature" in p
    ]


def test_function_calling_conversation_keeps_signatures_and_model(
    client: genai.Client, tiered_router: Any, clean_fake_gemini: Any
) -> None:
    engine = tiered_router.app.state.engine
    opening_model = engine.decide(OPENING).model
    assert engine.decide(FOLLOW_UP).model != opening_model, "the prompts no longer make the point: pick others"
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    chat = client.chats.create(model="auto", config=config)

    first = chat.send_message(OPENING)
    assert first.function_calls and first.function_calls[0].name == "get_weather"
    issued = [
        _signatures([json.loads(r["response"])["candidates"][0]["content"]]) for r in _generations(clean_fake_gemini)
    ]
    assert issued[0], "the stand-in issued no thought signature on the function call"

    second = chat.send_message(
        types.Part.from_function_response(name="get_weather", response={"temp_c": 21, "sky": "clear"})
    )
    assert second.text and "get_weather" in second.text
    third = chat.send_message(FOLLOW_UP)
    assert third.text

    calls = _generations(clean_fake_gemini)
    assert len(calls) == 3
    models = {c["path"].rsplit("/", 1)[1].split(":")[0] for c in calls}
    assert models == {opening_model}  # one model for the whole conversation
    answers = [json.loads(c["response"])["candidates"][0]["content"] for c in calls]
    # every signature the stand-in issued comes back to it, byte for byte, on every later turn
    for turn in (1, 2):
        sent_back = _signatures(calls[turn]["body"]["contents"])
        assert sent_back == [s for answer in answers[:turn] for s in _signatures([answer])]
    assert _signatures(calls[2]["body"]["contents"])[0] == issued[0][0]
    # the function call and its response travel unchanged
    history = calls[1]["body"]["contents"]
    assert history[1]["parts"][-1]["functionCall"] == answers[0]["parts"][-1]["functionCall"]
    assert history[2]["parts"][0]["functionResponse"] == {
        "name": "get_weather",
        "response": {"temp_c": 21, "sky": "clear"},
    }


def test_openai_sdk_tool_exchange_then_json_schema_on_one_model(tiered_router: Any, clean_fake_gemini: Any) -> None:
    from openai import OpenAI

    tool: Any = {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER.parameters_json_schema}}
    schema: Any = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
    messages: list[Any] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": OPENING}]
    with OpenAI(base_url=tiered_router.url + "/v1", api_key="k", max_retries=0, timeout=20) as client:
        first = client.chat.completions.create(model="auto", messages=messages, tools=[tool], n=1, stop=["END"])
        calls_made: Any = first.choices[0].message.tool_calls
        call = calls_made[0]
        assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
        messages += [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp_c": 21})},
        ]
        second = client.chat.completions.create(model="auto", messages=messages, tools=[tool])
        assert second.choices[0].message.content
        messages += [{"role": "assistant", "content": second.choices[0].message.content}]
        messages += [{"role": "user", "content": FOLLOW_UP}]
        third = client.chat.completions.create(
            model="auto",
            messages=messages,
            response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
            max_completion_tokens=20_000,
        )
    assert set(json.loads(third.choices[0].message.content or "")) == {"summary"}
    assert first.model == second.model == third.model  # one model for the conversation
    calls = _generations(clean_fake_gemini)
    assert len(calls) == 3 and calls[0]["body"]["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert calls[0]["body"]["generationConfig"]["stopSequences"] == ["END"]
    last = calls[2]["body"]
    assert last["generationConfig"]["responseJsonSchema"] == schema
    assert last["generationConfig"]["maxOutputTokens"] == 20_000
    assert [c["role"] for c in last["contents"]] == ["user", "model", "user", "model", "user"]


def test_route_endpoint_names_the_model_the_proxy_serves_in_a_conversation(
    tiered_router: Any, clean_fake_gemini: Any
) -> None:
    """`POST /v1/route` applies the same conversation rule as the proxy: for a multi-turn body it
    names the model the opening chose, which is the model the proxy then calls."""
    import httpx

    contents = [
        {"role": "user", "parts": [{"text": OPENING}]},
        {"role": "model", "parts": [{"text": "Here is the function."}]},
        {"role": "user", "parts": [{"text": FOLLOW_UP}]},
    ]
    with httpx.Client(base_url=tiered_router.url, timeout=20) as http:
        decision = http.post("/v1/route", json={"contents": contents}).json()
        alone = http.post("/v1/route", json={"prompt": FOLLOW_UP}).json()
        served = http.post("/v1beta/models/auto:generateContent", json={"contents": contents})
    assert served.status_code == 200
    assert decision["model"] == served.headers["x-router-model"]
    assert decision["model"] != alone["model"]  # the follow-up alone would go elsewhere
