"""The cost-savings report: figures on a small hand-made log with known answers, and the command."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from router.catalog import Catalog
from router.cli import main
from router.replay import OutcomeSet, replay
from router.report import build_report, read_log, scale_prices
from router.store import FeedbackRow, RequestRecord, RequestRow, make_engine, migrate

TODAY = date(2026, 11, 20)  # gemini-2.5-flash still serves every flash-budget tier
FLASH_IN, FLASH_OUT = 0.30, 2.50  # USD per 1M tokens


def _usd(prompt: int, output: int) -> float:
    return (prompt * FLASH_IN + output * FLASH_OUT) / 1_000_000


def _log(path: Path, rows: list[dict]) -> str:
    url = f"sqlite:///{path / 'log.db'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        for i, row in enumerate(rows):
            score = row.pop("score", None)
            record = RequestRecord(request_id=f"r{i}", prompt_hash=row.pop("prompt"), **row)
            connection.execute(RequestRow.__table__.insert(), [record.as_row()])
            if score is not None:
                connection.execute(
                    FeedbackRow.__table__.insert(),
                    [{"request_id": f"r{i}", "created_at": record.created_at, "score": score}],
                )
    engine.dispose()
    return url


def _row(prompt: str, tier: str, score: float, *, endpoint: str = "route", thoughts: int = 0, **kw) -> dict:
    return {
        "prompt": prompt,
        "endpoint": endpoint,
        "tier_predicted": tier,
        "tier_served": tier,
        "model": "gemini-2.5-flash",
        "prompt_tokens": 1000,
        "candidates_tokens": 100,
        "thoughts_tokens": thoughts,
        "score": score,
        **kw,
    }


@pytest.fixture
def small_log(tmp_path: Path) -> str:
    """Prompt a: light was enough (served light); prompt b: light failed (served advanced).
    Exploration rows hold both tiers' outcomes for both prompts."""
    explore = "replay:explore"
    return _log(
        tmp_path,
        [
            _row("a", "light", 1.0, endpoint=explore),
            _row("a", "advanced", 1.0, endpoint=explore, thoughts=900),
            _row("b", "light", 0.0, endpoint=explore),
            _row("b", "advanced", 1.0, endpoint=explore, thoughts=1900),
            _row("a", "light", 1.0, endpoint="replay:served", latency_ms=100.0),
            _row("b", "advanced", 1.0, endpoint="replay:served", thoughts=1900, latency_ms=300.0),
        ],
    )


def test_strategies_on_a_small_log(small_log: str) -> None:
    report = build_report(make_engine(small_log), today=TODAY)
    light, advanced, dynamic, routed = report.strategies
    assert light.cost_per_1k == pytest.approx(1000 * _usd(1000, 100))
    assert light.quality == 0.5
    assert advanced.cost_per_1k == pytest.approx(1000 * (_usd(1000, 1000) + _usd(1000, 2000)) / 2)
    assert advanced.quality == 1.0
    assert routed.cost_per_1k == pytest.approx(1000 * (_usd(1000, 100) + _usd(1000, 2000)) / 2)
    assert routed.quality == 1.0 and routed.requests == 2 and routed.verified
    # no request was sent with thinkingBudget -1: an estimate, and it says so
    assert dynamic.estimated and "ESTIMATE" in dynamic.note
    assert dynamic.cost_per_1k == pytest.approx(advanced.cost_per_1k)
    assert report.source == "replay of an outcome file"
    assert any("replay" in note for note in report.notes)


