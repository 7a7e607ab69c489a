"""Two `budget-router serve` processes sharing one PostgreSQL and one models directory.

Both serve and log into the same database, feedback on a request answered by one replica is
accepted by the other, a model promoted in the shared directory reaches both without a restart,
and a replica stopped with SIGTERM finishes the request it is serving and flushes its log before
it exits (graceful shutdown).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _db import POSTGRES_ENV, fresh_database
from _models import models_dir
from _serve import start_serve
from sqlalchemy import select

from router.learning import promote
from router.store import FeedbackRow, RequestRow, make_engine

BODY = {"contents": [{"role": "user", "parts": [{"text": "Translate 'good evening' into Spanish"}]}]}
GENERATE = "/v1beta/models/auto:generateContent"


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set: start a server with `bash scripts/postgres-for-tests`")
    with fresh_database("postgresql", tmp_path) as url:
        yield url


def _version(url: str) -> str:
    return str(httpx.get(f"{url}/readyz", timeout=5).json()["classifier"]["version"])


def _wait_for(check: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_two_replicas_share_the_database_and_a_promoted_model(
    postgres_url: str, tmp_path: Path, clean_fake_gemini: Any, router_model_path: Any
) -> None:
    models = models_dir(tmp_path, router_model_path)
    env = {"BUDGET_ROUTER_MODEL_RELOAD_INTERVAL_S": "0.2"}
    args = ("--upstream-url", clean_fake_gemini.url, "--database-url", postgres_url, "--model-path", str(models))
    servers: list[subprocess.Popen[str]] = []
    urls: list[str] = []
    try:
        for _ in range(2):
            server, url = start_serve(*args, env=env)
            servers.append(server)
            urls.append(url)
        assert [_version(url) for url in urls] == ["reload-test-A"] * 2

        # both serve and log into the one database; feedback crosses replicas
        answered: dict[str, int] = {}  # request id -> the replica that answered it
        for i in range(10):
            reply = httpx.post(urls[i % 2] + GENERATE, json=BODY, timeout=10)
            assert reply.status_code == 200
            answered[reply.headers["x-router-request-id"]] = i % 2
        acknowledged = []
        for rid, replica in answered.items():
            feedback = httpx.post(
                urls[1 - replica] + "/v1/feedback", json={"request_id": rid, "score": 0.8}, timeout=10
            )
            assert feedback.status_code == 200, feedback.text  # the other replica finds the row
            acknowledged.append(rid)

        # a model promoted in the shared directory reaches both, without a restart
        promote(models, "B")
        assert _wait_for(lambda: [_version(url) for url in urls] == ["reload-test-B"] * 2)
        route = [httpx.post(url + "/v1/route", json={"prompt": "hi"}, timeout=10).json() for url in urls]
        assert {r["classifier_version"] for r in route} == {"reload-test-B"}

        # SIGTERM during a slow request: it is answered and logged before the process exits
        clean_fake_gemini.add_fault("delay:1500x1")
        slow: dict[str, Any] = {}

        def slow_call() -> None:
            try:
                slow["r"] = httpx.post(urls[0] + GENERATE, json=BODY, timeout=20)
            except httpx.HTTPError as exc:
                slow["r"] = exc

        call = threading.Thread(target=slow_call)
        before = len(clean_fake_gemini.requests)
        call.start()
        assert _wait_for(lambda: len(clean_fake_gemini.requests) > before)  # it waits in the upstream now
        servers[0].send_signal(signal.SIGTERM)
        call.join(20)
        # uvicorn re-raises the signal once it has shut down, so the exit status names SIGTERM
        assert servers[0].wait(20) in (0, -signal.SIGTERM)
        assert isinstance(slow["r"], httpx.Response) and slow["r"].status_code == 200, slow["r"]
        answered[slow["r"].headers["x-router-request-id"]] = 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(urls[0] + "/healthz", timeout=2)
        assert httpx.post(urls[1] + GENERATE, json=BODY, timeout=10).status_code == 200  # the other one serves on
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
            server.wait(20)
            if server.stdout:
                server.stdout.close()

    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            logged = set(connection.execute(select(RequestRow.request_id)).scalars())
            rated = set(connection.execute(select(FeedbackRow.request_id)).scalars())
    finally:
        engine.dispose()
    assert set(answered) <= logged  # every answered request, from both replicas, the slow one included
    assert rated == set(acknowledged)
