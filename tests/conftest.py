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
