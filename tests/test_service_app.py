"""The app factory under other settings (in-process, TestClient): no upstream, no classifier,
client keys; settings from the environment; health, readiness and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from router.app import create_app
from router.settings import Settings

BODY = {"contents": [{"role": "user", "parts": [{"text": "Translate 'good morning' into French"}]}]}
CHAT = {"model": "auto", "messages": [{"role": "user", "content": "Translate 'good morning' into French"}]}


def _settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {"gemini_api_key": None, "upstream_url": None, "api_keys": frozenset()}
    return Settings(**{**values, **changes})


@pytest.fixture
def offline(router_model_path: Any) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(model_path=router_model_path))) as client:
        yield client


def test_without_upstream_route_works_and_proxy_calls_say_how_to_configure(offline: TestClient) -> None:
    decision = offline.post("/v1/route", json={"prompt": "Translate 'good morning' into French"})
    assert decision.status_code == 200 and decision.json()["tier"] in ("light", "intermediate", "advanced")
    response = offline.post("/v1beta/models/auto:generateContent", json=BODY)
    assert response.status_code == 503
    message = response.json()["error"]["message"]
    for hint in (
        "GEMINI_API_KEY",
        "--upstream-url",
        "BUDGET_ROUTER_UPSTREAM_URL",
        response.headers["x-router-request-id"],
    ):
        assert hint in message
    chat = offline.post("/v1/chat/completions", json=CHAT)
    assert chat.status_code == 503 and "GEMINI_API_KEY" in chat.json()["error"]["message"]
    ready = offline.get("/readyz").json()
    assert ready["status"] == "ready" and ready["upstream"]["configured"] is False


def test_a_model_that_does_not_load_gives_503_not_a_crash(tmp_path: Any) -> None:
    (tmp_path / "model_card.json").write_text("{not json", encoding="utf-8")
    with TestClient(create_app(_settings(model_path=tmp_path, upstream_url="http://127.0.0.1:9"))) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "model card" in ready.json()["error"]
        for path, payload in (("/v1/route", {"prompt": "hi"}), ("/v1beta/models/auto:generateContent", BODY)):
            response = client.post(path, json=payload)
            assert response.status_code == 503
            assert "not loaded" in response.json()["error"]["message"]


def test_client_keys_are_checked(router_model_path: Any) -> None:
    app = create_app(_settings(model_path=router_model_path, api_keys=frozenset({"s3cret"})))
    with TestClient(app) as client:
        assert client.post("/v1/route", json={"prompt": "hi"}).status_code == 401
        wrong = client.post("/v1/route", json={"prompt": "hi"}, headers={"x-goog-api-key": "nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["status"] == "UNAUTHENTICATED"
        for headers in ({"x-goog-api-key": "s3cret"}, {"authorization": "Bearer s3cret"}):
            assert client.post("/v1/route", json={"prompt": "hi"}, headers=headers).status_code == 200
        assert client.post("/v1/route?key=s3cret", json={"prompt": "hi"}).status_code == 200
        assert client.get("/healthz").status_code == 200  # health needs no key


def test_settings_read_the_environment_and_hide_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "gk-123")
    monkeypatch.setenv("BUDGET_ROUTER_UPSTREAM_URL", "http://127.0.0.1:8765/")
    monkeypatch.setenv("BUDGET_ROUTER_API_KEYS", "a, b")
    monkeypatch.setenv("BUDGET_ROUTER_MAX_BODY_BYTES", "1000")
    settings = Settings()
    assert settings.gemini_api_key is not None and settings.gemini_api_key.get_secret_value() == "gk-123"
    assert settings.upstream_url == "http://127.0.0.1:8765"
    assert settings.api_keys == frozenset({"a", "b"}) and settings.max_body_bytes == 1000
    assert "gk-123" not in repr(settings) and "gk-123" not in str(settings.model_dump())
    monkeypatch.setenv("GEMINI_API_KEY", "gm-456")
    assert Settings().gemini_api_key.get_secret_value() == "gm-456"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="upstream_url"):
        Settings(upstream_url="ftp://x")


def test_readyz_lists_lifecycle_warnings_and_metrics_count_requests(offline: TestClient) -> None:
    state = offline.app.state  # type: ignore[attr-defined]
    expected = state.catalog.lifecycle_warnings(state.policy.models(), __import__("datetime").date.today())
    assert offline.get("/readyz").json()["warnings"] == expected
    offline.post("/v1/route", json={"prompt": "Translate 'good morning' into French"})
    offline.post("/v1/route", json={})
    text = offline.get("/metrics").text
    assert 'budget_router_requests_total{endpoint="route"' in text
    assert 'status="400"' in text
    assert "budget_router_upstream_latency_seconds" in text


def test_apps_have_their_own_metrics(router_model_path: Any) -> None:
    first, second = create_app(_settings()), create_app(_settings())
    assert first.state.metrics.registry is not second.state.metrics.registry


def test_openapi_schema_lists_the_endpoints(offline: TestClient) -> None:
    paths = offline.get("/openapi.json").json()["paths"]
    for path in ("/v1/route", "/{version}/models/{target}", "/v1/chat/completions", "/healthz", "/readyz", "/metrics"):
        assert path in paths


def test_the_start_log_says_whether_the_compiled_helpers_serve(
    router_model_path: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from router import app as app_module

    caplog.set_level(logging.INFO)
    for helpers, expected in ((object(), "(compiled helpers)"), (None, "numpy only")):
        monkeypatch.setattr(app_module, "speedups", helpers)
        caplog.clear()
        with TestClient(create_app(_settings(model_path=router_model_path))):
            pass
        loaded = [
            r.getMessage() for r in caplog.records if "classifier" in r.getMessage() and "loaded" in r.getMessage()
        ]
        assert loaded and expected in loaded[0]