def test_curve_savings_thinking_latency_confusion(small_log: str) -> None:
    report = build_report(make_engine(small_log), today=TODAY)
    curve = report.curve
    assert curve.items == 2
    assert [p["share"] for p in curve.points][:: len(curve.points) - 1] == [0.0, 1.0]
    assert curve.points[0]["quality"] == 0.5 and curve.points[-1]["quality"] == 1.0
    assert curve.points[0]["cost_per_1k"] == pytest.approx(report.strategies[0].cost_per_1k)
    by_tier = {s.group: s for s in report.savings_by_tier}
    assert by_tier["light"].saved_usd == pytest.approx(_usd(1000, 1000) - _usd(1000, 100))
    assert by_tier["advanced"].saved_usd == pytest.approx(0.0)
    assert [s.group for s in report.savings_by_model] == ["gemini-2.5-flash"]
    thinking = {t.tier: t.mean for t in report.thinking}
    assert thinking == {"light": 0.0, "advanced": 1900.0}
    latency = {t.tier: t.p50 for t in report.latency}
    assert latency == {"light": 100.0, "advanced": 300.0}
    c = report.confusion
    assert c.predicted == ["light", "advanced"]
    assert c.counts == [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]]


def test_presets_and_a_changed_price_table(small_log: str) -> None:
    catalog = Catalog.load()
    doubled = scale_prices(catalog, input=2.0, output=2.0)
    report = build_report(make_engine(small_log), catalog=catalog, price_tables={"x2": doubled}, today=TODAY)
    names = [p.name for p in report.presets]
    assert names == ["flash-budget", "tiered-models", "gemini-3"]
    assert report.presets[0].cost_per_1k == pytest.approx(report.strategies[3].cost_per_1k)
    assert report.price_tables[0].cost_per_1k == pytest.approx(2 * report.strategies[3].cost_per_1k)


def test_dynamic_thinking_measured_and_unverified_prices(tmp_path: Path) -> None:
    url = _log(
        tmp_path,
        [
            _row("a", "advanced", 1.0, thinking="budget=dynamic", thoughts=500),
            _row("b", "light", 0.0, model="gemini-3.7-flash"),  # a model whose prices are not verified
        ],
    )
    report = build_report(make_engine(url), today=TODAY)
    dynamic = report.strategy("dynamic")
    assert not dynamic.estimated and dynamic.requests == 1
    assert dynamic.cost_per_1k == pytest.approx(1000 * _usd(1000, 600))
    routed = report.strategy("router")
    assert not routed.verified
    assert report.unverified() and any("unverified" in note for note in report.notes)


def test_replayed_log_gets_token_estimates(tmp_path: Path) -> None:
    n = 8
    outcomes = OutcomeSet(
        name="tiny",
        ids=[f"t:{i}" for i in range(n)],
        texts=[f"question {i} " + "x" * (40 * i) for i in range(n)],
        cheap=np.asarray([1.0, 0, 1, 0, 1, 0, 1, 0]),
        expensive=np.ones(n),
        cheap_setting="direct",
        expensive_setting="cot",
        cheap_chars=np.full(n, 40.0),
        expensive_chars=np.full(n, 440.0),
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'replay.db'}")
    migrate(engine)
    replay(outcomes, engine, folds=2)
    log = read_log(engine, outcomes)
    assert log.source == "replay of tiny" and len(log.served) == n
    assert all(e.tokens_estimated for e in log.served)
    advanced = [e for e in log.served + log.explore if e.tier_served == "advanced"]
    assert {e.thoughts_tokens for e in advanced} == {100} and {e.candidates_tokens for e in advanced} == {11}
    report = build_report(log, today=TODAY)
    assert report.strategy("always light").quality == 0.5
    assert report.strategy("always advanced").quality == 1.0


def test_report_command_writes_html_and_plots(small_log: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert main(["report", "--database-url", small_log, "--out", str(out), "--no-classifier"]) == 0
    names = sorted(p.name for p in out.iterdir())
    expected = ["confusion", "curve", "latency", "presets", "savings", "strategies", "thinking"]
    assert names == sorted([*(f"{n}.png" for n in expected), "index.html"])
    page = (out / "index.html").read_text()
    assert "replay" in page and "ESTIMATE" in page and "router" in page
    assert "router: $" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "--database-url" in capsys.readouterr().out
