"""Keys, admin endpoints and limits, over real HTTP: per-key concurrency (429 with Retry-After),
the prompt-size limit, admin-only reload, usage and metrics, and a Gemini key that never shows."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from _models import models_dir
from google import genai
from google.genai import errors, types
from pydantic import SecretStr
from sqlalchemy import select

from router.fake_gemini import BackgroundServer, FakeGeminiOptions, fault_from_json
from router.learning import promote
from router.store import RequestRow, key_id, make_engine

LIGHT = "Translate 'good morning' into French"
BODY = {"contents": [{"role": "user", "parts": [{"text": LIGHT}]}]}
GENERATE = "/v1beta/models/auto:generateContent"
ADMIN = "admin-key-0123456789abcdef"
CLIENT = "client-key-0123456789abcdef"


def _post_together(url: str, calls: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """POST every (key, path, body) at the same moment, one thread each."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int, key: str, path: str, body: dict[str, Any]) -> None:
        barrier.wait()
        out[i] = httpx.post(url + path, json=body, headers={"x-goog-api-key": key}, timeout=20)

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return out


# --- per-key concurrency ---------------------------------------------------------------------------


def test_concurrent_requests_beyond_the_per_key_limit_get_429_with_retry_after(
    router_factory: Any, clean_fake_gemini: Any
) -> None:
    router = router_factory(max_concurrent_per_key=2, model_reload_interval_s=0)
    clean_fake_gemini.add_fault("delay:700")  # every upstream call takes 0.7 s: the first two hold their slots
    answers = _post_together(router.url, [("alpha", GENERATE, BODY)] * 5 + [("beta", GENERATE, BODY)])
    alpha, beta = answers[:5], answers[5]
    assert sorted(a.status_code for a in alpha) == [200, 200, 429, 429, 429]
    for refused in (a for a in alpha if a.status_code == 429):
        assert refused.headers["retry-after"] == "1"
        error = refused.json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED" and "at most 2 at a time" in error["message"]
        assert refused.headers["x-router-request-id"] in error["message"]
    assert beta.status_code == 200  # another key has slots of its own
    assert router.app.state.metrics.limited.labels("concurrency")._value.get() == 3
    clean_fake_gemini.reset()
    # slots are given back when the answers are sent: the same key is served again
    again = _post_together(router.url, [("alpha", GENERATE, BODY), ("alpha", "/v1/route", {"prompt": LIGHT})])
    assert [a.status_code for a in again] == [200, 200]
    assert httpx.get(router.url + "/healthz").status_code == 200


def test_the_openai_client_sees_the_concurrency_limit_as_a_rate_limit(
    router_factory: Any, clean_fake_gemini: Any
) -> None:
    router = router_factory(max_concurrent_per_key=1, model_reload_interval_s=0)
    clean_fake_gemini.add_fault("delay:700x1")
    first: dict[str, Any] = {}
    slow = threading.Thread(
        target=lambda: first.update(r=httpx.post(router.url + GENERATE, json=BODY, headers={"x-goog-api-key": "k"}))
    )
    slow.start()
    try:
        deadline = time.monotonic() + 1.0
        while not _in_flight(router) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _in_flight(router), "the slow request did not start"
        client = openai.OpenAI(base_url=f"{router.url}/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="auto", messages=[{"role": "user", "content": LIGHT}])
        assert caught.value.response.headers["retry-after"] == "1"
        assert caught.value.body["type"] == "rate_limit_error"  # type: ignore[index]
    finally:
        slow.join(10)
    assert first["r"].status_code == 200


def _in_flight(router: Any) -> bool:
    """Whether the router's concurrency middleware holds a slot now."""
    app = router.app.middleware_stack
    while app is not None and not hasattr(app, "in_flight"):
        app = getattr(app, "app", None)
    return bool(app is not None and app.in_flight)


# --- prompt size -----------------------------------------------------------------------------------


def test_a_prompt_over_the_token_limit_is_refused_before_any_upstream_call(
    router_factory: Any, clean_fake_gemini: Any
) -> None:
    router = router_factory(max_prompt_tokens=100, model_reload_interval_s=0)
    long = "word " * 200  # about 250 tokens at four characters a token
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=router.url))
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="auto", contents=long)
    assert caught.value.code == 400 and "too long" in str(caught.value.message)
    route = httpx.post(router.url + "/v1/route", json={"prompt": long})
    assert route.status_code == 400 and "more than the 100" in route.json()["error"]["message"]
    assert clean_fake_gemini.requests == []
    assert client.models.generate_content(model="auto", contents=LIGHT).text  # a short one is served


