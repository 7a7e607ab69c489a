"""Faults injected in the stand-in: retries, fallbacks, cut streams and timeouts, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types

LIGHT = "Translate 'good morning' into French"
BODY = {"contents": [{"role": "user", "parts": [{"text": LIGHT}]}]}
GENERATE = "/v1beta/models/auto:generateContent"
STREAM = "/v1beta/models/auto:streamGenerateContent?alt=sse"


@pytest.fixture
def http(router_server: Any, clean_fake_gemini: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=router_server.url, timeout=20) as client:
        yield client


def _light_route(router_server: Any) -> Any:
    engine = router_server.app.state.engine
    assert engine.classify(LIGHT).tier == "light"
    return engine.policy.route("light", today=engine.today())


def _models_called(fake: Any) -> list[str]:
    return [r["path"].rsplit("/", 1)[1].split(":")[0] for r in fake.requests if "Content" in r["path"]]


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_429_twice_then_success_is_retried(router_server: Any, http: httpx.Client, clean_fake_gemini: Any) -> None:
    route = _light_route(router_server)
    clean_fake_gemini.add_fault("429x2")
    response = http.post(GENERATE, json=BODY)
    assert response.status_code == 200, response.text
    assert response.headers["x-router-model"] == route.model
    assert _models_called(clean_fake_gemini) == [route.model] * 3
    assert [r["status"] for r in clean_fake_gemini.requests] == [429, 429, 200]


def test_503_on_the_primary_is_served_by_the_fallback(
    router_server: Any, http: httpx.Client, clean_fake_gemini: Any
) -> None:
    route = _light_route(router_server)
    fallback = route.fallbacks[0]
    clean_fake_gemini.add_fault({"fault": "503", "model": route.model, "times": "always"})
    for path in (GENERATE, STREAM):
        response = http.post(path, json=BODY)
        assert response.status_code == 200, response.text
        assert response.headers["x-router-model"] == fallback
        retries = router_server.app.state.settings.max_retries
        assert _models_called(clean_fake_gemini)[-(retries + 2) :] == [route.model] * (retries + 1) + [fallback]
    assert _events(response.text)[-1]["candidates"][0]["finishReason"] == "STOP"


def test_every_model_failing_gives_a_clean_502_with_request_id(http: httpx.Client, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault("503")
    response = http.post(GENERATE, json=BODY)
    assert response.status_code == 502
    error = response.json()["error"]
    rid = response.headers["x-router-request-id"]
    assert error["status"] == "UNAVAILABLE" and rid in error["message"]


def test_429_everywhere_is_answered_429_with_retry_after(http: httpx.Client, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault("429")
    response = http.post(GENERATE, json=BODY)
    assert response.status_code == 429
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert int(response.headers["retry-after"]) >= 1


def test_upstream_client_error_is_not_retried(http: httpx.Client, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault("400x1")
    response = http.post(GENERATE, json=BODY)
    assert response.status_code == 400
    assert len(clean_fake_gemini.requests) == 1


def test_a_cut_unary_answer_is_retried(router_server: Any, http: httpx.Client, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault("cutx1")
    response = http.post(GENERATE, json=BODY)
    assert response.status_code == 200, response.text
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"].startswith("[fake-gemini]")


@pytest.mark.parametrize("fault", ["cut", "cut:503"])
def test_stream_cut_midway_ends_with_an_error_event(http: httpx.Client, clean_fake_gemini: Any, fault: str) -> None:
    clean_fake_gemini.add_fault({"fault": fault, "methods": ["streamGenerateContent"]})
    started = time.monotonic()
    response = http.post(STREAM, json=BODY)
    assert time.monotonic() - started < 5
    assert response.status_code == 200  # the stream had started
    events = _events(response.text)
    assert "candidates" in events[0]
    error = events[-1]["error"]
    assert response.headers["x-router-request-id"] in error["message"]
    assert error["code"] in (502, 503)


def test_stream_cut_reaches_the_sdk_as_an_error(router_server: Any, clean_fake_gemini: Any) -> None:
    clean_fake_gemini.add_fault({"fault": "cut", "methods": ["streamGenerateContent"]})
    started = time.monotonic()
    with genai.Client(api_key="k", http_options=types.HttpOptions(base_url=router_server.url)) as client:
        received = []
        with pytest.raises(errors.APIError) as caught:
            for chunk in client.models.generate_content_stream(model="auto", contents=LIGHT):
                received.append(chunk)
    assert received and time.monotonic() - started < 5
    assert "request id" in str(caught.value)


@pytest.fixture(scope="module")
def slow_router(router_factory: Any) -> Any:
    """A router with a 0.3 s attempt timeout and a 1 s deadline."""
    return router_factory(request_timeout_s=0.3, total_deadline_s=1.0)


@pytest.mark.parametrize("path", [GENERATE, STREAM])
def test_upstream_slower_than_the_timeout_gives_a_clean_504(
    slow_router: Any, clean_fake_gemini: Any, path: str
) -> None:
    clean_fake_gemini.add_fault("delay:3000")
    started = time.monotonic()
    with httpx.Client(base_url=slow_router.url, timeout=10) as client:
        response = client.post(path, json=BODY)
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert error["status"] == "DEADLINE_EXCEEDED"
    assert response.headers["x-router-request-id"] in error["message"]
    assert elapsed < 2.5
