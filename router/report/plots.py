"""Matplotlib figures of a :class:`~router.report.Report`, and the HTML page that shows them.

Each ``plot_*`` function returns a new ``matplotlib.figure.Figure`` (not registered with pyplot,
so nothing stays open); :func:`write_html` saves them as PNGs beside ``index.html``.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from router.report._build import Report
from router.report._cost import Strategy


def png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (for a notebook: ``IPython.display.Image(png(fig))``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _mark(s: Strategy) -> str:
    flags = [f for f, on in (("estimate", s.estimated), ("unverified prices", s.priced_n and not s.verified)) if on]
    return f" ({', '.join(flags)})" if flags else ""


def plot_strategies(report: Report) -> Figure:
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    names = [s.name + _mark(s) for s in report.strategies]
    costs = [s.cost_per_1k or 0.0 for s in report.strategies]
    bars = ax.barh(names, costs, color=["#9ecae1", "#3182bd", "#fdae6b", "#31a354"])
    for bar, s in zip(bars, report.strategies, strict=True):
        q = "n/a" if s.quality is None else f"{s.quality:.3f}"
        ax.annotate(
            f" ${bar.get_width():.3f}  quality {q}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=8,
        )
    ax.invert_yaxis()
    ax.set_xlabel("USD per 1,000 requests")
    ax.set_title("Cost and quality by strategy")
    ax.set_xlim(0, max(costs or [1.0]) * 1.6 or 1.0)
    return fig


def plot_curve(report: Report) -> Figure:
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    pts = report.curve.points
    if pts:
        ax.plot([p["cost_per_1k"] for p in pts], [p["quality"] for p in pts], "-", label="threshold moves")
    for s, style in zip(report.strategies, ("s", "D", "^", "*"), strict=True):
        if s.cost_per_1k is not None and s.quality is not None:
            ax.plot(s.cost_per_1k, s.quality, style, markersize=12 if style == "*" else 7, label=s.name)
    ax.set_xlabel("USD per 1,000 requests")
    ax.set_ylabel("quality (mean feedback score)")
    ax.set_title("Quality against cost; the router's operating point: star")
    ax.legend(fontsize=7)
    return fig


def plot_savings(report: Report) -> Figure:
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, rows, title in zip(axes, (report.savings_by_tier, report.savings_by_model), ("tier", "model"), strict=True):
        ax.bar([r.group for r in rows], [r.saved_usd for r in rows], color="#31a354")
        ax.set_title(f"Saved against always-advanced, by {title}", fontsize=9)
        ax.set_ylabel("USD saved")
        ax.tick_params(axis="x", labelsize=7)
    return fig


def _tier_bars(rows: list, title: str, unit: str) -> Figure:
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    have = [r for r in rows if r.n]
    if have:
        ax.bar([r.tier for r in have], [r.mean for r in have], label="mean", color="#6baed6")
        ax.plot([r.tier for r in have], [r.p95 for r in have], "o", color="#08519c", label="95th percentile")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "the log holds none", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel(unit)
    ax.set_title(title + (" (estimated)" if any(r.estimated for r in rows) else ""))
    return fig


def plot_thinking(report: Report) -> Figure:
    return _tier_bars(report.thinking, "Thinking tokens per request, by tier", "thinking tokens")


def plot_latency(report: Report) -> Figure:
    return _tier_bars(report.latency, "Latency per request, by tier", "ms")


def plot_confusion(report: Report) -> Figure:
    c = report.confusion
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    if c.predicted:
        ax.imshow(c.counts, cmap="Blues", aspect="auto")
        for i, row in enumerate(c.counts):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
        ax.set_yticks(range(len(c.predicted)), c.predicted)
    ax.set_xticks(range(len(c.needed)), c.needed, fontsize=8)
    ax.set_xlabel("cheapest tier the feedback shows was enough")
    ax.set_ylabel("predicted tier")
    ax.set_title("Predicted tier against feedback")
    return fig


def plot_presets(report: Report) -> Figure:
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    rows = [*report.presets, *report.price_tables]
    ax.barh([s.name + _mark(s) for s in rows], [s.cost_per_1k or 0.0 for s in rows], color="#756bb1")
    ax.invert_yaxis()
    ax.set_xlabel("USD per 1,000 requests (the router's tiers, same tokens)")
    ax.set_title("Each preset, and changed price tables")
    return fig


PLOTS: dict[str, tuple[Callable[[Report], Figure], str]] = {
    "strategies": (plot_strategies, "Cost per 1,000 requests and quality of each way of serving the log."),
    "curve": (plot_curve, "Quality against cost as the escalation threshold moves; markers are the strategies."),
    "savings": (plot_savings, "What the router saved against sending everything to the advanced tier."),
    "thinking": (plot_thinking, "Thinking tokens per request, by the tier served."),
    "latency": (plot_latency, "Latency per request, by the tier served."),
    "confusion": (plot_confusion, "The predicted tier against the cheapest tier feedback shows was enough."),
    "presets": (plot_presets, "The router's traffic priced under each preset and each changed price table."),
}


def _table(rows: list[Strategy]) -> str:
    head = "<tr><th>strategy</th><th>USD / 1,000 requests</th><th>quality</th><th>n</th><th>note</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(s.name + _mark(s))}</td><td>{'n/a' if s.cost_per_1k is None else f'{s.cost_per_1k:.4f}'}"
        f"</td><td>{'n/a' if s.quality is None else f'{s.quality:.4f}'}</td><td>{s.requests}</td>"
        f"<td>{html.escape(s.note)}</td></tr>"
        for s in rows
    )
    return f"<table>{head}{body}</table>"


def write_html(report: Report, out: str | Path, *, with_json: bool = False) -> Path:
    """Write ``index.html`` and one PNG per plot into ``out``; returns the page's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for name, (draw, text) in PLOTS.items():
        draw(report).savefig(out / f"{name}.png", dpi=100)
        if name == "curve":
            text += f" Prompts ranked by: {report.curve.score_source}. {report.curve.note}"
        sections.append(f'<h2>{name}</h2><p>{html.escape(text)}</p><img src="{name}.png" alt="{name}">')
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>budget-router cost report</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:2px 8px;text-align:left}</style>"
        f"</head><body><h1>Cost savings: {html.escape(report.source)}</h1>"
        f"<p>Policy <b>{html.escape(report.policy)}</b>, catalog prices as of {html.escape(report.catalog_as_of)}."
        f"</p><ul>{notes}</ul>{_table(report.strategies)}<h2>presets and price tables</h2>"
        f"{_table([*report.presets, *report.price_tables])}{''.join(sections)}</body></html>"
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    if with_json:
        (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
    return out / "index.html"
