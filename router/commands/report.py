"""``budget-router report``: the cost-savings report of a request/feedback log, as HTML with PNG plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from router.commands._output import emit_json

if TYPE_CHECKING:
    from sqlalchemy import Engine


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the cost-savings report of a log (HTML with PNG plots)",
        description="Reads the request/feedback log at --database-url and writes DIR/index.html with PNG plots: "
        "cost per 1,000 requests and quality of always-light, always-advanced, Gemini's dynamic thinking (-1; an "
        "estimate, marked so, where the log has no such traffic) and the router; the quality-vs-cost curve as the "
        "threshold moves; savings by tier and model; thinking tokens and latency per tier; the predicted tier "
        "against feedback; the router's traffic priced under each preset and each --catalog price table. Offline.",
    )
    parser.add_argument("--database-url", required=True, help="the log to read (e.g. sqlite:///path/log.db)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write index.html and the PNGs into")
    parser.add_argument(
        "--policy", default=None, help="preset or policy file the log is priced with (default: the default preset)"
    )
    parser.add_argument(
        "--catalog",
        type=Path,
        action="append",
        default=[],
        help="another price table (catalog file) to re-price with; repeatable",
    )
    parser.add_argument(
        "--outcomes",
        type=Path,
        default=None,
        help="the outcome file a replayed log came from (token estimates for its costs)",
    )
    parser.add_argument("--prompts-dir", type=Path, default=None, help="where bbh.jsonl.gz is (BBH outcome files)")
    parser.add_argument("--no-classifier", action="store_true", help="do not score unscored prompts for the curve")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON (and write report.json)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from router.catalog import Catalog, CatalogError
    from router.cli import CommandError
    from router.policy import DEFAULT_POLICY, PolicyError
    from router.replay import OutcomeFormatError, load_outcomes
    from router.report import build_report, read_log
    from router.report.plots import write_html
    from router.store import make_engine

    try:
        catalog = Catalog.load()
        tables = {str(path): Catalog.load(path) for path in args.catalog}
        outcomes = load_outcomes(args.outcomes, args.prompts_dir) if args.outcomes else None
    except (OSError, CatalogError, OutcomeFormatError) as exc:
        raise CommandError(str(exc)) from exc
    engine = make_engine(args.database_url)
    try:
        log = read_log(engine, outcomes)
        scores = None if args.no_classifier else _scores(engine)
        report = build_report(
            log, catalog=catalog, policy=args.policy or DEFAULT_POLICY, price_tables=tables, scores=scores
        )
    except PolicyError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        engine.dispose()
    page = write_html(report, args.out, with_json=args.json)
    if args.json:
        emit_json(report.to_dict())
    else:
        for s in report.strategies:
            cost = "n/a" if s.cost_per_1k is None else f"${s.cost_per_1k:.4f}"
            quality = "n/a" if s.quality is None else f"{s.quality:.3f}"
            print(f"{s.name}: {cost} per 1,000 requests, quality {quality}")
        print(f"report: {page}", file=sys.stderr)
    return 0


def _scores(engine: Engine) -> dict[str, float] | None:
    """The shipped classifier's scores of unscored prompts (None when it cannot be loaded)."""
    from classifier import TierClassifier
    from router.learning import current_model_path
    from router.paths import models_dir
    from router.report import classifier_scores

    try:
        clf = TierClassifier.load(current_model_path(models_dir()))
    except Exception as exc:
        print(f"report: no classifier ({exc}); the curve follows the logged decisions", file=sys.stderr)
        return None
    return classifier_scores(engine, clf)
