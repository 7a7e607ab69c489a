"""The request log and feedback store, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _db import BACKENDS, fresh_database
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, insert, inspect, select, text

from router.errors import NotFound, RouterError
from router.store import (
    LATEST_VERSION,
    MIGRATIONS,
    Base,
    FeedbackRow,
    InvalidFeedback,
    RequestLogWriter,
    RequestRecord,
    RequestRow,
    Store,
    applied,
    iter_learning_rows,
    iter_requests,
    key_id,
    make_engine,
    migrate,
    prompt_hash,
    record_feedback,
    usage_by_key,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as database_url:
        yield database_url


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    eng = make_engine(url)
    migrate(eng)
    yield eng
    eng.dispose()


def record(rid: str, text: str = "What is 2 + 2?", **kw: object) -> RequestRecord:
    return RequestRecord(request_id=rid, prompt_hash=prompt_hash(text), prompt_text=text, **kw)  # type: ignore[arg-type]


def count(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


# -- migrations -----------------------------------------------------------------------------------


def test_migrations_apply_once_and_are_idempotent(url: str) -> None:
    eng = make_engine(url)
    try:
        assert migrate(eng) == [m.name for m in MIGRATIONS]
        assert migrate(eng) == []
        assert applied(eng) == [(m.version, m.name) for m in MIGRATIONS]
        assert applied(eng)[-1][0] == LATEST_VERSION
    finally:
        eng.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    indexes = {i["name"] for i in inspector.get_indexes("feedback")}
    assert "ix_feedback_request_id_id" in indexes


def test_concurrent_starts_migrate_once(url: str) -> None:
    engines = [make_engine(url) for _ in range(4)]
    results: list[list[str]] = []
    try:
        threads = [threading.Thread(target=lambda e=e: results.append(migrate(e))) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(name for names in results for name in names) == sorted(m.name for m in MIGRATIONS)
        assert applied(engines[0]) == [(m.version, m.name) for m in MIGRATIONS]
    finally:
        for e in engines:
            e.dispose()


def test_switching_a_new_file_to_wal_waits_for_a_writer(tmp_path: Path) -> None:
    """SQLite answers "database is locked" at once, without its busy handler, when a connection
    switches a file to WAL while another one holds a write transaction in the old journal mode
    (as when several workers start on a new file together): the switch is retried until the
    writer commits."""
    import sqlite3

    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    outcome: list[object] = []

    def connect() -> None:
        engine = make_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as connection:
                outcome.append(connection.exec_driver_sql("PRAGMA journal_mode").scalar())
        except Exception as exc:  # the failure this test is about
            outcome.append(exc)
        finally:
            engine.dispose()

    thread = threading.Thread(target=connect)
    thread.start()
    time.sleep(0.3)
    writer.execute("COMMIT")
    writer.close()
    thread.join(10)
    assert outcome == ["wal"]


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with eng.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() > 0
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        eng.dispose()


# -- the writer -----------------------------------------------------------------------------------


def test_writer_batches_and_flushes_on_close(engine: Engine) -> None:
    commits = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    writer = RequestLogWriter(engine, batch_size=100, flush_interval_s=5.0, autostart=False)
    for i in range(1234):
        assert writer.submit(record(f"r{i}"))
    writer.start()
    writer.close()
    assert count(engine, RequestRow) == 1234
    assert writer.stats() == {"submitted": 1234, "written": 1234, "dropped": 0, "failed": 0, "queued": 0}
    assert len(commits) == math.ceil(1234 / 100)


def test_writer_counts_drops_when_the_queue_is_full(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    writer = RequestLogWriter(engine, max_queue=5, autostart=False)
    accepted = [writer.submit(record(f"d{i}")) for i in range(8)]
    assert accepted == [True] * 5 + [False] * 3
    assert writer.dropped == 3
    assert "rows dropped" in caplog.text
    writer.start()
    writer.close()
    assert count(engine, RequestRow) == 5
    assert not writer.submit(record("late"))  # closed: dropped, counted


def test_writer_flush_waits_for_rows_and_survives_a_repeated_id(engine: Engine) -> None:
    writer = RequestLogWriter(engine, batch_size=10, flush_interval_s=0.05)
    try:
        for i in range(25):
            writer.submit(record(f"f{i}"))
        writer.submit(record("f3"))  # a repeated id spoils only itself
        assert writer.flush(10)
        assert count(engine, RequestRow) == 25
        assert writer.failed == 1
    finally:
        writer.close()


def test_writer_survives_a_row_the_driver_cannot_encode(engine: Engine) -> None:
    """Not an SQLAlchemy error (a lone surrogate fails to encode in the driver): that row is
    counted as failed, its batch's other rows are written, and the thread lives on."""
    writer = RequestLogWriter(engine, batch_size=10, flush_interval_s=0.05)
    try:
        writer.submit(record("ok-1"))
        writer.submit(record("bad", text="a lone surrogate \ud800"))
        writer.submit(record("ok-2"))
        assert writer.flush(10)
        writer.submit(record("ok-3"))
        assert writer.flush(10)
        assert count(engine, RequestRow) == 3 and writer.failed == 1 and writer.alive
    finally:
        writer.close()


