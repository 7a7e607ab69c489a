"""Bodies through the router are lossless: what the stand-in receives is the client's body except for
what the router sets, and what the client receives is what the stand-in sent. This also pins the
google-genai API client calls router/upstream.py relies on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from router.catalog import Thinking

RICH = {
    "contents": [
        {"role": "user", "parts": [{"text": "What's the weather in Paris? Use get_weather."}]},
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris", "Unit_X": "c"}},
                    "thoughtSignature": "c2ln+/8=",
                }
            ],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "get_weather", "response": {"tempC": 21, "deep": {"k": 1}}}}],
        },
        {
            "role": "user",
            "parts": [
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/y.pdf"}},
                {"text": "and summarise this"},
            ],
        },
    ],
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "w",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {"city": {"type": "STRING"}, "Unit_X": {"type": "STRING", "enum": ["c", "f"]}},
                        "required": ["city"],
                    },
                }
            ]
        },
        {"codeExecution": {}},
        {"googleSearch": {}},
        {"urlContext": {}},
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
    "labels": {"team": "a"},
    "generationConfig": {
        "temperature": 0.3,
        "topP": 0.9,
        "topK": 20,
        "candidateCount": 1,
        "seed": 7,
        "stopSequences": ["END"],
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.2,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": {"answer_Text": {"type": "string"}}},
        "thinkingConfig": {"includeThoughts": True},
    },
}


@pytest.fixture
def http(router_server: Any, clean_fake_gemini: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=router_server.url, timeout=20) as client:
        yield client


def _received(fake: Any) -> dict[str, Any]:
    calls = [r for r in fake.requests if "Content" in r["path"]]
    assert len(calls) == 1
    return calls[-1]


def _without_ids(payload: Any) -> Any:
    return {k: v for k, v in payload.items() if k != "responseId"} if isinstance(payload, dict) else payload


def test_auto_request_reaches_upstream_unchanged_but_for_routing(http: httpx.Client, clean_fake_gemini: Any) -> None:
    response = http.post("/v1beta/models/auto:generateContent", json=RICH)
    assert response.status_code == 200, response.text
    sent = _received(clean_fake_gemini)["body"]
    expected = json.loads(json.dumps(RICH))
    routed = dict(sent["generationConfig"])
    thinking = Thinking.from_config(routed.pop("thinkingConfig"))
    assert thinking.include_thoughts is True  # the client's, kept
    assert thinking.header() == response.headers["x-router-thinking"]
    assert routed.pop("maxOutputTokens") > 0  # the router's headroom
    expected_config = dict(expected.pop("generationConfig"))
    expected_config.pop("thinkingConfig")
    assert routed == expected_config
    assert {k: v for k, v in sent.items() if k != "generationConfig"} == expected


def test_explicit_model_request_reaches_upstream_unchanged(http: httpx.Client, clean_fake_gemini: Any) -> None:
    body = json.loads(json.dumps(RICH))
    body["generationConfig"]["thinkingConfig"] = {"thinkingBudget": 2048, "includeThoughts": True}
    body["generationConfig"]["maxOutputTokens"] = 5000
    response = http.post("/v1beta/models/gemini-2.5-flash:generateContent", json=body)
    assert response.status_code == 200, response.text
    assert _received(clean_fake_gemini)["body"] == body


def test_response_is_what_upstream_sent(router_server: Any, http: httpx.Client, clean_fake_gemini: Any) -> None:
    body = json.loads(json.dumps(RICH))
    body["generationConfig"]["thinkingConfig"] = {"thinkingBudget": 2048, "includeThoughts": True}
    body["generationConfig"]["maxOutputTokens"] = 5000
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    via_router = http.post(path, json=body)
    with httpx.Client(base_url=clean_fake_gemini.url, timeout=20) as direct_client:
        direct = direct_client.post(path, json=body, headers={"x-goog-api-key": "k"})
    assert via_router.status_code == direct.status_code == 200
    routed, straight = via_router.json(), direct.json()
    assert _without_ids(routed) == _without_ids(straight)
    parts = routed["candidates"][0]["content"]["parts"]
    assert any(p.get("thought") for p in parts) and any("thoughtSignature" in p for p in parts)
    assert via_router.headers["x-router-cost-basis"] == "usage"


def test_streamed_response_is_what_upstream_sent(http: httpx.Client, clean_fake_gemini: Any) -> None:
    body = {
        "contents": RICH["contents"][:1],
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}},
    }
    path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"

    def events(text: str) -> list[Any]:
        return [_without_ids(json.loads(line[6:])) for line in text.splitlines() if line.startswith("data: ")]

    via_router = http.post(path, json=body)
    with httpx.Client(base_url=clean_fake_gemini.url, timeout=20) as direct_client:
        direct = direct_client.post(path, json=body, headers={"x-goog-api-key": "k"})
    assert via_router.headers["content-type"].startswith("text/event-stream")
    assert events(via_router.text) == events(direct.text)
    assert len(events(via_router.text)) > 2


def test_stream_without_alt_sse_is_one_json_array(http: httpx.Client, clean_fake_gemini: Any) -> None:
    response = http.post("/v1beta/models/auto:streamGenerateContent", json={"contents": RICH["contents"][:1]})
    assert response.status_code == 200
    chunks = response.json()
    assert isinstance(chunks, list) and chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_count_tokens_forms(http: httpx.Client, clean_fake_gemini: Any) -> None:
    plain = http.post("/v1beta/models/auto:countTokens", json={"contents": RICH["contents"][:1]})
    nested = http.post(
        "/v1/models/gemini-2.5-flash:countTokens",
        json={"generateContentRequest": {"model": "models/gemini-2.5-flash", "contents": RICH["contents"][:1]}},
    )
    assert plain.status_code == nested.status_code == 200
    assert plain.json()["totalTokens"] == nested.json()["totalTokens"] > 0
    assert plain.headers["x-router-model"]
    clean_fake_gemini.reset()
    routed = http.post(
        "/v1beta/models/auto:countTokens",
        json={"generateContentRequest": {"model": "models/auto", "contents": RICH["contents"][:1]}},
    )
    assert routed.status_code == 200
    sent = clean_fake_gemini.requests[-1]["body"]["generateContentRequest"]["model"]
    assert sent == "models/" + routed.headers["x-router-model"]


# --- golden: every field of issue 7, through model "auto", streamed and not ----------------------

GOLDEN_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "answer_Text": {"type": "STRING"},
        "score": {"type": "INTEGER"},
        "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
    },
    "required": ["answer_Text", "score", "tags"],
    "propertyOrdering": ["answer_Text", "score", "tags"],
}


def _golden(schema_key: str) -> dict[str, Any]:
    body = json.loads(json.dumps(RICH))
    body["cachedContent"] = "cachedContents/golden-123"
    body["labels"] = {"team": "a", "env": "test"}
    config = body["generationConfig"]
    config.pop("responseJsonSchema")
    config[schema_key] = GOLDEN_SCHEMA if schema_key == "responseSchema" else {"type": "object", "required": ["a_B"]}
    return body


def _router_fields_removed(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without what the router sets: thinking budget/level and ``maxOutputTokens``."""
    out = json.loads(json.dumps(body))
    config = out.get("generationConfig", {})
    config.pop("maxOutputTokens", None)
    thinking = {
        k: v for k, v in config.pop("thinkingConfig", {}).items() if k not in ("thinkingBudget", "thinkingLevel")
    }
    if thinking:
        config["thinkingConfig"] = thinking
    return out