# --- admin endpoints -------------------------------------------------------------------------------


def test_admin_endpoints_are_closed_without_admin_keys(router_server: Any) -> None:
    for method, path in (("POST", "/admin/reload"), ("GET", "/admin/usage")):
        answer = httpx.request(method, router_server.url + path, headers={"x-goog-api-key": "anything"})
        assert answer.status_code == 403
        assert "BUDGET_ROUTER_ADMIN_API_KEYS" in answer.json()["error"]["message"]
    assert httpx.get(router_server.url + "/metrics").status_code == 200  # open unless configured


def test_admin_reload_needs_an_admin_key_and_serves_the_promoted_model(
    router_factory: Any, router_model_path: Any, tmp_path: Path
) -> None:
    models = models_dir(tmp_path, router_model_path)
    router = router_factory(
        model_path=models,
        model_reload_interval_s=0,  # no background reloading: only the admin call loads B
        api_keys=frozenset({CLIENT}),
        admin_api_keys=frozenset({ADMIN}),
    )
    url = router.url + "/admin/reload"
    assert httpx.post(url).status_code == 401
    assert httpx.post(url, headers={"x-goog-api-key": CLIENT}).status_code == 403  # a client key is not enough
    assert httpx.post(f"{url}?key={ADMIN}").status_code == 401  # admin keys are never read from the URL
    promote(models, "B")
    ready = httpx.get(router.url + "/readyz").json()
    assert ready["classifier"]["version"] == "reload-test-A"
    answer = httpx.post(url, headers={"authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == 200
    assert answer.json() == {
        "reloaded": True,
        "previous_version": "reload-test-A",
        "version": "reload-test-B",
        "path": str(models / "versions" / "B"),
    }
    assert httpx.post(url, headers={"x-goog-api-key": ADMIN}).json()["reloaded"] is False  # nothing new
    assert httpx.post(url + "?force=true", headers={"x-goog-api-key": ADMIN}).json()["reloaded"] is True
    route = httpx.post(router.url + "/v1/route", json={"prompt": LIGHT}, headers={"x-goog-api-key": CLIENT})
    assert route.json()["classifier_version"] == "reload-test-B"
    # a promotion that does not load: 503 saying why, the served model stays
    (models / "versions" / "C").mkdir()
    (models / "versions" / "C" / "model_card.json").write_text("{not json", encoding="utf-8")
    promote(models, "C")
    broken = httpx.post(url, headers={"x-goog-api-key": ADMIN})
    assert broken.status_code == 503 and "previous one still serves" in broken.json()["error"]["message"]
    assert httpx.get(router.url + "/readyz").json()["classifier"]["version"] == "reload-test-B"


def test_usage_per_key_and_admin_only_metrics(router_factory: Any, clean_fake_gemini: Any, tmp_path: Path) -> None:
    other = "second-client-key-0123456789"
    database = f"sqlite:///{tmp_path / 'log.db'}"
    router = router_factory(
        api_keys=frozenset({CLIENT, other}),
        admin_api_keys=frozenset({ADMIN}),
        metrics_require_admin=True,
        database_url=database,
        model_reload_interval_s=0,
    )
    for key, count in ((CLIENT, 3), (other, 1)):
        client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=router.url))
        for _ in range(count):
            client.models.generate_content(model="auto", contents=LIGHT)
    router.app.state.store.writer.flush()
    admin = {"x-goog-api-key": ADMIN}
    usage = httpx.get(router.url + "/admin/usage", headers=admin).json()
    by_id = {row["api_key_id"]: row for row in usage["keys"]}
    assert by_id[key_id(CLIENT)]["requests"] == 3 and by_id[key_id(other)]["requests"] == 1
    assert by_id[key_id(CLIENT)]["key_hint"] == "..." + CLIENT[-4:]
    assert by_id[key_id(CLIENT)]["output_tokens"] > 0 and by_id[key_id(CLIENT)]["cost_usd"] > 0
    later = httpx.get(router.url + "/admin/usage?since=2999-01-01", headers=admin).json()
    assert later["keys"] == [] and later["since"].startswith("2999-01-01")
    bad = httpx.get(router.url + "/admin/usage?since=yesterday", headers=admin)
    assert bad.status_code == 400 and "ISO date" in bad.json()["error"]["message"]
    assert httpx.get(router.url + "/admin/usage", headers={"x-goog-api-key": CLIENT}).status_code == 403
    assert httpx.get(router.url + "/metrics").status_code == 401
    assert httpx.get(router.url + "/metrics", headers={"x-goog-api-key": CLIENT}).status_code == 403
    metrics = httpx.get(router.url + "/metrics", headers=admin)
    assert metrics.status_code == 200 and "budget_router_requests_total" in metrics.text
    with make_engine(database).connect() as connection:
        ids = connection.execute(select(RequestRow.api_key_id)).scalars().all()
    assert sorted(map(str, ids)) == sorted([str(key_id(CLIENT))] * 3 + [str(key_id(other))])
    assert CLIENT not in str(ids)