# -- feedback -------------------------------------------------------------------------------------


def test_feedback_is_committed_before_it_returns(url: str) -> None:
    with Store.open(url) as store:
        store.log_request(record("a1"))
        receipt = store.record_feedback("a1", 0.25, label="wrong", comment="missed a step", api_key_id=key_id("k"))
        other = make_engine(url)  # a separate connection pool sees it at once
        try:
            with other.connect() as connection:
                row = connection.execute(select(FeedbackRow).where(FeedbackRow.id == receipt.id)).one()
        finally:
            other.dispose()
    assert (row.score, row.label, row.comment) == (0.25, "wrong", "missed a step")
    assert row.api_key_id == key_id("k") and row.api_key_id != "k"


def test_unknown_request_id_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound) as info:
        record_feedback(engine, "no-such-request", 0.5)
    assert info.value.http_status == 404
    assert count(engine, FeedbackRow) == 0


@pytest.mark.parametrize("score", [-0.01, 1.01, float("nan"), float("inf"), True, "0.5", None])
def test_bad_scores_are_rejected(engine: Engine, score: object) -> None:
    with engine.begin() as connection:
        connection.execute(insert(RequestRow), [record("b1").as_row()])
    with pytest.raises(InvalidFeedback) as info:
        record_feedback(engine, "b1", score)  # type: ignore[arg-type]
    assert info.value.http_status == 422
    assert count(engine, FeedbackRow) == 0


def test_repeats_all_kept_latest_wins(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(RequestRow), [record("p1", tier_served="light").as_row()])
    first = record_feedback(engine, "p1", 0.1)
    second = record_feedback(engine, "p1", 0.9, label="fixed")
    assert (first.supersedes, second.supersedes) == (0, 1)
    assert count(engine, FeedbackRow) == 2
    [latest] = list(iter_learning_rows(engine))
    assert (latest.feedback_id, latest.score) == (second.id, 0.9)


def test_feedback_on_a_row_still_queued_flushes_it_first(url: str) -> None:
    with Store.open(url, writer_options={"flush_interval_s": 5.0}) as store:
        store.log_request(record("q1"))
        assert store.record_feedback("q1", 1.0).request_id == "q1"


def test_hash_storage_keeps_no_prompt_text(url: str) -> None:
    with Store.open(url, prompt_storage="hash") as store:
        store.log_request(record("h1", text="my secret prompt"))
        store.writer.flush()
        [row] = list(iter_requests(store.engine))
    assert row.prompt_text is None and row.prompt_hash == prompt_hash("my secret prompt")


# -- reading in chunks ----------------------------------------------------------------------------


def test_chunked_reading_pages_by_key_and_excludes_what_retraining_must_not_see(engine: Engine) -> None:
    rows = [record(f"c{i:05d}", text=f"prompt {i}", tier_served="light").as_row() for i in range(2500)]
    rows[1]["overridden"] = True
    rows[2]["stand_in"] = True
    rows[3]["status"] = 502
    with engine.begin() as connection:
        connection.execute(insert(RequestRow), rows)
        connection.execute(
            insert(FeedbackRow),
            [{"request_id": r["request_id"], "created_at": r["created_at"], "score": 0.0} for r in rows],
        )
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ids = [r.request_id for r in iter_requests(engine, chunk_size=300)]
    assert ids == [r["request_id"] for r in rows]
    assert sum("FROM requests" in s for s in statements) == math.ceil(2500 / 300) + 1
    learning = list(iter_learning_rows(engine, chunk_size=400))
    assert len(learning) == 2497
    assert {"c00001", "c00002", "c00003"}.isdisjoint(r.request_id for r in learning)
    assert len(list(iter_learning_rows(engine, include_excluded=True))) == 2500


# -- the HTTP route -------------------------------------------------------------------------------


def test_feedback_route(url: str) -> None:
    from router.api import feedback
    from router.settings import Settings

    app = FastAPI()
    app.include_router(feedback.router)
    app.state.settings = Settings(api_keys=frozenset())  # the route checks client keys when set

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RouterError)
        return JSONResponse({"error": {"code": exc.http_status, "status": exc.status}}, status_code=exc.http_status)

    app.add_exception_handler(RouterError, handler)
    with Store.open(url) as store:
        app.state.store = store
        store.log_request(record("h-1"))
        client = TestClient(app)
        ok = client.post("/v1/feedback", json={"request_id": "h-1", "score": 0.5}, headers={"x-goog-api-key": "k"})
        assert ok.status_code == 200 and ok.json()["supersedes"] == 0
        again = client.post("/v1/feedback", json={"request_id": "h-1", "score": 1, "label": "good"})
        assert again.json()["supersedes"] == 1
        assert client.post("/v1/feedback", json={"request_id": "nope", "score": 0.5}).status_code == 404
        assert client.post("/v1/feedback", json={"request_id": "h-1", "score": 2}).status_code == 422
        assert client.post("/v1/feedback", json={"request_id": "h-1"}).status_code == 422
        assert client.post("/v1/feedback", content=b"{not json").status_code == 400
        client.close()
        app.state.store = None
    assert "/v1/feedback" in app.openapi()["paths"]