def _events(text: str) -> list[Any]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize("schema_key", ["responseSchema", "responseJsonSchema"])
@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_golden_every_field_round_trips(
    http: httpx.Client, clean_fake_gemini: Any, schema_key: str, stream: bool
) -> None:
    body = _golden(schema_key)
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    # a thinking tier, so that the stand-in answers with thought parts and signatures
    response = http.post(f"/v1beta/models/auto:{action}", json=body, headers={"x-router-tier": "advanced"})
    assert response.status_code == 200, response.text
    received = _received(clean_fake_gemini)
    assert received["path"].endswith(f"/models/{response.headers['x-router-model']}:{action.split('?')[0]}")
    # the request: the client's body, but for the fields the router sets
    sent = received["body"]
    assert _router_fields_removed(sent) == _router_fields_removed(body)
    assert (
        Thinking.from_config(sent["generationConfig"]["thinkingConfig"]).header()
        == response.headers["x-router-thinking"]
    )
    assert sent["generationConfig"]["thinkingConfig"]["includeThoughts"] is True
    # the response: what the stand-in sent, responseId and thoughtSignature included
    if stream:
        assert _events(response.text) == _events(received["response"])
        chunks = _events(response.text)
        assert len(chunks) > 1 and chunks[-1]["candidates"][0]["finishReason"] == "STOP"
        parts = [p for c in chunks for p in c["candidates"][0].get("content", {}).get("parts", [])]
    else:
        assert response.json() == json.loads(received["response"])
        assert response.content == received["response"].encode()
        parts = response.json()["candidates"][0]["content"]["parts"]
        assert {"usageMetadata", "modelVersion", "responseId"} <= set(response.json())
    assert any(p.get("thought") for p in parts) and any("thoughtSignature" in p for p in parts)


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_structured_output_is_valid_json(http: httpx.Client, clean_fake_gemini: Any, stream: bool) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "Rate this sentence and tag it: 'the cat sat'."}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseSchema": GOLDEN_SCHEMA},
    }
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    response = http.post(f"/v1beta/models/auto:{action}", json=body)
    assert response.status_code == 200, response.text
    chunks = _events(response.text) if stream else [response.json()]
    text = "".join(
        p["text"]
        for c in chunks
        for p in c["candidates"][0].get("content", {}).get("parts", [])
        if not p.get("thought")
    )
    value = json.loads(text)
    assert isinstance(value, dict) and list(value) == ["answer_Text", "score", "tags"]
    assert isinstance(value["answer_Text"], str) and isinstance(value["score"], int) and isinstance(value["tags"], list)