# --- the Gemini key --------------------------------------------------------------------------------


def test_the_gemini_key_is_used_upstream_but_never_logged_stored_or_returned(
    router_factory: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "AIzaSy-test-secret-gemini-key-7f3e"
    database = f"sqlite:///{tmp_path / 'log.db'}"
    caplog.set_level(logging.DEBUG)
    # an upstream that accepts this key only, so served answers prove it was sent
    upstream = BackgroundServer(FakeGeminiOptions(api_key=secret)).start()
    router = router_factory(
        upstream_url=upstream.url,
        gemini_api_key=SecretStr(secret),
        admin_api_keys=frozenset({ADMIN}),
        database_url=database,
        model_reload_interval_s=0,
    )
    seen: list[str] = []
    with httpx.Client(base_url=router.url, timeout=20, headers={"x-goog-api-key": "client"}) as http:
        seen.append(http.post(GENERATE, json=BODY).text)
        seen.append(http.post("/v1beta/models/auto:streamGenerateContent?alt=sse", json=BODY).text)
        seen.append(
            http.post(
                "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": LIGHT}]}
            ).text
        )
        upstream.app.faults.add(
            fault_from_json("500")
        )  # upstream errors all the way: the message comes from the upstream
        failed = http.post(GENERATE, json=BODY)
        assert failed.status_code >= 500
        seen.append(failed.text)
        upstream.app.faults.add(fault_from_json("403"))
        seen.append(http.post("/v1/models/gemini-2.5-flash:generateContent", json=BODY).text)
        seen.append(http.post(GENERATE, content=b"{not json").text)
        for path in ("/readyz", "/healthz", "/openapi.json", "/v1beta/models", "/v1/models/auto"):
            seen.append(http.get(path).text)
        seen.append(http.get("/metrics").text)
        seen.append(http.get("/admin/usage", headers={"x-goog-api-key": ADMIN}).text)
    router.app.state.store.writer.flush()
    router.stop()
    upstream.stop()
    statuses = [r["status"] for r in upstream.app.requests]
    assert statuses[:3] == [200, 200, 200] and 401 not in statuses  # the upstream took the key
    assert not [text for text in seen if secret in text]
    assert secret not in caplog.text
    with make_engine(database).connect() as connection:
        rows = connection.execute(select(RequestRow)).all()
    assert rows and secret not in repr(rows)
    assert secret not in repr(router.app.state.settings) and secret not in str(router.app.state.settings.model_dump())