# -- kill -9 --------------------------------------------------------------------------------------

_CHILD = r"""
import sys, threading
from router.store import RequestRecord, Store, prompt_hash
store = Store.open(sys.argv[1], writer_options={"flush_interval_s": 0.01})
lock = threading.Lock()
def work(t):
    i = 0
    while True:
        rid = f"k{t}-{i}"
        store.log_request(RequestRecord(request_id=rid, prompt_hash=prompt_hash(rid), prompt_text=rid))
        receipt = store.record_feedback(rid, (i % 11) / 10)
        with lock:
            print(receipt.id, rid, flush=True)
        i += 1
for t in range(4):
    threading.Thread(target=work, args=(t,), daemon=True).start()
threading.Event().wait()
"""


def test_kill_9_loses_no_acknowledged_feedback(url: str) -> None:
    eng = make_engine(url)
    migrate(eng)
    eng.dispose()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, url], stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ}
    )
    acknowledged: list[tuple[int, str]] = []
    deadline = time.monotonic() + 60
    assert child.stdout is not None
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        fid, rid = line.split()
        acknowledged.append((int(fid), rid))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert len(acknowledged) >= 300, "the child did not acknowledge feedback in time"
    eng = make_engine(url)
    try:
        with eng.connect() as connection:
            if eng.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            stored = dict(connection.execute(select(FeedbackRow.id, FeedbackRow.request_id)).all())
            assert connection.execute(text("SELECT count(*) FROM requests")).scalar_one() >= len(acknowledged)
        assert all(stored.get(fid) == rid for fid, rid in acknowledged)
        assert migrate(eng) == []  # still opens and migrates cleanly
    finally:
        eng.dispose()


# -- rows built from the router's decision ---------------------------------------------------------


def test_request_record_from_a_decision(url: str) -> None:
    from router.catalog import Thinking
    from router.policy import Route
    from router.routing import Decision

    decision = Decision(
        request_id="dec-1",
        tier="advanced",
        probabilities={"light": 0.1, "intermediate": 0.3, "advanced": 0.6},
        score=0.75,
        routes=(Route("advanced", "gemini-2.5-flash", Thinking(budget=24576), 32768, ()),),
        prompt_tokens=12,
        estimated_cost_usd=0.08,
        cost_verified=True,
        classifier_version="v7",
        overrides=("tier",),
    )
    usage = {"promptTokenCount": 12, "thoughtsTokenCount": 900, "candidatesTokenCount": 40}
    row = RequestRecord.from_decision(
        decision,
        "Prove it.",
        endpoint="generateContent",
        prompt_storage="hash",
        api_key="client-secret",
        tier_predicted="light",
        latency_ms=812.5,
        usage=usage,
        cost_usd=0.0024,
        stand_in=True,
    )
    assert (row.tier_predicted, row.tier_served, row.thinking) == ("light", "advanced", "budget=24576")
    assert (row.overrides, row.overridden, row.stand_in) == ("tier", True, True)
    assert (row.prompt_tokens, row.thoughts_tokens, row.candidates_tokens, row.cached_tokens) == (12, 900, 40, None)
    assert row.prompt_text is None and row.prompt_hash == prompt_hash("Prove it.")
    assert row.api_key_id == key_id("client-secret") and "client-secret" not in str(row.as_row())
    assert row.cost_verified is True
    with Store.open(url) as store:
        assert store.log_request(row)
        store.writer.flush()
        [stored] = list(iter_requests(store.engine))
    assert (stored.request_id, stored.complexity_score, stored.prob_advanced) == ("dec-1", 0.75, 0.6)
    assert stored.created_at.tzinfo is not None


def test_usage_by_key(engine: Engine) -> None:
    rows = [
        record("u1", api_key_id=key_id("a"), prompt_tokens=10, candidates_tokens=5, thoughts_tokens=20, cost_usd=0.5),
        record("u2", api_key_id=key_id("a"), prompt_tokens=1, candidates_tokens=1, status=502, cost_usd=0.25),
        record("u3", api_key_id=key_id("b"), prompt_tokens=3),
        record("u4"),
    ]
    with engine.begin() as connection:
        connection.execute(insert(RequestRow), [r.as_row() for r in rows])
    usage = {u.api_key_id: u for u in usage_by_key(engine)}
    a = usage[key_id("a")]
    assert (a.requests, a.errors, a.prompt_tokens, a.output_tokens, a.cost_usd) == (2, 1, 11, 26, 0.75)
    assert usage[key_id("b")].requests == 1 and usage[None].requests == 1
