"""``budget-router retrain``: learn from the feedback in the log, promote the model if it passes."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from router.commands._output import emit_json


def _since(value: str) -> datetime:
    from router.store import parse_time

    try:
        return parse_time(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date or time (2026-11-01, 2026-11-01T12:00Z), got {value!r}"
        ) from None


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = float("nan")
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {value!r}")
    return share


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "retrain",
        help="retrain the tier classifier from the feedback log; promote it if it passes the gate",
        description="Reads the latest feedback per request from the log in chunks (overrides, stand-in "
        "traffic and failed requests excluded), turns it into tier labels (a low score at tier t: the "
        "prompt needed more than t; a high score at a low tier confirms it), trains a candidate on the "
        "base corpus plus those labels, compares it with the current model on the corpus test split "
        "and held-out feedback, writes it to OUT/versions/VERSION with its model card, and points "
        "OUT/CURRENT at it when it passes the gate (macro-F1 at most 0.01 below the current model's, "
        "under-routing within its cap, held-out feedback agreement not lower).",
    )
    parser.add_argument("--database-url", required=True, help="the log: sqlite:///PATH or postgresql://...")
    parser.add_argument("--since", type=_since, default=None, help="only requests from this time on (ISO 8601)")
    parser.add_argument("--out", type=Path, default=None, help="models directory (default: models/)")
    parser.add_argument("--data-dir", type=Path, default=None, help="project data folder (default: data/)")
    parser.add_argument("--limit", type=int, default=None, help="train on N sampled corpus rows (smoke runs)")
    parser.add_argument("--holdout-share", type=float, default=0.2, help="share of feedback prompts held out")
    parser.add_argument("--chunk-size", type=int, default=5000, help="rows read from the log per query")
    parser.add_argument(
        "--max-under-routing",
        type=_share,
        default=None,
        metavar="SHARE",
        help="the gate's cap on the candidate's test-split under-routing (default 0.02; a current model "
        "already above it sets the cap)",
    )
    parser.add_argument("--no-promote", action="store_true", help="write the candidate, never switch CURRENT")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from router.cli import CommandError
    from router.learning import RetrainConfig, retrain
    from router.paths import data_dir, models_dir
    from router.store import make_engine, migrate

    config = RetrainConfig(
        models_dir=args.out or models_dir(),
        data_dir=args.data_dir or data_dir(),
        since=args.since,
        chunk_size=args.chunk_size,
        holdout_share=args.holdout_share,
        base_limit=args.limit,
        promote=not args.no_promote,
    )
    if args.max_under_routing is not None:
        config.under_routing_cap = args.max_under_routing
    engine = make_engine(args.database_url)
    bar = tqdm(desc="feedback rows", unit="row", file=sys.stderr, disable=None)

    def progress(what: str, n: int) -> None:
        if what == "feedback rows":
            bar.update(n)
        else:
            bar.set_description(what)

    try:
        migrate(engine)
        report = retrain(engine, config, progress=progress)
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        bar.close()
        engine.dispose()
    if args.json:
        emit_json(report)
    else:
        fb, gate = report["feedback"], report["gate"]
        print(f"feedback: {fb['feedback_rows']} rows, {report['training_set']['feedback_labelled_prompts']} labelled")
        cand = report["metrics"]["candidate"].get("test", {})
        print(
            f"candidate {report['version']}: macro_f1={cand.get('macro_f1')} under_routing={cand.get('under_routing')}"
        )
        print(f"gate: {'passed' if gate['passed'] else 'refused: ' + '; '.join(gate['reasons'])}")
        print(f"{'promoted' if report['promoted'] else 'not promoted'}: {report['path']}")
    return 0
