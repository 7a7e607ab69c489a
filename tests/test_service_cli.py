"""``budget-router route`` and ``budget-router serve`` (the real command, as a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from router.cli import main


def _model_args(router_model_path: Any) -> list[str]:
    return [] if router_model_path is None else ["--model-path", str(router_model_path)]


def test_route_prints_the_decision_as_json(router_model_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["route", "--json", "Translate 'good morning' into French", *_model_args(router_model_path)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("tier", "probabilities", "score", "model", "thinking", "estimated_cost_usd", "classifier_version"):
        assert key in out
    assert out["tier"] == "light" and set(out["probabilities"]) == {"light", "intermediate", "advanced"}


def test_route_text_output_and_forced_tier(router_model_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "hello", "--tier", "advanced", "--policy", "gemini-3", *_model_args(router_model_path)]) == 0
    out = capsys.readouterr().out
    assert "tier:       advanced" in out and "level=high" in out and "policy: gemini-3" in out


def test_route_reports_a_bad_policy(router_model_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "hi", "--policy", "no-such-policy", *_model_args(router_model_path)]) == 2
    assert "no-such-policy" in capsys.readouterr().err


def test_route_does_not_load_the_service_stack(router_model_path: Any) -> None:
    code = (
        "import sys; from router.cli import main; main(['route', '--json', 'hi'] + sys.argv[1:]); "
        "heavy = [m for m in ('fastapi', 'google.genai', 'uvicorn', 'aiohttp') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code, *_model_args(router_model_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_serve_with_the_fake_gemini_is_a_complete_offline_demo(router_model_path: Any, tmp_path: Any) -> None:
    database = f"sqlite:///{tmp_path / 'log.db'}"
    args = [sys.executable, "-m", "router.cli", "serve", "--port", "0", "--with-fake-gemini", "--json"]
    args += ["--database-url", database, "--prompt-storage", "hash"]
    proc = subprocess.Popen(
        [*args, "--log-level", "warning", *_model_args(router_model_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["fake_gemini"].startswith("http://127.0.0.1:")
        body = {"contents": [{"parts": [{"text": "Translate 'good morning' into French"}]}]}
        with httpx.Client(base_url=ready["url"], timeout=20) as client:
            response = client.post("/v1beta/models/auto:generateContent", json=body)
        assert response.status_code == 200
        assert response.headers["x-router-tier"] == "light"
        assert response.json()["candidates"][0]["content"]["parts"][0]["text"].startswith("[fake-gemini]")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "NOT real model output" in err
    from router.store import iter_requests, make_engine

    engine = make_engine(database)
    [row] = iter_requests(engine)  # logged, flushed on SIGTERM, marked as stand-in traffic
    engine.dispose()
    assert row.request_id == response.headers["x-router-request-id"] and row.stand_in is True
    assert row.prompt_text is None


def test_serve_help_names_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--upstream-url", "--policy", "--with-fake-gemini"):
        assert flag in out


def test_worker_processes_rebuild_the_same_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """`serve --workers N` hands its settings to the workers as BUDGET_ROUTER_* variables: every
    kind of value (key lists, secrets, paths, booleans, numbers) must come back equal."""
    from pydantic import SecretStr

    from router.commands.serve import settings_env
    from router.settings import Settings

    settings = Settings(
        api_keys=frozenset({"a", "b"}),
        admin_api_keys=frozenset({"admin-1"}),
        gemini_api_key=SecretStr("g-key"),
        model_path=tmp_path,
        metrics_require_admin=True,
        max_concurrent_per_key=3,
        shutdown_grace_s=2.5,
        upstream_url="http://127.0.0.1:9",
    )
    for name in list(os.environ):
        if name.startswith("BUDGET_ROUTER_") or name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
            monkeypatch.delenv(name)
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    rebuilt = Settings()
    assert rebuilt.model_dump() == settings.model_dump()
    assert rebuilt.gemini_api_key is not None and rebuilt.gemini_api_key.get_secret_value() == "g-key"
