"""The service with its store, over real HTTP: request rows, feedback committed before its answer,
the log flushed on shutdown, hash-only prompt storage, a store that is down, and a promoted model
picked up without a restart. Real SQLite files, and the real PostgreSQL server named by
``BUDGET_ROUTER_TEST_POSTGRES_URL`` for the request-and-feedback test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _db import BACKENDS, fresh_database
from _models import models_dir
from google import genai
from google.genai import types
from sqlalchemy import select

from router.learning import promote
from router.store import (
    FeedbackRow,
    RequestRecord,
    RequestRow,
    iter_requests,
    key_id,
    make_engine,
    prompt_hash,
)

LIGHT = "Translate 'good morning' into French"
ADVANCED = (
    "Prove that every planar graph is 5-colourable, then design an O(n log n) divide-and-conquer algorithm "
    "for the closest pair of points and prove its running time with the master theorem."
)
BODY = {"contents": [{"role": "user", "parts": [{"text": LIGHT}]}]}
KEY = "client-key-1"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'log.db'}"


def _rows(url: str) -> dict[str, RequestRow]:
    engine = make_engine(url)
    try:
        return {row.request_id: row for row in iter_requests(engine)}
    finally:
        engine.dispose()


def _feedback(url: str, request_id: str) -> list[FeedbackRow]:
    from sqlalchemy.orm import Session

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = list(session.scalars(select(FeedbackRow).where(FeedbackRow.request_id == request_id)))
            session.expunge_all()
        return rows
    finally:
        engine.dispose()


def _headers(response: types.GenerateContentResponse) -> dict[str, str]:
    http = response.sdk_http_response
    assert http is not None and http.headers is not None
    return dict(http.headers)


def test_routed_requests_are_logged_and_feedback_is_committed_before_the_answer(
    router_factory: Any, clean_fake_gemini: Any, database_url: str
) -> None:
    router = router_factory(
        database_url=database_url, api_keys=frozenset({KEY}), stand_in=True, model_reload_interval_s=0
    )
    headers = {"x-goog-api-key": KEY}
    with genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=router.url)) as client:
        unary = client.models.generate_content(model="auto", contents=LIGHT)
        chunks = list(client.models.generate_content_stream(model="auto", contents=ADVANCED))
    sent, streamed = _headers(unary), _headers(chunks[0])
    rid = sent["x-router-request-id"]
    with httpx.Client(base_url=router.url, headers=headers, timeout=10) as http:
        forced = http.post("/v1/route", json={"prompt": LIGHT, "tier": "advanced"})
        chat = http.post(
            "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": LIGHT}]}
        )
        clean_fake_gemini.add_fault("400x1")
        failed = http.post("/v1beta/models/auto:generateContent", json=BODY)
        refused = http.post("/v1beta/models/auto:generateContent", content=b"{not json")
        assert forced.status_code == chat.status_code == 200 and failed.status_code == 400
        assert refused.status_code == 400

        # feedback right after the answer: the row is committed before the 200 (read it at once)
        ok = http.post("/v1/feedback", json={"request_id": rid, "score": 0.25, "label": "wrong"})
        assert ok.status_code == 200 and ok.json()["supersedes"] == 0
        stored = _feedback(database_url, rid)
        assert [(f.score, f.label, f.api_key_id) for f in stored] == [(0.25, "wrong", key_id(KEY))]
        again = http.post("/v1/feedback", json={"request_id": rid, "score": 1})
        assert again.json()["supersedes"] == 1 and len(_feedback(database_url, rid)) == 2

        unknown = http.post("/v1/feedback", json={"request_id": "no-such-request", "score": 0.5})
        assert unknown.status_code == 404
        error = unknown.json()["error"]
        assert error["code"] == 404 and error["status"] == "NOT_FOUND" and "no-such-request" in error["message"]
        for bad in ({"request_id": rid, "score": 1.5}, {"request_id": rid, "score": "high"}, {"request_id": rid}):
            response = http.post("/v1/feedback", json=bad)
            assert response.status_code == 422, bad
            assert response.json()["error"]["code"] == 422
        assert httpx.post(f"{router.url}/v1/feedback", json={"request_id": rid, "score": 0.5}).status_code == 401

    router.stop()  # the log is flushed on shutdown
    rows = _rows(database_url)
    chat_rid = chat.headers["x-router-request-id"]
    wanted = {rid, streamed["x-router-request-id"], forced.headers["x-router-request-id"], chat_rid}
    wanted.add(failed.headers["x-router-request-id"])
    assert set(rows) == wanted  # the malformed body reached no decision: not logged

    row = rows[rid]
    assert row.endpoint == "generateContent" and row.status == 200 and row.error is None
    assert row.prompt_text == LIGHT and row.prompt_hash == prompt_hash(LIGHT)
    assert row.api_key_id == key_id(KEY) and row.stand_in is True
    assert row.tier_predicted == row.tier_served == sent["x-router-tier"]
    assert row.model == sent["x-router-model"]
    assert row.thinking == sent["x-router-thinking"]
    assert row.overrides == "" and row.overridden is False
    probabilities = (row.prob_light, row.prob_intermediate, row.prob_advanced)
    assert all(p is not None for p in probabilities) and sum(probabilities) == pytest.approx(1, abs=1e-4)  # type: ignore[arg-type]
    assert row.complexity_score is not None and 0 <= row.complexity_score <= 1
    usage = unary.usage_metadata
    assert usage is not None
    assert row.prompt_tokens == usage.prompt_token_count and row.candidates_tokens == usage.candidates_token_count
    assert row.thoughts_tokens == (usage.thoughts_token_count or 0)
    assert row.cost_usd == pytest.approx(float(sent["x-router-cost-usd"]), abs=1e-6)
    assert row.cost_verified is not None and row.latency_ms is not None and row.latency_ms > 0
    assert row.classifier_version == router.app.state.engine.classifier_version

    stream_row = rows[streamed["x-router-request-id"]]
    assert stream_row.endpoint == "streamGenerateContent" and stream_row.status == 200
    last = next(c.usage_metadata for c in reversed(chunks) if c.usage_metadata is not None)
    assert stream_row.candidates_tokens == last.candidates_token_count and stream_row.cost_usd is not None

    forced_row = rows[forced.headers["x-router-request-id"]]
    assert forced_row.endpoint == "route" and forced_row.tier_served == forced.json()["tier"] == "advanced"
    assert forced_row.tier_predicted == "light" and forced_row.overrides == "tier" and forced_row.overridden

    assert rows[chat_rid].endpoint == "chat.completions" and rows[chat_rid].prompt_tokens is not None
    failed_row = rows[failed.headers["x-router-request-id"]]
    assert failed_row.status == 400 and failed_row.error is not None and failed_row.cost_usd is None


def test_the_log_is_flushed_on_shutdown_after_in_flight_requests(
    router_factory: Any, clean_fake_gemini: Any, sqlite_url: str
) -> None:
    """Rows still queued when the server stops, and a request still running then, are all written."""
    import sqlite3

    router = router_factory(database_url=sqlite_url, model_reload_interval_s=0)
    store = router.app.state.store
    with httpx.Client(base_url=router.url, timeout=10) as http:
        assert http.post("/v1/route", json={"prompt": "warm up"}).status_code == 200
        store.writer.flush()
        lock = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the writer thread now waits: rows stay queued
        rids = [
            http.post("/v1/route", json={"prompt": f"question {i}"}).headers["x-router-request-id"] for i in range(20)
        ]
        assert store.writer.queued > 0
        clean_fake_gemini.add_fault("delay:600x1")
        slow: dict[str, Any] = {}
        call = threading.Thread(
            target=lambda: slow.update(r=httpx.post(f"{router.url}/v1beta/models/auto:generateContent", json=BODY))
        )
        call.start()
        time.sleep(0.2)  # the slow call is in flight
        stopping = threading.Thread(target=router.stop)
        stopping.start()
        time.sleep(0.2)
        lock.execute("COMMIT")
        lock.close()
        call.join(10)
        stopping.join(20)
    assert slow["r"].status_code == 200
    stats = store.writer.stats()  # as the server stopped: closed, everything written
    assert stats["written"] == stats["submitted"] == 22 and stats["queued"] == stats["dropped"] == 0
    assert store.log_request(RequestRecord(request_id="late", prompt_hash=prompt_hash("late"))) is False
    rows = _rows(sqlite_url)
    assert set(rids) <= set(rows) and slow["r"].headers["x-router-request-id"] in rows
    assert len(rows) == 22


def test_prompt_storage_hash_keeps_no_prompt_text(router_factory: Any, sqlite_url: str) -> None:
    router = router_factory(database_url=sqlite_url, prompt_storage="hash", model_reload_interval_s=0)
    secret = "My account number is 12345678; summarise my statement."
    response = httpx.post(
        f"{router.url}/v1beta/models/auto:generateContent", json={"contents": [{"parts": [{"text": secret}]}]}
    )
    assert response.status_code == 200
    router.stop()
    [row] = _rows(sqlite_url).values()
    assert row.prompt_text is None and row.prompt_hash == prompt_hash(secret)
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    for path in (database, database.with_name(database.name + "-wal")):
        assert not path.exists() or b"12345678" not in path.read_bytes()


def test_a_store_that_does_not_open_makes_the_router_unready_not_dead(router_factory: Any, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    router = router_factory(database_url=f"sqlite:///{tmp_path / 'a-file' / 'log.db'}", model_reload_interval_s=0)
    ready = httpx.get(f"{router.url}/readyz")
    assert ready.status_code == 503
    payload = ready.json()
    assert payload["store"]["open"] is False and "store:" in payload["error"]
    assert payload["classifier"]["loaded"] is True
    assert httpx.post(f"{router.url}/v1beta/models/auto:generateContent", json=BODY).status_code == 200
    feedback = httpx.post(f"{router.url}/v1/feedback", json={"request_id": "x", "score": 0.5})
    assert feedback.status_code == 503 and feedback.json()["error"]["status"] == "UNAVAILABLE"
    router.stop()


# --- a promoted model is picked up without a restart ----------------------------------------------


def test_a_promoted_model_is_served_without_a_restart_or_a_failed_request(
    router_factory: Any, router_model_path: Any, tmp_path: Path, sqlite_url: str
) -> None:
    models = models_dir(tmp_path, router_model_path)
    router = router_factory(model_path=models, model_reload_interval_s=0.1, database_url=sqlite_url)
    assert httpx.get(f"{router.url}/readyz").json()["classifier"]["version"] == "reload-test-A"

    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=router.url, timeout=10) as http:
            while not stop.is_set():
                for path, body in (("/v1/route", {"prompt": ADVANCED}), ("/v1beta/models/auto:generateContent", BODY)):
                    response = http.post(path, json=body)
                    version = response.json().get("classifier_version", "") if path == "/v1/route" else ""
                    seen.append((response.status_code, version))

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        time.sleep(0.3)
        promote(models, "B")
        deadline = time.monotonic() + 5
        while not any(v == "reload-test-B" for _, v in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        stop.set()
        worker.join(10)
    assert seen and all(status == 200 for status, _ in seen), [s for s in seen if s[0] != 200][:3]
    versions = [v for _, v in seen if v]
    switch = versions.index("reload-test-B")  # within the interval (plus the load)
    assert set(versions[:switch]) == {"reload-test-A"} and set(versions[switch:]) == {"reload-test-B"}
    ready = httpx.get(f"{router.url}/readyz").json()
    assert ready["classifier"]["version"] == "reload-test-B" and ready["classifier"]["path"].endswith("B")

    # a broken promotion leaves the current model serving, and says so
    broken = models / "versions" / "C"
    broken.mkdir()
    (broken / "model_card.json").write_text("{not json", encoding="utf-8")
    promote(models, "C")
    deadline = time.monotonic() + 5
    while "reload_error" not in ready["classifier"] and time.monotonic() < deadline:
        time.sleep(0.05)
        ready = httpx.get(f"{router.url}/readyz").json()
    assert ready["status"] == "ready" and ready["classifier"]["version"] == "reload-test-B"
    assert "model card" in ready["classifier"]["reload_error"]
    assert httpx.post(f"{router.url}/v1/route", json={"prompt": LIGHT}).status_code == 200
    router.stop()
