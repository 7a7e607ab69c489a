"""`kill -9` of the running server under load loses no acknowledged feedback (issue 4).

A real `budget-router serve --with-fake-gemini` process takes routed requests and feedback from
several client threads; once enough feedback has been acknowledged (HTTP 200), the process gets
SIGKILL. Every acknowledged feedback row must then be in the database, and the database must open,
pass its integrity check (SQLite) and migrate cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from _serve import start_serve
from sqlalchemy import text

from router.store import make_engine, migrate

TARGET_ACKS = 150
CLIENT_THREADS = 6


def _database_urls(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'log.db'}"]
    if os.environ.get("BUDGET_ROUTER_TEST_POSTGRES_URL"):
        urls.append(os.environ["BUDGET_ROUTER_TEST_POSTGRES_URL"])
    return urls


def _start_server(database_url: str) -> tuple[subprocess.Popen[str], str]:
    return start_serve("--with-fake-gemini", env={"BUDGET_ROUTER_DATABASE_URL": database_url})


def _load(url: str, acknowledged: list[str], lock: threading.Lock, stop: threading.Event, worker: int) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": f"Translate 'good night' into Italian ({worker})"}]}]}
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            try:
                reply = client.post("/v1beta/models/auto:generateContent", json=body)
                request_id = reply.headers["x-router-request-id"]
                fb = client.post("/v1/feedback", json={"request_id": request_id, "score": 0.75, "label": "kill9"})
            except (httpx.HTTPError, KeyError):
                return  # the server is gone
            if fb.status_code == 200:
                with lock:
                    acknowledged.append(request_id)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_of_the_server_under_load_loses_no_acknowledged_feedback(tmp_path: Path, backend: str) -> None:
    urls = {u.split(":", 1)[0].split("+")[0]: u for u in _database_urls(tmp_path)}
    if backend not in urls:
        pytest.skip("no PostgreSQL server (set BUDGET_ROUTER_TEST_POSTGRES_URL; scripts/check starts one)")
    database_url = urls[backend]
    server, url = _start_server(database_url)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_load, args=(url, acknowledged, lock, stop, i), daemon=True)
        for i in range(CLIENT_THREADS)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < TARGET_ACKS and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-load: requests are still in flight
        server.wait(10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        if server.poll() is None:
            server.kill()
        if server.stdout:
            server.stdout.close()
    with lock:
        acked = set(acknowledged)
    assert len(acked) >= TARGET_ACKS, f"only {len(acked)} feedback rows were acknowledged before the deadline"

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            stored = {
                row[0]
                for row in connection.execute(text("SELECT request_id FROM feedback WHERE label = 'kill9'")).all()
            }
        missing = acked - stored
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged feedback rows are missing"
        assert migrate(engine) == []  # the log still opens and is fully migrated
    finally:
        engine.dispose()
