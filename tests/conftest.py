"""Shared fixtures.

``fake_gemini`` (session scope): the offline Gemini stand-in (:mod:`router.fake_gemini`) served by
uvicorn on 127.0.0.1 on a free port. Tests give its ``url`` to the real google-genai SDK
(``HttpOptions(base_url=fake_gemini.url)``) or to the router as its upstream, read what it received
in ``requests`` and drive faults with ``add_fault`` (or over HTTP: ``POST /_fake/faults``).
``clean_fake_gemini`` is the same handle, reset (no recorded requests, no faults) before and after
the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from router.fake_gemini import BackgroundServer, fault_from_json


class FakeGemini:
    """Handle on the running stand-in."""

    def __init__(self, server: BackgroundServer) -> None:
        self._server = server
        self.url: str = server.url

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Recorded API requests, oldest first: method, path, query, headers, body, model, status."""
        return list(self._server.app.requests)

    def add_fault(self, rule: str | dict[str, Any]) -> None:
        """Schedule a fault, as ``POST /_fake/faults`` does ("503x2@gemini-2.5-flash" or a dict)."""
        self._server.app.faults.add(fault_from_json(rule))

    def reset(self) -> None:
        """Forget recorded requests and scheduled faults."""
        self._server.app.reset()


@pytest.fixture(scope="session")
def fake_gemini() -> Iterator[FakeGemini]:
    """The stand-in, started once per session and stopped at its end."""
    with BackgroundServer() as server:
        yield FakeGemini(server)


@pytest.fixture
def clean_fake_gemini(fake_gemini: FakeGemini) -> Iterator[FakeGemini]:
    """The session's stand-in, reset before and after the test."""
    fake_gemini.reset()
    yield fake_gemini
    fake_gemini.reset()


# --- the router service (tests/test_service_*.py) -------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _scratch_request_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every router the tests start without naming a database (``Settings()``, ``serve`` as a
    subprocess) logs to one SQLite file in the session's temporary directory, never to
    ``budget_router.db`` in the working directory or to a database named in the developer's
    environment."""
    url = f"sqlite:///{tmp_path_factory.mktemp('request-log') / 'service.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BUDGET_ROUTER_DATABASE_URL", url)
        yield url


class RouterServer:
    """The router app served by uvicorn on 127.0.0.1 (free port) on a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread: Any = None
        self.url = ""

    def start(self, timeout: float = 20.0) -> RouterServer:
        import threading
        import time

        self._thread = threading.Thread(target=self._server.run, name="budget-router", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the router did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(10)
        self._thread = None


@pytest.fixture(scope="session")
def router_model_path() -> Any:
    """The classifier the service tests route with: the shipped model under models/, or the
    directory named by BUDGET_ROUTER_TEST_MODEL (a developer's own model while none is shipped)."""
    import os
    from pathlib import Path

    override = os.environ.get("BUDGET_ROUTER_TEST_MODEL")
    if override:
        return Path(override)
    shipped = Path(__file__).resolve().parent.parent / "models"
    if not (shipped / "model_card.json").is_file():
        pytest.skip("no shipped classifier under models/ (train one: budget-router train)")
    return None


def service_settings(**changes: Any) -> Any:
    """Settings for tests: nothing read from a key in the environment, short timeouts and backoff."""
    from router.settings import Settings

    values: dict[str, Any] = {
        "gemini_api_key": None,
        "api_keys": frozenset(),
        "request_timeout_s": 1.0,
        "total_deadline_s": 4.0,
        "max_retries": 2,
        "retry_base_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
    }
    values.update(changes)
    return Settings(**values)


@pytest.fixture(scope="session")
def router_server(fake_gemini: FakeGemini, router_model_path: Any) -> Iterator[RouterServer]:
    """One router for the session, its upstream the session's stand-in (reset it per test with
    ``clean_fake_gemini``). ``router_server.app.state.engine`` tells which routes to expect."""
    from router.app import create_app

    app = create_app(service_settings(upstream_url=fake_gemini.url, model_path=router_model_path))
    server = RouterServer(app).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def router_factory(fake_gemini: FakeGemini, router_model_path: Any) -> Iterator[Any]:
    """``router_factory(**settings)`` starts another router (upstream: the stand-in unless given)
    with those settings changed; every router it started stops at the end of the session."""
    from router.app import create_app

    servers: list[RouterServer] = []

    def make(**changes: Any) -> RouterServer:
        values = {"upstream_url": fake_gemini.url, "model_path": router_model_path, **changes}
        server = RouterServer(create_app(service_settings(**values))).start()
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()
